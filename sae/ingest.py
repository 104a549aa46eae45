"""Ingest of a SEDA 2.x ArchiveTransfer (OAIS Receive Submission, ISO 14721 §4.1.1.2).

Steps, one function each: ``admit`` (the archival agreement lets this agency send at all),
``quarantine`` (the body streamed to a file, hashed while written, never held in memory),
``receive`` (idempotency by ``MessageIdentifier`` and the Acknowledgement), ``run_checks``. The
checks: safe unpacking, XSD, references, digests and sizes by ``seda.validate``; then the checks
against this repository's configuration (``sae.repository_checks``). Every issue is recorded;
none stops the others.

The checks run after the answer to the submission, and read only the stored transfer and its
quarantined package: a process that dies before they end leaves the transfer ``received``, and
``sae.recovery`` runs them again at the next start.

Both steps go to the repository's operation log (``sae.journal``, NF Z42-013 asks for receipt
and checks to be logged): ``transfer.received`` with the new transfer row, ``transfer.checked``
with the recorded checks, each in the same transaction as its change.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from cryptography import x509

from kernel.errors import ConflictError, ForbiddenError, GedsaeError, PayloadTooLargeError
from kernel.oplog import LogSpec
from sae import journal
from sae.referential import Referential
from sae.repository_checks import repository_checks
from sae.store import CheckIssue, Transfer, TransferState, TransferStore
from seda.replies import build_acknowledgement
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion

# Names of the quarantined packages: sae.recovery removes the ones no transfer references.
QUARANTINE_PREFIX: Final = "sip-"
QUARANTINE_SUFFIX: Final = ".zip"
# The actor of the log entries of receipt and checks: the repository's ingest itself.
INGEST_ACTOR: Final = "ingest"


class AgencyNotAllowed(ForbiddenError):
    code = "agency_not_allowed"
    title = "Service versant non autorisé par les accords de versement"


class IdempotencyConflict(ConflictError):
    code = "idempotency_conflict"
    title = "Identifiant de message déjà reçu avec un autre paquet"


class PackageTooLarge(PayloadTooLargeError):
    code = "package_too_large"


class NotAZip(GedsaeError):
    status = 415
    code = "unsupported_media_type"
    title = "Paquet zip attendu (application/zip)"


@dataclass(frozen=True)
class ArchivalAgreement:
    """What one organisation accepts from whom: agencies and SEDA versions; and what it requires
    of every manifest: a signature, an archival profile (RELAX NG) and its identifier."""

    organisation: str
    transferring_agencies: frozenset[str]
    seda_versions: frozenset[SedaVersion]
    signature_required: bool = False
    profile: Path | None = None
    profile_identifier: str | None = None  # the ArchivalProfile the manifest must declare


@dataclass(frozen=True)
class IngestSettings:
    quarantine_dir: Path
    schema_dir: Path
    agreements: Mapping[str, ArchivalAgreement]
    max_package_bytes: int = 4 * 1024**3
    acknowledgement_version: SedaVersion = SedaVersion.V2_2
    # Anchors of the manifest signatures (a signature no anchor vouches for is refused).
    trust_anchors: tuple[x509.Certificate, ...] = ()
    # Organisation → its agencies and rules; an organisation absent here is not checked.
    referentials: Mapping[str, Referential] = field(default_factory=dict)


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
    fd, name = tempfile.mkstemp(
        dir=settings.quarantine_dir, prefix=QUARANTINE_PREFIX, suffix=QUARANTINE_SUFFIX
    )
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
    spec = _received_spec(transfer, package)
    if store.add(transfer, within=lambda conn: journal.append(conn, spec)):
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
        manifest_digest=submitted.manifest_digest,
    )


def run_checks(store: TransferStore, settings: IngestSettings, transfer: Transfer) -> None:
    """Check the quarantined package and record every issue; the transfer then awaits review."""
    report = validate_path(
        transfer.quarantine_path, ValidationOptions(schema_dir=settings.schema_dir)
    )
    issues = [
        CheckIssue(i.code, i.severity.value, i.message, i.line, i.xpath) for i in report.issues
    ]
    signer = None
    if not report.refused and report.version is not None:
        more, signer = repository_checks(settings, transfer, SedaVersion(report.version))
        issues += more
    spec = _checked_spec(transfer, issues, report.version, signer)
    store.record_checks(
        transfer.id,
        issues,
        report.version,
        signer=signer,
        within=lambda conn: journal.append(conn, spec),
    )


def _received_spec(transfer: Transfer, package: Quarantined) -> LogSpec:
    announced = transfer.manifest_digest
    return _spec(
        transfer,
        "transfer.received",
        {
            "transferring_agency": transfer.transferring_agency,
            "package_sha256": package.sha256,
            "package_size": package.size,
            "manifest_digest": ":".join(announced) if announced else None,
        },
    )


def _checked_spec(
    transfer: Transfer, issues: list[CheckIssue], version: str | None, signer: str | None
) -> LogSpec:
    # One line per (code, blocking) with its count: a package with 10,000 bad files does not
    # make a 10,000-line entry; the issues themselves are on the transfer.
    counts: dict[tuple[str, bool], int] = {}
    for issue in issues:
        counts[issue.code, issue.blocking] = counts.get((issue.code, issue.blocking), 0) + 1
    summary = [
        {"code": code, "blocking": blocking, "count": count}
        for (code, blocking), count in sorted(counts.items())
    ]
    return _spec(
        transfer,
        "transfer.checked",
        {
            "seda_version": version,
            "checks_passed": not any(blocking for _code, blocking in counts),
            "issues": summary,
            "signer": signer,
        },
    )


def _spec(transfer: Transfer, action: str, details: dict[str, object]) -> LogSpec:
    return LogSpec(
        actor=INGEST_ACTOR,
        action=action,
        object_type="transfer",
        object_id=transfer.id,
        organisation_id=transfer.organisation,
        details={"message_identifier": transfer.message_identifier, **details},
    )
