"""Sealed checkpoints of the operation log, kept on the storage offers (NF Z42-013 sealing).

A hash chain proves that no entry was edited, but not that the last ones were not deleted, nor
that someone with write access did not rewrite an entry and re-hash everything after it. A
checkpoint fixes the head: ``{seq, head hash, time, organisation scope "all", previous
checkpoint}`` as canonical JSON, signed with the repository's ``SigningIdentity`` (detached
CAdES-BES, ETSI EN 319 122-1) and, when a TSA is configured, time-stamped (CAdES-T, RFC 3161).
Both objects go to EVERY storage offer through ``StorageOffers.store`` (digests in the registry,
apart from the database), and the ``log_checkpoints`` table of ``transfers.sqlite`` indexes them.

Finding the checkpoints back from the offers alone (the database lost or not trusted):

* each checkpoint names the previous one (``previous`` = its object id, the SHA-256 of its
  JSON, and ``previous_signature``), so from any checkpoint the whole chain back to the first
  one can be fetched from the offers;
* the latest is found by ``discover``: it reads every small registered object and keeps those
  that start with the checkpoint marker; a signature is recognised by its CMS
  ``messageDigest`` attribute, which is the SHA-256 of the checkpoint it signs, that is the
  checkpoint's object id. The latest checkpoint is the one no other names as previous.
* an auditor then runs ``verify_with_checkpoints(..., scan_offers=True)`` against whatever log
  is left: a log shorter than a checkpoint is ``log_truncated``, a log whose entry at the
  checkpoint's ``seq`` has another hash is ``log_rewritten``. (If the digest registry is lost
  too, the same scan can be made on one offer's files: their names are their SHA-256.)

Verification uses the checkpoint's own JSON (signed), never the table's copy of it.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import httpx
from cryptography import x509

from ged.domain.errors import ConflictError, GedError
from ged.domain.oplog import LogSpec, VerifyReport
from sae import journal
from sae.offers import StorageOffers
from sae.signing import cms, der
from sae.signing.cms import sign_content
from sae.signing.keys import SigningIdentity
from sae.signing.tsa import timestamp_signature, verify_token
from sae.signing.verify import verify_content
from sae.store import TransferStore

MARKER: Final = "gedsae.sae.log-checkpoint"
_PREFIX: Final = b'{"type":"' + MARKER.encode() + b'"'
FORMAT_VERSION: Final = 1
SCOPE_ALL: Final = "all"
# Objects larger than this are neither checkpoints nor their signatures (certificates and a
# time-stamp token included): ``discover`` does not read them.
MAX_SEALED_BYTES: Final = 64 * 1024
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
            if not data.startswith(_PREFIX) or fields["version"] != FORMAT_VERSION:
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


# -- finding checkpoints on the offers -------------------------------------------------------
def discover(offers: StorageOffers) -> list[SealedCheckpoint]:
    """Every checkpoint kept on the offers, with its signature, by seq (see the docstring)."""
    found: dict[str, Checkpoint] = {}
    signatures: dict[str, str] = {}
    for stored in offers.registry.iter_objects():
        if stored.size > MAX_SEALED_BYTES or stored.quarantined:
            continue
        data = _read(offers, stored.object_id)
        if data is None:
            continue
        if data.startswith(_PREFIX):
            try:
                found[stored.object_id] = Checkpoint.from_json(data)
            except MalformedCheckpoint:
                continue
        elif data[:1] == b"\x30":
            target = _signed_digest(data)
            if target is not None:
                signatures[target] = stored.object_id
    sealed = [
        SealedCheckpoint(cp, cid, signatures.get(cid, ""), False) for cid, cp in found.items()
    ]
    return sorted(sealed, key=lambda s: (s.checkpoint.seq, s.checkpoint.at))


def _read(offers: StorageOffers, object_id: str) -> bytes | None:
    try:
        with offers.open(object_id) as stream:
            return stream.read()
    except GedError:
        return None


def _signed_digest(data: bytes) -> str | None:
    """The hex SHA-256 a detached signature covers, read from its messageDigest attribute."""
    try:
        signer = cms.parse_signed_data(data).signer_infos[0]
        if cms.DigestAlgorithm.from_oid(signer.digest_algorithm) is not cms.DigestAlgorithm.SHA256:
            return None
        return der.read_octet_string(signer.attributes[cms.ATTR_MESSAGE_DIGEST][0]).hex()
    except (ValueError, IndexError, KeyError):
        return None


# -- verification ----------------------------------------------------------------------------
class CheckpointCode(StrEnum):
    LOG_CHAIN_BROKEN = "log_chain_broken"
    LOG_TRUNCATED = "log_truncated"
    LOG_REWRITTEN = "log_rewritten"
    CHECKPOINT_SIGNATURE_INVALID = "checkpoint_signature_invalid"
    CHECKPOINT_TIMESTAMP_INVALID = "checkpoint_timestamp_invalid"
    CHECKPOINT_UNREADABLE = "checkpoint_unreadable"
    CHECKPOINT_CHAIN_BROKEN = "checkpoint_chain_broken"
    CHECKPOINT_UNRECORDED = "checkpoint_unrecorded"


@dataclass(frozen=True)
class CheckpointFinding:
    code: CheckpointCode
    message: str
    checkpoint_id: str | None = None
    seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "checkpoint_id": self.checkpoint_id,
            "seq": self.seq,
            "message": self.message,
        }


@dataclass
class CheckpointReport:
    log: VerifyReport
    checkpoints_checked: int = 0
    latest: SealedCheckpoint | None = None
    findings: list[CheckpointFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def codes(self) -> set[CheckpointCode]:
        return {f.code for f in self.findings}

    def add(self, code: CheckpointCode, message: str, sealed: SealedCheckpoint | None) -> None:
        checkpoint_id = sealed.checkpoint_id if sealed else None
        seq = sealed.checkpoint.seq if sealed else None
        self.findings.append(CheckpointFinding(code, message, checkpoint_id, seq))

    def to_dict(self) -> dict[str, Any]:
        brk = self.log.first_break
        return {
            "ok": self.ok,
            "log": {
                "entries": self.log.entries,
                "head": self.log.head,
                "first_break": None
                if brk is None
                else {"seq": brk.seq, "reason": brk.reason, "message": brk.message},
            },
            "checkpoints_checked": self.checkpoints_checked,
            "latest_checkpoint": None if self.latest is None else self.latest.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
        }


def verify_with_checkpoints(
    store_path: Path | str,
    offers: StorageOffers,
    trust_anchors: Sequence[x509.Certificate],
    *,
    intermediates: Sequence[x509.Certificate] = (),
    tsa_anchors: Sequence[x509.Certificate] = (),
    scan_offers: bool = False,
) -> CheckpointReport:
    """The log's chain, then every checkpoint: signed by a trusted key, its head still in the log.

    Checkpoints come from the table, from the ``previous`` links of the latest one (rows
    deleted from the table are found again), and with ``scan_offers`` from every small object on
    the offers (rows deleted at the tail; slower: see ``discover``).
    """
    report = CheckpointReport(journal.verify(store_path))
    if report.log.first_break is not None:
        brk = report.log.first_break
        report.add(CheckpointCode.LOG_CHAIN_BROKEN, f"{brk.reason} : {brk.message}", None)
    with journal.reading(store_path) as conn:
        table = recorded(conn)
        chain = _linked(offers, table, report)
        if scan_offers:
            _add_discovered(offers, chain, report)
        checker = _Checker(conn, offers, trust_anchors, intermediates, tsa_anchors, report)
        for sealed in chain.values():
            checker.check(sealed)
    report.checkpoints_checked = len(chain)
    report.latest = max(chain.values(), key=lambda s: s.checkpoint.seq, default=None)
    return report


def _linked(
    offers: StorageOffers, table: list[SealedCheckpoint], report: CheckpointReport
) -> dict[str, SealedCheckpoint]:
    """Table rows plus what the latest's ``previous`` links reach; breaks are reported.

    Each row is replaced by the signed JSON read from the offers (the row is only an index);
    a row whose JSON cannot be read stays, and is reported unreadable when checked.
    """
    rows = [_load(offers, s.checkpoint_id, s.signature_id, s.timestamped) or s for s in table]
    chain = {s.checkpoint_id: s for s in rows}
    for earlier, later in itertools.pairwise(rows):
        if later.checkpoint.previous != earlier.checkpoint_id:
            message = f"le point {later.checkpoint_id} ne suit pas {earlier.checkpoint_id}"
            report.add(CheckpointCode.CHECKPOINT_CHAIN_BROKEN, message, later)
    cursor = rows[-1] if rows else None
    while cursor is not None and cursor.checkpoint.previous is not None:
        previous_id = cursor.checkpoint.previous
        if previous_id not in chain:
            found = _load(offers, previous_id, cursor.checkpoint.previous_signature or "")
            if found is None:
                message = f"le point précédent {previous_id} n'a pas pu être relu sur les offres"
                report.add(CheckpointCode.CHECKPOINT_CHAIN_BROKEN, message, cursor)
                return chain
            chain[previous_id] = found
            message = "point de scellement retrouvé sur les offres mais absent de la table"
            report.add(CheckpointCode.CHECKPOINT_UNRECORDED, message, found)
        cursor = chain[previous_id]
    return chain


def _add_discovered(
    offers: StorageOffers, chain: dict[str, SealedCheckpoint], report: CheckpointReport
) -> None:
    for sealed in discover(offers):
        if sealed.checkpoint_id not in chain:
            chain[sealed.checkpoint_id] = sealed
            message = "point de scellement présent sur les offres mais absent de la table"
            report.add(CheckpointCode.CHECKPOINT_UNRECORDED, message, sealed)


def _load(
    offers: StorageOffers, checkpoint_id: str, signature_id: str, timestamped: bool = False
) -> SealedCheckpoint | None:
    data = _read(offers, checkpoint_id)
    if data is None:
        return None
    try:
        checkpoint = Checkpoint.from_json(data)
        return SealedCheckpoint(checkpoint, checkpoint_id, signature_id, timestamped)
    except MalformedCheckpoint:
        return None


@dataclass
class _Checker:
    conn: sqlite3.Connection
    offers: StorageOffers
    trust_anchors: Sequence[x509.Certificate]
    intermediates: Sequence[x509.Certificate]
    tsa_anchors: Sequence[x509.Certificate]
    report: CheckpointReport

    def check(self, sealed: SealedCheckpoint) -> None:
        data = _read(self.offers, sealed.checkpoint_id)
        signature = _read(self.offers, sealed.signature_id) if sealed.signature_id else None
        if data is None or signature is None:
            what = "le point" if data is None else "sa signature"
            message = f"{what} n'a pas pu être relu sur les offres (absent ou altéré)"
            self.report.add(CheckpointCode.CHECKPOINT_UNREADABLE, message, sealed)
            if data is None:
                return
        try:
            checkpoint = Checkpoint.from_json(data)
        except MalformedCheckpoint as exc:
            self.report.add(CheckpointCode.CHECKPOINT_UNREADABLE, str(exc), sealed)
            return
        if signature is not None:
            self._signature(sealed, checkpoint, data, signature)
        self._against_log(sealed, checkpoint)

    def _signature(
        self, sealed: SealedCheckpoint, checkpoint: Checkpoint, data: bytes, signature: bytes
    ) -> None:
        result = verify_content(
            signature,
            data,
            self.trust_anchors,
            intermediates=self.intermediates,
            at=checkpoint.at,
        )
        if not result.valid:
            problems = ", ".join(sorted(str(code) for code in result.codes))
            message = f"signature du point de scellement invalide ({problems})"
            self.report.add(CheckpointCode.CHECKPOINT_SIGNATURE_INVALID, message, sealed)
            return
        token = timestamp_token(signature)
        if token is None or not self.tsa_anchors:
            return
        stamped = verify_token(token, cms.signature_value(signature), self.tsa_anchors)
        if not stamped.valid:
            problems = ", ".join(sorted(str(code) for code in stamped.codes))
            message = f"jeton d'horodatage invalide ({problems})"
            self.report.add(CheckpointCode.CHECKPOINT_TIMESTAMP_INVALID, message, sealed)

    def _against_log(self, sealed: SealedCheckpoint, checkpoint: Checkpoint) -> None:
        if checkpoint.seq == 0:
            return  # sealed an empty log: nothing can be missing before it
        entry = journal.entry_at(self.conn, checkpoint.seq)
        if entry is None:
            message = (
                f"le journal n'a plus d'entrée {checkpoint.seq}, scellée le "
                f"{checkpoint.at:%Y-%m-%d %H:%M:%S} : fin du journal supprimée"
            )
            self.report.add(CheckpointCode.LOG_TRUNCATED, message, sealed)
        elif entry.hash != checkpoint.head:
            message = (
                f"l'entrée {checkpoint.seq} n'a plus l'empreinte scellée le "
                f"{checkpoint.at:%Y-%m-%d %H:%M:%S} : journal réécrit"
            )
            self.report.add(CheckpointCode.LOG_REWRITTEN, message, sealed)


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
