"""Sealed checkpoints of the operation log, kept on the storage offers (NF Z42-013 sealing).

A hash chain proves that no entry was edited, but not that the last ones were not deleted, nor
that someone with write access did not rewrite an entry and re-hash everything after it. A
checkpoint fixes the head: ``{seq, head hash, time, organisation scope "all", previous
checkpoint}`` as canonical JSON, signed with the repository's ``SigningIdentity`` (detached
CAdES-BES, ETSI EN 319 122-1) and, when a TSA is configured, time-stamped (CAdES-T, RFC 3161).
Both objects go to EVERY storage offer through ``StorageOffers.store`` (digests in the registry,
apart from the database), and the ``log_checkpoints`` table of ``transfers.sqlite`` indexes them.

Finding them back from the offers alone and verifying the log against them:
``sae.checkpoint_verify``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx
from cryptography import x509

from kernel.errors import ConflictError
from kernel.oplog import LogSpec
from kernel.signing import cms, der
from kernel.signing.cms import sign_content
from kernel.signing.keys import SigningIdentity
from kernel.signing.tsa import timestamp_signature
from sae import journal
from sae.offers import StorageOffers
from sae.store import TransferStore

MARKER: Final = "gedsae.sae.log-checkpoint"
JSON_PREFIX: Final = b'{"type":"' + MARKER.encode() + b'"'
FORMAT_VERSION: Final = 1
SCOPE_ALL: Final = "all"
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class CheckpointRaced(ConflictError):
    """Another process sealed between reading the latest checkpoint and recording this one."""

    code = "checkpoint_raced"
    title = "Un autre scellement vient d'être enregistré"


class MalformedCheckpoint(ValueError):
    """An object that is not a checkpoint of this format."""


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


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str
    at: datetime
    previous: str | None = None  # object id (SHA-256) of the previous checkpoint's JSON
    previous_signature: str | None = None
    scope: str = SCOPE_ALL

    def to_json(self) -> bytes:
        """Canonical bytes; ``type`` comes first so that a scan recognises them by prefix."""
        fields = {
            "type": MARKER,
            "version": FORMAT_VERSION,
            "seq": self.seq,
            "head": self.head,
            "at": self.at.isoformat(),
            "organisation_scope": self.scope,
            "previous": self.previous,
            "previous_signature": self.previous_signature,
        }
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Checkpoint:
        try:
            fields = json.loads(data)
            if not data.startswith(JSON_PREFIX) or fields["version"] != FORMAT_VERSION:
                raise MalformedCheckpoint("marqueur ou version de point de scellement inconnus")
            return cls(
                seq=int(fields["seq"]),
                head=str(fields["head"]),
                at=datetime.fromisoformat(fields["at"]),
                previous=fields["previous"],
                previous_signature=fields["previous_signature"],
                scope=str(fields["organisation_scope"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedCheckpoint(f"point de scellement illisible : {exc}") from exc


@dataclass(frozen=True)
class SealedCheckpoint:
    checkpoint: Checkpoint
    checkpoint_id: str  # SHA-256 of the JSON: its object id on the offers
    signature_id: str
    timestamped: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint_id": self.checkpoint_id,
            "signature_id": self.signature_id,
            "seq": self.checkpoint.seq,
            "head": self.checkpoint.head,
            "at": self.checkpoint.at.isoformat(),
            "timestamped": self.timestamped,
        }


# -- sealing -------------------------------------------------------------------------------
def seal(
    store: TransferStore,
    offers: StorageOffers,
    sealing: Sealing,
    *,
    now: datetime | None = None,
) -> SealedCheckpoint:
    """Seal the current head of the log (the scheduler calls it, and every acceptance).

    Nothing new since the latest checkpoint (but that checkpoint's own ``log.sealed`` entry):
    the latest is returned and nothing is written. Otherwise the checkpoint and its signature
    are stored on every offer, then indexed and logged in one transaction. Raises
    ``CheckpointRaced`` if another process recorded a checkpoint meanwhile (call again).
    """
    with _lock(store.path):
        with journal.reading(store.path) as conn:
            seq, head = journal.head(conn)
            latest = latest_recorded(conn)
            if latest is not None and _nothing_since(conn, latest, seq):
                return latest
        at = (now or datetime.now(UTC)).astimezone(UTC)
        checkpoint = Checkpoint(
            seq,
            head,
            at,
            latest.checkpoint_id if latest else None,
            latest.signature_id if latest else None,
        )
        sealed = _store(offers, sealing, checkpoint)
        with store.transaction() as conn:
            _record(conn, sealed, latest)
        return sealed


def sealer(
    store: TransferStore, offers: StorageOffers, sealing: Sealing | None
) -> Callable[[], SealedCheckpoint] | None:
    """What an acceptance calls to seal the log, or None when sealing is not configured."""
    if sealing is None:
        return None
    return lambda: seal(store, offers, sealing)


def _nothing_since(conn: sqlite3.Connection, latest: SealedCheckpoint, seq: int) -> bool:
    if seq == latest.checkpoint.seq:
        return True
    after = journal.entry_at(conn, latest.checkpoint.seq + 1)
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
    return SealedCheckpoint(checkpoint, stored.object_id, signed.object_id, stamping is not None)


def _record(
    conn: sqlite3.Connection, sealed: SealedCheckpoint, latest: SealedCheckpoint | None
) -> None:
    current = latest_recorded(conn)
    if _id(current) != _id(latest):
        raise CheckpointRaced("Un autre point de scellement a été enregistré entre-temps")
    checkpoint = sealed.checkpoint
    conn.execute(
        "INSERT INTO log_checkpoints VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            sealed.checkpoint_id,
            sealed.signature_id,
            checkpoint.seq,
            checkpoint.head,
            checkpoint.at.isoformat(),
            checkpoint.previous,
            int(sealed.timestamped),
        ),
    )
    details = {k: v for k, v in sealed.to_dict().items() if k != "checkpoint_id"}
    journal.append(
        conn,
        LogSpec("sae", "log.sealed", "log_checkpoint", sealed.checkpoint_id, None, details),
        at=checkpoint.at,
    )


def _id(sealed: SealedCheckpoint | None) -> str | None:
    return None if sealed is None else sealed.checkpoint_id


def _lock(path: Path) -> threading.Lock:
    # Two acceptances sealing at once in this process wait for each other instead of racing.
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path.resolve(), threading.Lock())


def recorded(conn: sqlite3.Connection) -> list[SealedCheckpoint]:
    """The table's checkpoints, oldest first (an index only: verification reads the JSON)."""
    rows = conn.execute(
        "SELECT checkpoint_id, signature_id, seq, head, at, previous_id, timestamped "
        "FROM log_checkpoints ORDER BY rowid"
    ).fetchall()
    return [_from_row(r) for r in rows]


def latest_recorded(conn: sqlite3.Connection) -> SealedCheckpoint | None:
    row = conn.execute(
        "SELECT checkpoint_id, signature_id, seq, head, at, previous_id, timestamped "
        "FROM log_checkpoints ORDER BY rowid DESC LIMIT 1"
    ).fetchone()
    return None if row is None else _from_row(row)


def _from_row(row: Sequence[Any]) -> SealedCheckpoint:
    checkpoint = Checkpoint(row[2], row[3], datetime.fromisoformat(row[4]), row[5])
    return SealedCheckpoint(checkpoint, row[0], row[1], bool(row[6]))


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
