"""Operation log of the archival repository: a hash chain in the repository's own database.

NF Z42-013 and ISO 14641 ask an archiving system to keep a log of its operations (receipt,
checks, decisions, audits and repairs) whose integrity can be proven. The chain is the GED's
(``kernel.oplog``: SHA-256 over a canonical JSON form of each entry and of the previous
entry's hash, so editing, deleting, inserting or reordering an entry breaks it there); the
entries live in the ``operation_log`` table of ``transfers.sqlite``, beside the transfers.

An entry is written on the SAME connection and in the SAME transaction as the change it records
(``append``): a decision without its entry, or an entry without its decision, is never
committed. Deleting the last entries leaves a chain that still verifies; that is caught only
against the sealed checkpoints of ``sae.checkpoints``, whose table is declared here too so that
``TransferStore`` creates every table of the log at once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kernel.oplog import GENESIS, LogEntry, LogSpec, VerifyReport, entry_hash, verify_chain
from sae.database import connect

if TYPE_CHECKING:
    from sae.audit import AuditReport
    from sae.store import TransferStore

SCHEMA = """
CREATE TABLE IF NOT EXISTS operation_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    organisation_id TEXT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS log_checkpoints (
    checkpoint_id TEXT PRIMARY KEY,
    signature_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    head TEXT NOT NULL,
    at TEXT NOT NULL,
    previous_id TEXT UNIQUE,
    timestamped INTEGER NOT NULL
);
"""
_COLUMNS = (
    "seq, at, organisation_id, actor, action, object_type, object_id, details, prev_hash, hash"
)


class NotInTransaction(RuntimeError):
    """``append`` was called outside the transaction of the change it records."""


def append(conn: sqlite3.Connection, spec: LogSpec, *, at: datetime | None = None) -> LogEntry:
    """Chain one entry after the current head, on ``conn``, inside the caller's transaction.

    Call it after the change's own INSERT/UPDATE on the same connection (the transaction then
    already holds SQLite's write lock, so no other writer can append between reading the head
    and inserting), or inside ``TransferStore.transaction()``, which begins IMMEDIATE. Nothing
    is committed here: the caller's transaction commits the change and its entry together.
    """
    if not conn.in_transaction:
        raise NotInTransaction(f"entrée {spec.action} hors de la transaction de la modification")
    seq, prev = head(conn)
    fields: dict[str, Any] = {
        **spec.__dict__,
        "seq": seq + 1,
        "at": (at or datetime.now(UTC)).astimezone(UTC),
        "prev_hash": prev,
    }
    entry = LogEntry(**fields, hash=entry_hash(**fields))
    conn.execute(
        f"INSERT INTO operation_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        _row(entry),
    )
    return entry


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    """``(seq, hash)`` of the last entry; ``(0, GENESIS)`` for an empty log."""
    row = conn.execute("SELECT seq, hash FROM operation_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def record(store: TransferStore, spec: LogSpec) -> LogEntry:
    """An entry that goes with no other change of the database (an audit, a seal)."""
    with store.transaction() as conn:
        return append(conn, spec)


def log_audit(store: TransferStore, report: AuditReport, *, actor: str = "audit") -> LogEntry:
    """One entry per fixity audit: its counts and every finding (repairs, quarantines...)."""
    summary = report.to_dict()
    return record(
        store,
        LogSpec(
            actor=actor,
            action="audit.completed",
            object_type="storage_offers",
            object_id="all",
            organisation_id=None,
            details=summary,
        ),
    )


def entries(conn: sqlite3.Connection, *, after: int = 0) -> Iterator[LogEntry]:
    """Entries in ``seq`` order, read one at a time (the log is never loaded whole)."""
    cursor = conn.execute(
        f"SELECT {_COLUMNS} FROM operation_log WHERE seq > ? ORDER BY seq",  # noqa: S608
        (after,),
    )
    for row in cursor:
        yield _entry(row)


def entry_at(conn: sqlite3.Connection, seq: int) -> LogEntry | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM operation_log WHERE seq = ?",  # noqa: S608
        (seq,),
    ).fetchone()
    return None if row is None else _entry(row)


def verify(store_path: Path | str) -> VerifyReport:
    """Walk the whole chain of the database at ``store_path``; names the first broken entry."""
    with reading(store_path) as conn:
        return verify_chain(entries(conn))


@contextmanager
def reading(store_path: Path | str) -> Iterator[sqlite3.Connection]:
    """A connection for reading the log; the file must exist (never created by a check)."""
    path = Path(store_path)
    if not path.is_file():
        raise FileNotFoundError(f"base du dépôt introuvable : {path}")
    with connect(path) as conn:
        yield conn


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


def _entry(row: tuple[Any, ...]) -> LogEntry:
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
