"""The operation log and the index of its sealed checkpoints on SQLite (``OperationLog``,
``CheckpointIndex``), in the ``operation_log`` and ``log_checkpoints`` tables.

An entry is written on the connection and in the transaction of the change it records: the
writing unit of work began IMMEDIATE, so it holds SQLite's write lock and no other writer can
append between reading the head and inserting. ``append`` outside a transaction is refused.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from kernel.oplog import GENESIS, LogEntry, LogSpec, entry_hash
from sae.model import Checkpoint, SealedCheckpoint

_COLUMNS: Final = (
    "seq, at, organisation_id, actor, action, object_type, object_id, details, prev_hash, hash"
)
_CHECKPOINT_COLUMNS: Final = "checkpoint_id, signature_id, seq, head, at, previous_id, timestamped"


class NotInTransaction(RuntimeError):
    """``append`` was called outside the transaction of the change it records."""


class SqliteOperationLog:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def append(self, spec: LogSpec, *, at: datetime | None = None) -> LogEntry:
        if not self.conn.in_transaction:
            raise NotInTransaction(
                f"entrée {spec.action} hors de la transaction de la modification"
            )
        seq, prev = self.head()
        fields: dict[str, Any] = {
            **spec.__dict__,
            "seq": seq + 1,
            "at": (at or datetime.now(UTC)).astimezone(UTC),
            "prev_hash": prev,
        }
        entry = LogEntry(**fields, hash=entry_hash(**fields))
        self.conn.execute(
            f"INSERT INTO operation_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            _row(entry),
        )
        return entry

    def head(self) -> tuple[int, str]:
        row = self.conn.execute(
            "SELECT seq, hash FROM operation_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def entries(self, after: int = 0) -> Iterator[LogEntry]:
        cursor = self.conn.execute(
            f"SELECT {_COLUMNS} FROM operation_log WHERE seq > ? ORDER BY seq",  # noqa: S608
            (after,),
        )
        for row in cursor:
            yield _entry(row)

    def entry_at(self, seq: int) -> LogEntry | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM operation_log WHERE seq = ?",  # noqa: S608
            (seq,),
        ).fetchone()
        return None if row is None else _entry(row)


class SqliteCheckpointIndex:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def recorded(self) -> list[SealedCheckpoint]:
        rows = self.conn.execute(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM log_checkpoints ORDER BY rowid"  # noqa: S608
        ).fetchall()
        return [_checkpoint(r) for r in rows]

    def latest(self) -> SealedCheckpoint | None:
        row = self.conn.execute(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM log_checkpoints ORDER BY rowid DESC LIMIT 1"  # noqa: S608
        ).fetchone()
        return None if row is None else _checkpoint(row)

    def add(self, sealed: SealedCheckpoint) -> None:
        checkpoint = sealed.checkpoint
        self.conn.execute(
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


def _row(entry: LogEntry) -> tuple[Any, ...]:
    details = json.dumps(entry.details, sort_keys=True, ensure_ascii=False)
    return (
        entry.seq,
        entry.at.isoformat(),
        entry.organisation_id,
        entry.actor,
        entry.action,
        entry.object_type,
        entry.object_id,
        details,
        entry.prev_hash,
        entry.hash,
    )


def _entry(row: Sequence[Any]) -> LogEntry:
    return LogEntry(
        seq=row[0],
        at=datetime.fromisoformat(row[1]),
        organisation_id=row[2],
        actor=row[3],
        action=row[4],
        object_type=row[5],
        object_id=row[6],
        details=json.loads(row[7]),
        prev_hash=row[8],
        hash=row[9],
    )


def _checkpoint(row: Sequence[Any]) -> SealedCheckpoint:
    checkpoint = Checkpoint(row[2], row[3], datetime.fromisoformat(row[4]), row[5])
    return SealedCheckpoint(checkpoint, row[0], row[1], bool(row[6]))
