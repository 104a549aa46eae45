"""Ingest of a SEDA 2.x ArchiveTransfer (OAIS Receive Submission, ISO 14721 §4.1.1.2).

Steps, one function each: ``admit`` (the archival agreement lets this agency send at all),
``quarantine`` (the body streamed to a file, hashed while written, never held in memory),
``receive`` (idempotency by ``MessageIdentifier`` and the Acknowledgement), ``run_checks`` (safe
unpacking, XSD, references, digests and sizes by ``seda.validate``; then the header against the
archival agreement and the optional manifest digest). Every issue is recorded; none stops the
others. Checks run synchronously after the body is stored (a background worker comes later).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ged.domain.errors import (
    ConflictError,
    ForbiddenError,
    GedError,
    PayloadTooLargeError,
)
from sae.store import CheckIssue, Transfer, TransferState, TransferStore
from seda.errors import SedaError
from seda.package import open_package
from seda.reader import read_transfer
from seda.replies import build_acknowledgement
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion

DIGESTS = {"SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


class AgencyNotAllowed(ForbiddenError):
    code = "agency_not_allowed"
    title = "Service versant non autorisé par les accords de versement"


class IdempotencyConflict(ConflictError):
    code = "idempotency_conflict"
    title = "Identifiant de message déjà reçu avec un autre paquet"


class PackageTooLarge(PayloadTooLargeError):
    code = "package_too_large"


class NotAZip(GedError):
    status = 415
    code = "unsupported_media_type"
    title = "Paquet zip attendu (application/zip)"


@dataclass(frozen=True)
class ArchivalAgreement:
    """What one organisation accepts from whom: agencies and SEDA versions."""

    organisation: str
    transferring_agencies: frozenset[str]
    seda_versions: frozenset[SedaVersion]


@dataclass(frozen=True)
class IngestSettings:
    quarantine_dir: Path
    schema_dir: Path
    agreements: Mapping[str, ArchivalAgreement]
    max_package_bytes: int = 4 * 1024**3
    acknowledgement_version: SedaVersion = SedaVersion.V2_2


@dataclass(frozen=True)
class Submitted:
    message_identifier: str
    transferring_agency: str
    manifest_digest: tuple[str, str] | None = None  # (algorithm, lower-case hex)


@dataclass(frozen=True)
class Quarantined:
    path: Path
    sha256: str
    size: int


def admit(settings: IngestSettings, organisation: str, agency: str) -> None:
    """Refuse before reading the body an agency that no agreement of the organisation names."""
    if not any(
        a.organisation == organisation and agency in a.transferring_agencies
        for a in settings.agreements.values()
    ):
        raise AgencyNotAllowed(f"Aucun accord de versement n'autorise le service {agency}")


async def quarantine(settings: IngestSettings, body: AsyncIterator[bytes]) -> Quarantined:
    """Stream the body to a new file in the quarantine area, hashing it; limit its size."""
    settings.quarantine_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=settings.quarantine_dir, prefix="sip-", suffix=".zip")
    path, digest, size = Path(name), hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in body:
                size += len(chunk)
                if size > settings.max_package_bytes:
                    raise PackageTooLarge(f"Paquet de plus de {settings.max_package_bytes} octets")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Quarantined(path, digest.hexdigest(), size)


def receive(
    store: TransferStore,
    settings: IngestSettings,
    organisation: str,
    submitted: Submitted,
    package: Quarantined,
) -> tuple[Transfer, bool]:
    """The transfer for this MessageIdentifier, and whether it is new (else ``package`` is
    dropped: a resend of the same package answers with the transfer already known)."""
    known = _known(store, organisation, submitted, package)
    if known is not None:
        return known, False
    transfer = _new_transfer(settings, organisation, submitted, package)
    if store.add(transfer):
        return transfer, True
    # Another request with the same key was recorded between our lookup and our insert.
    known = _known(store, organisation, submitted, package)
    assert known is not None  # the insert failed on the unique key, so the row exists
    return known, False


def _known(
    store: TransferStore, organisation: str, submitted: Submitted, package: Quarantined
) -> Transfer | None:
    known = store.find_by_message(organisation, submitted.message_identifier)
    if known is None:
        return None
    package.path.unlink(missing_ok=True)
    if known.package_sha256 != package.sha256:
        raise IdempotencyConflict(
            f"Le message {submitted.message_identifier} a déjà été reçu avec un autre paquet"
        )
    return known


def _new_transfer(
    settings: IngestSettings, organisation: str, submitted: Submitted, package: Quarantined
) -> Transfer:
    now = datetime.now(UTC).replace(microsecond=0)
    acknowledgement = build_acknowledgement(
        settings.acknowledgement_version,
        message_identifier=f"ACK-{uuid.uuid4()}",
        received_identifier=submitted.message_identifier,
        sender=organisation,
        receiver=submitted.transferring_agency,
        date=now,
    )
    return Transfer(
        id=str(uuid.uuid4()),
        organisation=organisation,
        message_identifier=submitted.message_identifier,
        package_sha256=package.sha256,
        transferring_agency=submitted.transferring_agency,
        state=TransferState.RECEIVED,
        quarantine_path=package.path,
        acknowledgement=acknowledgement,
        received_at=now,
    )


def run_checks(
    store: TransferStore, settings: IngestSettings, transfer: Transfer, submitted: Submitted
) -> None:
    """Check the quarantined package and record every issue; the transfer then awaits review."""
    report = validate_path(
        transfer.quarantine_path, ValidationOptions(schema_dir=settings.schema_dir)
    )
    issues = [
        CheckIssue(i.code, i.severity.value, i.message, i.line, i.xpath) for i in report.issues
    ]
    if not report.refused:
        issues += _header_issues(settings, transfer, report.version)
        issues += _manifest_digest_issues(transfer.quarantine_path, submitted.manifest_digest)
    store.record_checks(transfer.id, issues, report.version)


def _header_issues(
    settings: IngestSettings, transfer: Transfer, version: str | None
) -> list[CheckIssue]:
    try:
        with open_package(transfer.quarantine_path) as package:
            name = package.manifest_name
            if name is None:
                return []  # seda.validate already reported the missing manifest
            header = read_transfer(lambda: package.open(name)).header
    except SedaError as exc:
        return [CheckIssue("manifest_unreadable", "error", str(exc))]
    issues = []
    if header.message_identifier != transfer.message_identifier:
        issues.append(
            _error(
                "message_identifier_mismatch",
                f"MessageIdentifier {header.message_identifier} ≠ Idempotency-Key "
                f"{transfer.message_identifier}",
            )
        )
    if header.transferring_agency.identifier != transfer.transferring_agency:
        issues.append(
            _error(
                "transferring_agency_mismatch",
                f"TransferringAgency {header.transferring_agency.identifier} ≠ "
                f"X-Transferring-Agency {transfer.transferring_agency}",
            )
        )
    if header.archival_agency.identifier != transfer.organisation:
        issues.append(
            _error(
                "archival_agency_mismatch",
                f"ArchivalAgency {header.archival_agency.identifier} n'est pas ce dépôt",
            )
        )
    return issues + _agreement_issues(settings, transfer, header.archival_agreement, version)


def _agreement_issues(
    settings: IngestSettings, transfer: Transfer, agreement_id: str | None, version: str | None
) -> list[CheckIssue]:
    agreement = settings.agreements.get(agreement_id or "")
    if agreement is None or agreement.organisation != transfer.organisation:
        return [
            _error("archival_agreement_unknown", f"Accord de versement inconnu : {agreement_id}")
        ]
    issues = []
    if transfer.transferring_agency not in agreement.transferring_agencies:
        issues.append(
            _error(
                "agency_not_in_agreement",
                f"Le service {transfer.transferring_agency} n'est pas partie à {agreement_id}",
            )
        )
    if version not in {v.value for v in agreement.seda_versions}:
        issues.append(
            _error("seda_version_not_allowed", f"SEDA {version} hors de l'accord {agreement_id}")
        )
    return issues


def _manifest_digest_issues(path: Path, expected: tuple[str, str] | None) -> list[CheckIssue]:
    """Compare the manifest member of the package with the digest announced in the headers."""
    if expected is None:
        return []
    algorithm, value = expected
    digest = hashlib.new(DIGESTS[algorithm])
    with open_package(path) as package:
        if package.manifest_name is None:
            return []
        for chunk in package.chunks(package.manifest_name):
            digest.update(chunk)
    if digest.hexdigest() == value:
        return []
    return [
        _error(
            "manifest_digest_mismatch",
            f"Empreinte {algorithm} du manifeste {digest.hexdigest()} ≠ annoncée {value}",
        )
    ]


def _error(code: str, message: str) -> CheckIssue:
    return CheckIssue(code, "error", message)
