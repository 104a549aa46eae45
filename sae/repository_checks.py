"""Ingest checks against this repository's configuration (OAIS Receive Submission, ISO 14721
§4.1.1.2): the SIP against its archival agreement, its submission and the referentials.

On one streaming read of the manifest (``sae.ingest_checks``): the header against the archival
agreement (agency, SEDA version, agreement of this organisation), the manifest digest announced
at submission, the manifest's signature against the trust anchors, the agreement's archival
profile, and the agencies and rules against the organisation's referentials (``sae.referential``).
``sae.ingest.run_checks`` runs them once ``seda.validate`` has accepted the package's structure.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import IO, TYPE_CHECKING

from sae.ingest_checks import (
    ManifestFacts,
    member_digest,
    profile_issues,
    read_manifest,
    signature_issues,
)
from sae.referential import referential_issues
from sae.store import CheckIssue, Transfer
from seda.errors import SedaError
from seda.package import Package, open_package
from seda.versions import SedaVersion

if TYPE_CHECKING:
    from sae.ingest import ArchivalAgreement, IngestSettings

# The algorithms a manifest digest may be announced with, and their hashlib names.
DIGESTS = {"SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def repository_checks(
    settings: IngestSettings, transfer: Transfer, version: SedaVersion
) -> tuple[list[CheckIssue], str | None]:
    """The checks against this repository's configuration: issues, and who signed."""
    try:
        with open_package(transfer.quarantine_path) as package:
            name = package.manifest_name
            if name is None:
                return [], None  # seda.validate already reported the missing manifest
            return _configured_checks(settings, transfer, package, name, version)
    except SedaError as exc:
        return [CheckIssue("manifest_unreadable", "error", str(exc), exc.line)], None


def _configured_checks(
    settings: IngestSettings,
    transfer: Transfer,
    package: Package,
    manifest: str,
    version: SedaVersion,
) -> tuple[list[CheckIssue], str | None]:
    def open_manifest() -> IO[bytes]:
        return package.open(manifest)

    # The announced digest and the signature's are most often both SHA-256: hashed once.
    @cache
    def digest(algorithm: str) -> bytes:
        return member_digest(package, manifest, algorithm)

    facts = read_manifest(open_manifest, version)
    agreement = _agreement(settings, transfer, facts.archival_agreement)
    issues = _header_issues(transfer, facts)
    issues += _agreement_issues(transfer, agreement, facts.archival_agreement, version)
    issues += _manifest_digest_issues(digest, transfer.manifest_digest)
    required = agreement is not None and agreement.signature_required
    signature = signature_issues(
        package, manifest, settings.trust_anchors, required=required, manifest_digest=digest
    )
    issues += signature.issues
    if agreement is not None:
        expected = agreement.profile_identifier
        issues += profile_issues(open_manifest, agreement.profile, expected, facts.archival_profile)
    referential = settings.referentials.get(transfer.organisation)
    issues += referential_issues(facts, referential, transfer.organisation)
    return issues, signature.signer


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
    settings: IngestSettings, transfer: Transfer, agreement_id: str | None
) -> ArchivalAgreement | None:
    """The agreement the manifest names, if it is one of this organisation's."""
    agreement = settings.agreements.get(agreement_id or "")
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
