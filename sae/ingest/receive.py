"""Receipt of a SEDA 2.x ArchiveTransfer (OAIS Receive Submission, ISO 14721 §4.1.1.2).

Steps, one function each: ``admit`` (the archival agreement lets this agency send at all),
``quarantine`` (the body streamed to a file, hashed while written, never held in memory),
``receive`` (idempotency by ``MessageIdentifier`` and the Acknowledgement); the checks follow,
once the submission is answered (``sae.ingest.checks``).

Receipt goes to the repository's operation log (NF Z42-013 asks for receipt and checks to be
logged): ``transfer.received`` in the same transaction as the new transfer row.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kernel.errors import ConflictError, ForbiddenError, GedsaeError, PayloadTooLargeError
from kernel.oplog import LogSpec
from sae.ingest.settings import (
    INGEST_ACTOR,
    QUARANTINE_PREFIX,
    QUARANTINE_SUFFIX,
    IngestSettings,
    TenantSetup,
)
from sae.model import Transfer, TransferState
from sae.ports import Database
from seda.replies import build_acknowledgement


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
class Submitted:
    message_identifier: str
    transferring_agency: str
    manifest_digest: tuple[str, str] | None = None  # (algorithm, lower-case hex)


@dataclass(frozen=True)
class Quarantined:
    path: Path
    sha256: str
    size: int


def admit(setup: TenantSetup, agency: str) -> None:
    """Refuse before reading the body an agency that no agreement of the tenant names."""
    if not any(agency in a.transferring_agencies for a in setup.agreements.values()):
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
    db: Database,
    settings: IngestSettings,
    organisation: str,
    submitted: Submitted,
    package: Quarantined,
) -> tuple[Transfer, bool]:
    """The transfer for this MessageIdentifier, and whether it is new (else ``package`` is
    dropped: a resend of the same package answers with the transfer already known)."""
    transfer = _new_transfer(settings, organisation, submitted, package)
    with db.unit_of_work(organisation) as uow:
        known = uow.transfers.find_by_message(submitted.message_identifier)
        if known is None and uow.transfers.add(transfer):
            uow.log.append(_received_spec(transfer, package))
            uow.commit()
            return transfer, True
    if known is None:  # the insert found the key taken: the row exists now
        with db.reading(organisation) as uow:
            known = uow.transfers.find_by_message(submitted.message_identifier)
        assert known is not None
    return _resent(known, submitted, package), False


def _resent(known: Transfer, submitted: Submitted, package: Quarantined) -> Transfer:
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


def _received_spec(transfer: Transfer, package: Quarantined) -> LogSpec:
    announced = transfer.manifest_digest
    return log_spec(
        transfer,
        "transfer.received",
        {
            "transferring_agency": transfer.transferring_agency,
            "package_sha256": package.sha256,
            "package_size": package.size,
            "manifest_digest": ":".join(announced) if announced else None,
        },
    )


def log_spec(transfer: Transfer, action: str, details: dict[str, object]) -> LogSpec:
    """An entry of ingest about ``transfer`` (receipt, checks)."""
    return LogSpec(
        actor=INGEST_ACTOR,
        action=action,
        object_type="transfer",
        object_id=transfer.id,
        organisation_id=transfer.organisation,
        details={"message_identifier": transfer.message_identifier, **details},
    )
