"""A tenant's operation log and the index of its sealed checkpoints (``OperationLog``,
``CheckpointIndex``), in the ``operation_log`` and ``log_checkpoints`` tables.

An entry is written on the connection and in the transaction of the change it records. The
writing unit of work holds its tenant's write lock (PostgreSQL: the tenant's advisory lock;
SQLite: the database's, taken by BEGIN IMMEDIATE), so no other writer can append to the chain
between reading its head and inserting; ``(tenant, seq)`` and ``(tenant, prev_hash)`` being
unique, a fork could not be committed anyway. ``append`` in a reading unit of work is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, insert, select

from kernel.oplog import GENESIS, LogEntry, LogSpec, entry_hash
from kernel.paging import Page
from sae.adapters.db import tables as t
from sae.model import Checkpoint, SealedCheckpoint

_LOG: Final = t.operation_log
_CHECKPOINTS: Final = t.log_checkpoints
_ENTRY_COLUMNS: Final = tuple(LogEntry.__dataclass_fields__)
# Entries read from the database per round trip while the chain is walked.
_BATCH: Final = 1000


class NotInTransaction(RuntimeError):
    """``append`` was called outside a writing transaction (the change it records is not in
    one either)."""


class SqlOperationLog:
    def __init__(self, conn: Connection, tenant: str, *, writing: bool) -> None:
        self.conn = conn
        self.tenant = tenant
        self.writing = writing

    def append(self, spec: LogSpec, *, at: datetime | None = None) -> LogEntry:
        if not self.writing:
            raise NotInTransaction(f"entrée {spec.action} hors d'une transaction d'écriture")
        seq, prev = self.head()
        fields: dict[str, Any] = {
            **spec.__dict__,
            "seq": seq + 1,
            "at": (at or datetime.now(UTC)).astimezone(UTC),
            "prev_hash": prev,
        }
        entry = LogEntry(**fields, hash=entry_hash(**fields))
        self.conn.execute(insert(_LOG), {**_row(entry), "tenant": self.tenant})
        return entry

    def head(self) -> tuple[int, str]:
        query = (
            select(_LOG.c.seq, _LOG.c.hash)
            .where(_LOG.c.tenant == self.tenant)
            .order_by(_LOG.c.seq.desc())
            .limit(1)
        )
        row = self.conn.execute(query).first()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def entries(self, after: int = 0) -> Iterator[LogEntry]:
        """Read by batches of ``_BATCH`` in ``seq`` order (no cursor held across batches)."""
        while True:
            query = self._select(_LOG.c.seq > after).order_by(_LOG.c.seq).limit(_BATCH)
            rows = [_entry(r._mapping) for r in self.conn.execute(query)]
            yield from rows
            if len(rows) < _BATCH:
                return
            after = rows[-1].seq

    def entry_at(self, seq: int) -> LogEntry | None:
        row = self.conn.execute(self._select(_LOG.c.seq == seq)).first()
        return None if row is None else _entry(row._mapping)

    def entry(self, entry_hash: str) -> LogEntry | None:
        row = self.conn.execute(self._select(_LOG.c.hash == entry_hash)).first()
        return None if row is None else _entry(row._mapping)

    def with_action(self, action: str, page: Page) -> list[LogEntry]:
        query = (
            self._select(_LOG.c.action == action)
            .order_by(_LOG.c.seq.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return [_entry(r._mapping) for r in self.conn.execute(query)]

    def _select(self, condition: Any) -> Any:
        columns = [_LOG.c[name] for name in _ENTRY_COLUMNS]
        return select(*columns).where(_LOG.c.tenant == self.tenant, condition)


class SqlCheckpointIndex:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def recorded(self) -> list[SealedCheckpoint]:
        query = self._select().order_by(_CHECKPOINTS.c.seq, _CHECKPOINTS.c.at)
        return [_checkpoint(r._mapping) for r in self.conn.execute(query)]

    def latest(self) -> SealedCheckpoint | None:
        query = self._select().order_by(_CHECKPOINTS.c.seq.desc(), _CHECKPOINTS.c.at.desc())
        row = self.conn.execute(query.limit(1)).first()
        return None if row is None else _checkpoint(row._mapping)

    def add(self, sealed: SealedCheckpoint) -> None:
        checkpoint = sealed.checkpoint
        row = {
            "tenant": self.tenant,
            "checkpoint_id": sealed.checkpoint_id,
            "signature_id": sealed.signature_id,
            "seq": checkpoint.seq,
            "head": checkpoint.head,
            "at": checkpoint.at,
            "previous_id": checkpoint.previous,
            "timestamped": sealed.timestamped,
        }
        self.conn.execute(insert(_CHECKPOINTS), row)

    def _select(self) -> Any:
        return select(_CHECKPOINTS).where(_CHECKPOINTS.c.tenant == self.tenant)


def _row(entry: LogEntry) -> dict[str, Any]:
    details = json.dumps(entry.details, sort_keys=True, ensure_ascii=False)
    return {**entry.__dict__, "details": details}


def _entry(row: Mapping[Any, Any]) -> LogEntry:
    values = {name: row[name] for name in _ENTRY_COLUMNS}
    return LogEntry(**{**values, "seq": int(values["seq"]), "details": json.loads(row["details"])})


def _checkpoint(row: Mapping[Any, Any]) -> SealedCheckpoint:
    checkpoint = Checkpoint(
        int(row["seq"]), row["head"], row["at"], row["previous_id"], scope=row["tenant"]
    )
    return SealedCheckpoint(
        checkpoint, row["checkpoint_id"], row["signature_id"], row["timestamped"]
    )
