"""Sealed checkpoints of the operation log, kept on the storage offers (NF Z42-013 sealing).

A hash chain proves that no entry was edited, but not that the last ones were not deleted, nor
that someone with write access did not rewrite an entry and re-hash everything after it. A
checkpoint fixes the head of one tenant's chain: ``{seq, head hash, time, organisation scope
(the tenant), previous checkpoint}`` as canonical JSON, signed with the repository's ``SigningIdentity`` (detached
CAdES-BES, ETSI EN 319 122-1) and, when a TSA is configured, time-stamped (CAdES-T, RFC 3161).
Both objects go to EVERY storage offer through the tenant's ``StorageOffers.store`` (under its
prefix, digests in its registry, apart from the database), locked on the offers that lock
(S3 Object Lock) for their minimum, and the ``CheckpointIndex`` port lists them.

Finding them back from the offers alone and verifying the log against them:
``sae.journal.verification``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cryptography import x509

from kernel.errors import ConflictError
from kernel.oplog import LogSpec
from kernel.signing import cms, der
from kernel.signing.cms import sign_content
from kernel.signing.keys import SigningIdentity
from kernel.signing.tsa import timestamp_signature
from sae.model import Checkpoint, SealedCheckpoint
from sae.ports import Database, OperationLog
from sae.storage.offers import StorageOffers

if TYPE_CHECKING:
    import httpx

_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class CheckpointRaced(ConflictError):
    """Another process sealed between reading the latest checkpoint and recording this one."""

    code = "checkpoint_raced"
    title = "Un autre scellement vient d'être enregistré"


@dataclass(frozen=True)
class Timestamping:
    """An RFC 3161 time-stamping authority; the client is injected (tests play the TSA)."""

    url: str
    client: httpx.Client


@dataclass(frozen=True)
class Sealing:
    """How the repository seals its log, and which certificates verification trusts.

    ``trust_anchors`` default to the identity's own certificate: keep the old certificates
    there after a key change, or the checkpoints they signed stop verifying.
    """

    identity: SigningIdentity
    timestamping: Timestamping | None = None
    trust_anchors: tuple[x509.Certificate, ...] = ()
    intermediates: tuple[x509.Certificate, ...] = ()
    tsa_anchors: tuple[x509.Certificate, ...] = ()

    def anchors(self) -> tuple[x509.Certificate, ...]:
        return self.trust_anchors or (self.identity.certificate,)


# -- sealing -------------------------------------------------------------------------------
def seal(
    db: Database,
    tenant: str,
    offers: StorageOffers,
    sealing: Sealing,
    *,
    now: datetime | None = None,
) -> SealedCheckpoint:
    """Seal the current head of the tenant's log (the scheduler calls it, and every acceptance).

    Nothing new since the latest checkpoint (but that checkpoint's own ``log.sealed`` entry):
    the latest is returned and nothing is written. Otherwise the checkpoint and its signature
    are stored on every offer, then indexed and logged in one transaction. Raises
    ``CheckpointRaced`` if another process recorded a checkpoint meanwhile (call again).
    """
    with _lock(db.name, tenant):
        with db.reading(tenant) as uow:
            seq, head = uow.log.head()
            latest = uow.checkpoints.latest()
            if latest is not None and _nothing_since(uow.log, latest, seq):
                return latest
        at = (now or datetime.now(UTC)).astimezone(UTC)
        checkpoint = Checkpoint(
            seq,
            head,
            at,
            latest.checkpoint_id if latest else None,
            latest.signature_id if latest else None,
            scope=tenant,
        )
        sealed = _store(offers, sealing, checkpoint)
        _record(db, tenant, sealed, latest)
        return sealed


def sealer(
    db: Database, tenant: str, offers: StorageOffers, sealing: Sealing | None
) -> Callable[[], SealedCheckpoint] | None:
    """What an acceptance calls to seal the log, or None when sealing is not configured."""
    if sealing is None:
        return None
    return lambda: seal(db, tenant, offers, sealing)


def _nothing_since(log: OperationLog, latest: SealedCheckpoint, seq: int) -> bool:
    if seq == latest.checkpoint.seq:
        return True
    after = log.entry_at(latest.checkpoint.seq + 1)
    return (
        seq == latest.checkpoint.seq + 1
        and after is not None
        and after.action == "log.sealed"
        and after.object_id == latest.checkpoint_id
    )


def _store(offers: StorageOffers, sealing: Sealing, checkpoint: Checkpoint) -> SealedCheckpoint:
    data = checkpoint.to_json()
    signature = sign_content(data, sealing.identity, signing_time=checkpoint.at)
    stamping = sealing.timestamping
    if stamping is not None:
        signature = timestamp_signature(stamping.client, stamping.url, signature)
    stored = offers.store(iter([data]))
    signed = offers.store(iter([signature]))
    # A seal has no end of its own: the locking offers keep it their minimum (as a Keep archive).
    offers.retain({stored.object_id: [None], signed.object_id: [None]}, checkpoint.at.date())
    return SealedCheckpoint(checkpoint, stored.object_id, signed.object_id, stamping is not None)


def _record(
    db: Database, tenant: str, sealed: SealedCheckpoint, latest: SealedCheckpoint | None
) -> None:
    with db.unit_of_work(tenant) as uow:
        if _id(uow.checkpoints.latest()) != _id(latest):
            raise CheckpointRaced("Un autre point de scellement a été enregistré entre-temps")
        uow.checkpoints.add(sealed)
        details = {k: v for k, v in sealed.to_dict().items() if k != "checkpoint_id"}
        uow.log.append(
            LogSpec("sae", "log.sealed", "log_checkpoint", sealed.checkpoint_id, tenant, details),
            at=sealed.checkpoint.at,
        )
        uow.commit()


def _id(sealed: SealedCheckpoint | None) -> str | None:
    return None if sealed is None else sealed.checkpoint_id


def _lock(database: str, tenant: str) -> threading.Lock:
    # Two acceptances sealing one chain at once in this process wait for each other instead of
    # racing.
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((database, tenant), threading.Lock())


def timestamp_token(signature: bytes) -> bytes | None:
    """The RFC 3161 token a CAdES-T signature carries (id-aa-signatureTimeStampToken)."""
    try:
        signer = cms.parse_signed_data(signature).signer_infos[0]
        for raw in signer.unsigned_attributes:
            attribute_type, values = der.decode(raw).children()
            if der.read_oid(attribute_type) == cms.ATTR_SIGNATURE_TIME_STAMP:
                return values.children()[0].raw
    except (ValueError, IndexError):
        return None
    return None
