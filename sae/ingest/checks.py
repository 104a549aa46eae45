"""The checks of a received transfer (OAIS Receive Submission, ISO 14721 §4.1.1.2).

``run_checks`` first has ``seda.validate`` check the package itself (safe unpacking, XSD,
references, digests and sizes), then, on one streaming read of the manifest
(``sae.ingest.manifest``), checks it against this repository's configuration: the header against
the submission and the archival agreement (agency, SEDA version, agreement of this tenant), the
manifest digest announced at submission, the manifest's signature against the tenant's trust
anchors (``sae.ingest.signature``), the agreement's archival profile, the agencies and
rules against the tenant's referentials (``sae.ingest.referential``), and the signatures of the
signed documents the sender declares reports for, verified again (``sae.ingest.signed_documents``); the tenant's setup is read
once per check (``sae.ingest.setup``). Every issue is recorded;
none stops the others. Nothing per object stays in memory: the manifest's identifiers and each
object's names go to scratch stores on disk (``Database.id_index``, ``Database.object_names``).

The checks run after the answer to the submission, and read only the stored transfer and its
quarantined package: a process that dies before they end leaves the transfer ``received``, and
``sae.recovery`` runs them again at the next start. ``transfer.checked`` goes to the operation
log in the same transaction as the recorded checks.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import IO

from kernel.memory import give_back_memory
from kernel.oplog import LogSpec
from sae.ingest.manifest import ManifestFacts, member_digest, read_manifest
from sae.ingest.receive import log_spec
from sae.ingest.referential import referential_issues
from sae.ingest.settings import IngestSettings, TenantSetup
from sae.ingest.setup import load_setup
from sae.ingest.signature import signature_issues
from sae.ingest.signed_documents import recheck_signatures
from sae.model import (
    ArchivalAgreement,
    CheckIssue,
    CheckOutcome,
    SignatureVerdict,
    Transfer,
    TransferState,
)
from sae.ports import Database
from seda import profile
from seda.errors import SedaError
from seda.package import Package, open_package
from seda.safexml import Opener
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion

# The algorithms a manifest digest may be announced with, and their hashlib names.
DIGESTS = {"SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def run_checks(db: Database, settings: IngestSettings, transfer: Transfer) -> None:
    """Check the quarantined package and record every issue; the transfer then awaits review.
    The memory the checks freed goes back to the system before anything else runs
    (``kernel.memory``)."""
    try:
        _run_checks(db, settings, transfer)
    finally:
        give_back_memory()


def _run_checks(db: Database, settings: IngestSettings, transfer: Transfer) -> None:
    options = ValidationOptions(schema_dir=settings.schema_dir, id_index=db.id_index)
    report = validate_path(transfer.quarantine_path, options)
    issues = [
        CheckIssue(i.code, i.severity.value, i.message, i.line, i.xpath) for i in report.issues
    ]
    found = Configured([], None, [])
    if not report.refused and report.version is not None:
        setup = load_setup(db, transfer.organisation)
        names = db.object_names()
        try:
            version = SedaVersion(report.version)
            found = configured_checks(setup, transfer, version, settings, names)
        finally:
            names.close()
        issues += found.issues
    outcome = CheckOutcome(
        tuple(issues), report.version, found.signer, tuple(found.signature_checks)
    )
    with db.unit_of_work(transfer.organisation) as uow:
        uow.transfers.record_checks(transfer.id, outcome)
        uow.log.append(_checked_spec(transfer, outcome))
        uow.commit()
    with db.unit_of_work(transfer.organisation) as uow:
        uow.transfers.move(transfer.id, TransferState.CHECKED, TransferState.AWAITING_REVIEW)
        uow.commit()


def _checked_spec(transfer: Transfer, outcome: CheckOutcome) -> LogSpec:
    # One line per (code, blocking) with its count: a package with 10,000 bad files does not
    # make a 10,000-line entry; the issues themselves are on the transfer.
    counts: dict[tuple[str, bool], int] = {}
    for issue in outcome.issues:
        counts[issue.code, issue.blocking] = counts.get((issue.code, issue.blocking), 0) + 1
    summary = [
        {"code": code, "blocking": blocking, "count": count}
        for (code, blocking), count in sorted(counts.items())
    ]
    details: dict[str, object] = {
        "seda_version": outcome.seda_version,
        "checks_passed": not any(blocking for _code, blocking in counts),
        "issues": summary,
        "signer": outcome.signer,
    }
    if outcome.signature_checks:  # the repository's own verdict on each signed document
        details["signature_checks"] = [
            {"object": v.object_id, "declared": v.declared, "found": v.found}
            for v in outcome.signature_checks
        ]
    return log_spec(transfer, "transfer.checked", details)


@dataclass(frozen=True)
class Configured:
    """What the checks against the tenant's setup found: issues, who signed the manifest, and
    the repository's own verdicts on the signed documents (``sae.ingest.signed_documents``)."""

    issues: list[CheckIssue]
    signer: str | None
    signature_checks: list[SignatureVerdict]


def configured_checks(
    setup: TenantSetup,
    transfer: Transfer,
    version: SedaVersion,
    settings: IngestSettings | None = None,
    objects: MutableMapping[str, tuple[str, str]] | None = None,
) -> Configured:
    """The checks against the tenant's setup; each object's names go to ``objects`` (a new
    ``dict`` if None)."""
    try:
        with open_package(transfer.quarantine_path) as package:
            name = package.manifest_name
            if name is None:  # seda.validate already reported the missing manifest
                return Configured([], None, [])
            found = _Found(package, name, {} if objects is None else objects)
            return _configured_checks(setup, transfer, found, version, settings)
    except SedaError as exc:
        return Configured(
            [CheckIssue("manifest_unreadable", "error", str(exc), exc.line)], None, []
        )


@dataclass(frozen=True)
class _Found:
    package: Package
    manifest: str  # its member
    objects: MutableMapping[str, tuple[str, str]]  # where the objects' names go


def _configured_checks(
    setup: TenantSetup,
    transfer: Transfer,
    found: _Found,
    version: SedaVersion,
    settings: IngestSettings | None,
) -> Configured:
    package, manifest = found.package, found.manifest

    def open_manifest() -> IO[bytes]:
        return package.open(manifest)

    # The announced digest and the signature's are most often both SHA-256: hashed once.
    @cache
    def digest(algorithm: str) -> bytes:
        return member_digest(package, manifest, algorithm)

    facts = read_manifest(open_manifest, version, objects=found.objects)
    agreement = _agreement(setup, transfer, facts.archival_agreement)
    issues = _header_issues(transfer, facts)
    issues += _agreement_issues(transfer, agreement, facts.archival_agreement, version)
    issues += _manifest_digest_issues(digest, transfer.manifest_digest)
    required = agreement is not None and agreement.signature_required
    signature = signature_issues(
        package, manifest, setup.trust_anchors, required=required, manifest_digest=digest
    )
    issues += signature.issues
    if agreement is not None:
        issues += profile_issues(open_manifest, setup, agreement, facts.archival_profile)
    issues += referential_issues(facts, setup.referential, transfer.organisation)
    verify = settings.verify_signatures if settings is not None else None
    at = settings.clock() if settings is not None else datetime.now(UTC)
    more, verdicts = recheck_signatures(package, facts, setup.signature_anchors, verify, at)
    return Configured(issues + more, signature.signer, verdicts)


def _header_issues(transfer: Transfer, facts: ManifestFacts) -> list[CheckIssue]:
    """The manifest's header against the submission's headers and this repository."""
    compared = (
        ("message_identifier_mismatch", "MessageIdentifier", facts.message_identifier,
         "Idempotency-Key", transfer.message_identifier),
        ("transferring_agency_mismatch", "TransferringAgency", facts.transferring_agency,
         "X-Transferring-Agency", transfer.transferring_agency),
        ("archival_agency_mismatch", "ArchivalAgency", facts.archival_agency,
         "ce dépôt", transfer.organisation),
    )  # fmt: skip
    return [
        _error(code, f"{element} {found} ≠ {reference} {expected}")
        for code, element, found, reference, expected in compared
        if found != expected
    ]


def _agreement(
    setup: TenantSetup, transfer: Transfer, agreement_id: str | None
) -> ArchivalAgreement | None:
    """The agreement the manifest names, if it is one of this tenant's."""
    agreement = setup.agreements.get(agreement_id or "")
    if agreement is None or agreement.organisation != transfer.organisation:
        return None
    return agreement


def _agreement_issues(
    transfer: Transfer,
    agreement: ArchivalAgreement | None,
    agreement_id: str | None,
    version: SedaVersion,
) -> list[CheckIssue]:
    if agreement_id is None:
        return [_error("archival_agreement_missing", "Le bordereau ne nomme aucun accord")]
    if agreement is None:
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
    if version not in agreement.seda_versions:
        issues.append(
            _error(
                "seda_version_not_allowed",
                f"SEDA {version.value} hors de l'accord {agreement_id}",
            )
        )
    return issues


def _manifest_digest_issues(
    digest: Callable[[str], bytes], expected: tuple[str, str] | None
) -> list[CheckIssue]:
    """Compare the manifest member of the package with the digest announced in the headers."""
    if expected is None:
        return []
    algorithm, value = expected
    actual = digest(DIGESTS[algorithm]).hex()
    if actual == value:
        return []
    return [
        _error(
            "manifest_digest_mismatch",
            f"Empreinte {algorithm} du manifeste {actual} ≠ annoncée {value}",
        )
    ]


def _error(code: str, message: str) -> CheckIssue:
    return CheckIssue(code, "error", message)


def profile_issues(
    open_stream: Opener,
    setup: TenantSetup,
    agreement: ArchivalAgreement,
    declared_identifier: str | None,
) -> list[CheckIssue]:
    """The manifest against the agreement's RELAX NG profile and its ArchivalProfile identifier.

    The RELAX NG validation needs the whole tree (libxml2 has no streaming RELAX NG with
    line numbers), so it runs only for agreements that name a profile."""
    issues = []
    expected = agreement.profile_identifier
    if expected is not None and declared_identifier != expected:
        declared = declared_identifier or "(absent)"
        message = f"ArchivalProfile {declared} ≠ profil {expected} de l'accord"
        issues.append(CheckIssue("archival_profile_mismatch", "error", message))
    if agreement.profile is not None:
        name = agreement.profile
        grammar = setup.profiles.get(name, b"")  # a profile removed since: unreadable
        issues += [
            CheckIssue(i.code, i.severity.value, i.message, i.line, i.xpath)
            for i in profile.grammar_issues(open_stream, grammar, name)
        ]
    return issues
