"""Verification of the operation log against its sealed checkpoints (NF Z42-013 sealing).

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from cryptography import x509

from kernel.errors import GedsaeError
from kernel.oplog import VerifyReport
from kernel.signing import cms, der
from kernel.signing.tsa import verify_token
from kernel.signing.verify import verify_content
from sae.journal.checkpoints import timestamp_token
from sae.journal.log import verify
from sae.model import CHECKPOINT_PREFIX, Checkpoint, MalformedCheckpoint, SealedCheckpoint
from sae.ports import Database, OperationLog
from sae.storage.offers import StorageOffers

# Objects larger than this are neither checkpoints nor their signatures (certificates and a
# time-stamp token included): ``discover`` does not read them.
MAX_SEALED_BYTES: Final = 64 * 1024


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
        if data.startswith(CHECKPOINT_PREFIX):
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
    except GedsaeError:
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
    db: Database,
    tenant: str,
    offers: StorageOffers,
    trust_anchors: Sequence[x509.Certificate],
    *,
    intermediates: Sequence[x509.Certificate] = (),
    tsa_anchors: Sequence[x509.Certificate] = (),
    scan_offers: bool = False,
) -> CheckpointReport:
    """The tenant's chain, then every checkpoint: signed by a trusted key, its head still in the
    log.

    Checkpoints come from the table, from the ``previous`` links of the latest one (rows
    deleted from the table are found again), and with ``scan_offers`` from every small object on
    the offers (rows deleted at the tail; slower: see ``discover``).
    """
    report = CheckpointReport(verify(db, tenant))
    if report.log.first_break is not None:
        brk = report.log.first_break
        report.add(CheckpointCode.LOG_CHAIN_BROKEN, f"{brk.reason} : {brk.message}", None)
    with db.reading(tenant) as uow:
        table = uow.checkpoints.recorded()
        chain = _linked(offers, table, report)
        if scan_offers:
            _add_discovered(offers, chain, report)
        checker = _Checker(uow.log, offers, trust_anchors, intermediates, tsa_anchors, report)
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
    log: OperationLog
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
        entry = self.log.entry_at(checkpoint.seq)
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
