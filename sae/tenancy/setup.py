"""A tenant's setup, administered: its archival agreements and its imported files.

Each file is checked before it is kept, as ingest will read it (``sae.ingest.setup``): the
agencies referential (Vitam CSV), the rules referential (Vitam CSV), the trust anchors of the
manifest signatures (PEM) and the archival profiles (RELAX NG); a refused file keeps nothing and
lists every problem found. An agreement naming a profile the tenant has not imported is refused.
Every change is an entry of the tenant's log, in the transaction of the change (with the SHA-256
of an imported file: what was checked against is known afterwards).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Final

from kernel.errors import InvalidError, Issue
from kernel.oplog import LogSpec
from sae.ingest.referential import parse_agencies, parse_rules
from sae.ingest.setup import certificates
from sae.model import ArchivalAgreement, FileKind, TenantFile
from sae.ports import Database
from seda.profile import ProfileUnreadable, compile_grammar
from seda.versions import SedaVersion

MAX_FILE_BYTES: Final = 20 * 1024 * 1024
PROFILE_NAME: Final = "profile"


class AgreementRefused(InvalidError):
    code = "agreement_refused"
    title = "Accord de versement refusé"


class TrustAnchorsRefused(InvalidError):
    code = "trust_anchors_refused"
    title = "Certificats de confiance refusés"


class ProfileRefused(InvalidError):
    code = "profile_refused"
    title = "Profil d'archivage refusé"


class FileTooLarge(InvalidError):
    code = "file_too_large"
    title = "Fichier trop volumineux"


def agreement_of(
    tenant: str,
    agencies: Iterable[str],
    versions: Iterable[str],
    *,
    signature_required: bool = False,
    profile: str | None = None,
    profile_identifier: str | None = None,
) -> ArchivalAgreement:
    """An agreement from what an operator typed; ``AgreementRefused`` lists every bad field."""
    issues = []
    agencies = sorted({a.strip() for a in agencies if a.strip()})
    if not agencies:
        issues.append(Issue("missing_agency", "au moins un service versant", path="agencies"))
    parsed = set()
    for version in versions:
        try:
            parsed.add(SedaVersion(version))
        except ValueError:
            message = f"version SEDA inconnue : {version} (2.1, 2.2, 2.3)"
            issues.append(Issue("unknown_seda_version", message, path="seda_versions"))
    if issues:
        raise AgreementRefused("Accord de versement refusé", issues=issues)
    return ArchivalAgreement(
        tenant,
        frozenset(agencies),
        frozenset(parsed or SedaVersion),
        signature_required=signature_required,
        profile=profile or None,
        profile_identifier=profile_identifier or None,
    )


def put_agreement(
    db: Database, tenant: str, identifier: str, agreement: ArchivalAgreement, *, actor: str
) -> None:
    """Adds the agreement or replaces the one of that identifier."""
    if not identifier.strip():
        issue = Issue("missing_identifier", "identifiant de l'accord manquant", path="identifier")
        raise AgreementRefused("Accord de versement refusé", issues=[issue])
    with db.unit_of_work(tenant) as uow:
        if agreement.profile and uow.setup.file(FileKind.PROFILE, agreement.profile) is None:
            message = f"profil {agreement.profile} non importé pour ce locataire"
            issue = Issue("unknown_profile", message, path="profile")
            raise AgreementRefused("Accord de versement refusé", issues=[issue])
        uow.setup.put_agreement(identifier, agreement)
        uow.log.append(_spec(actor, "agreement.put", "agreement", identifier, tenant, agreement))
        uow.commit()


def remove_agreement(db: Database, tenant: str, identifier: str, *, actor: str) -> None:
    """``AgreementNotFound`` when the tenant has none of that identifier."""
    with db.unit_of_work(tenant) as uow:
        uow.setup.remove_agreement(identifier)
        uow.log.append(LogSpec(actor, "agreement.remove", "agreement", identifier, tenant, {}))
        uow.commit()


def import_file(
    db: Database,
    tenant: str,
    kind: FileKind,
    content: bytes,
    *,
    actor: str,
    name: str = "",
    now: datetime | None = None,
) -> TenantFile:
    """Checks ``content`` as ingest will read it, then keeps it (replacing the previous one of
    that kind and name) with its log entry."""
    _check(kind, content, name)
    sha256 = hashlib.sha256(content).hexdigest()
    file = TenantFile(kind, name, content, sha256, now or datetime.now(UTC))
    details = {"kind": kind.value, "name": name, "sha256": sha256, "size": len(content)}
    with db.unit_of_work(tenant) as uow:
        uow.setup.put_file(file)
        object_id = f"{kind.value}:{name}" if name else kind.value
        spec = LogSpec(actor, "setup.file_imported", "tenant_file", object_id, tenant, details)
        uow.log.append(spec, at=file.imported_at)
        uow.commit()
    return file


def describe_setup(db: Database, tenant: str) -> dict[str, Any]:
    """The tenant's agreements and files as an operator sees them (JSON-ready, no content)."""
    with db.reading(tenant) as uow:
        agreements = uow.setup.agreements()
        files = uow.setup.files()
    return {
        "agreements": [agreement_summary(i, a) for i, a in agreements.items()],
        "files": [
            {
                "kind": f.kind.value,
                "name": f.name,
                "sha256": f.sha256,
                "size": len(f.content),
                "imported_at": f.imported_at.isoformat(),
            }
            for f in files
        ],
    }


def agreement_summary(identifier: str, agreement: ArchivalAgreement) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "transferring_agencies": sorted(agreement.transferring_agencies),
        "seda_versions": sorted(v.value for v in agreement.seda_versions),
        "signature_required": agreement.signature_required,
        "profile": agreement.profile,
        "profile_identifier": agreement.profile_identifier,
    }


def _check(kind: FileKind, content: bytes, name: str) -> None:
    if len(content) > MAX_FILE_BYTES:
        message = f"plus de {MAX_FILE_BYTES} octets"
        raise FileTooLarge(message, issues=[Issue("file_too_large", message)])
    if (kind is FileKind.PROFILE) != bool(name.strip()):
        message = "un profil porte un nom, les autres fichiers aucun"
        raise InvalidError(message, issues=[Issue("bad_file_name", message, path="name")])
    _CHECKS[kind](content)


def _check_anchors(content: bytes) -> None:
    try:
        found = certificates(content)
    except ValueError as exc:
        message = f"PEM illisible : {exc}"
        raise TrustAnchorsRefused(message, issues=[Issue("bad_pem", message)]) from exc
    if not found:
        message = "aucun certificat dans le fichier"
        raise TrustAnchorsRefused(message, issues=[Issue("no_certificate", message)])


def _check_profile(content: bytes) -> None:
    try:
        compile_grammar(content)
    except ProfileUnreadable as exc:
        message = f"grammaire RELAX NG illisible : {exc}"
        raise ProfileRefused(message, issues=[Issue("bad_relax_ng", message)]) from exc


_CHECKS: Final[dict[FileKind, Callable[[bytes], object]]] = {
    FileKind.AGENCIES: parse_agencies,
    FileKind.RULES: parse_rules,
    FileKind.TRUST_ANCHORS: _check_anchors,
    FileKind.SIGNATURE_ANCHORS: _check_anchors,
    FileKind.PROFILE: _check_profile,
}


def _spec(
    actor: str, action: str, kind: str, identifier: str, tenant: str, agreement: ArchivalAgreement
) -> LogSpec:
    details = agreement_summary(identifier, agreement)
    return LogSpec(actor, action, kind, identifier, tenant, details)
