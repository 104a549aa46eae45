"""Tamper-evident operation log: a hash chain over every state change.

Each entry's hash is SHA-256 over a canonical JSON form of its fields and the previous entry's
hash, so editing, deleting, inserting or reordering an entry breaks the chain at that entry.
(Truncating the tail is detected only against a sealed checkpoint of the chain head.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class LogSpec:
    """What to append: the log itself assigns sequence, time and hashes."""

    actor: str
    action: str
    object_type: str
    object_id: str
    organisation_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class LogEntry:
    seq: int
    at: datetime
    organisation_id: str | None
    actor: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


# What json.dumps would build for these options on every call (a bulk import logs thousands).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(entry_fields: dict[str, Any]) -> bytes:
    return _CANONICAL.encode(entry_fields).encode()


def entry_hash(
    *,
    seq: int,
    at: datetime,
    organisation_id: str | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    payload = canonical(
        {
            "seq": seq,
            "at": at.isoformat(),
            "organisation_id": organisation_id,
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "details": details,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(payload).hexdigest()


def recompute(entry: LogEntry) -> str:
    return entry_hash(
        seq=entry.seq,
        at=entry.at,
        organisation_id=entry.organisation_id,
        actor=entry.actor,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        details=entry.details,
        prev_hash=entry.prev_hash,
    )


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str  # edited | deleted_or_inserted | reordered | sequence_gap
    message: str


@dataclass(frozen=True)
class VerifyReport:
    entries: int
    head: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(entries: Iterable[LogEntry]) -> VerifyReport:
    """Walks the chain in ``seq`` order and names the first entry that does not hold."""
    prev_hash, expected_seq, count = GENESIS, 1, 0
    for entry in entries:
        count += 1
        problem = _check(entry, prev_hash, expected_seq)
        if problem:
            return VerifyReport(entries=count, head=prev_hash, first_break=problem)
        prev_hash, expected_seq = entry.hash, entry.seq + 1
    return VerifyReport(entries=count, head=prev_hash, first_break=None)


def _check(entry: LogEntry, prev_hash: str, expected_seq: int) -> ChainBreak | None:
    if entry.seq < expected_seq:
        return ChainBreak(entry.seq, "reordered", f"entrée {entry.seq} hors d'ordre")
    if recompute(entry) != entry.hash:
        return ChainBreak(entry.seq, "edited", f"entrée {entry.seq} modifiée : empreinte invalide")
    if entry.prev_hash != prev_hash:
        return ChainBreak(
            entry.seq,
            "deleted_or_inserted",
            f"entrée {entry.seq} : l'empreinte précédente ne correspond pas "
            "(entrée supprimée, insérée ou déplacée avant elle)",
        )
    if entry.seq != expected_seq:
        return ChainBreak(entry.seq, "sequence_gap", f"entrée {expected_seq} manquante")
    return None
