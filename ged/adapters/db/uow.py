"""Unit of work over one SQL transaction, with the operation log appended in it.

SQLite: ``BEGIN IMMEDIATE`` takes the write lock up front (see engine.py); when another writer
holds it past the busy timeout we retry a few times with back-off, then answer 503.
PostgreSQL: appends to the operation log are serialised by a transaction-level advisory lock,
so the chain has exactly one head.
A database that runs out of disk in the middle of a transaction (SQLite ``SQLITE_FULL``,
PostgreSQL SQLSTATE 53100 ``disk_full``) has the transaction rolled back whole and answers
``StorageFull`` (507), as a blob store does.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from ged.adapters.db import tables as t
from ged.adapters.db.access_repository import SqlAccessRepository
from ged.adapters.db.account_repository import SqlAccountRepository
from ged.adapters.db.fixity_repository import SqlFixityRepository
from ged.adapters.db.inbound_repository import SqlInboundRepository
from ged.adapters.db.incoming_repository import SqlIncomingRepository
from ged.adapters.db.lifecycle_repository import SqlLifecycleRepository
from ged.adapters.db.relation_repository import SqlRelationRepository
from ged.adapters.db.repository import SqlRepository
from ged.adapters.db.rows import as_utc
from ged.adapters.db.signature_repository import SqlSignatureRepository
from ged.adapters.db.transfer_repository import SqlTransferRepository
from ged.adapters.db.webhook_repository import SqlWebhookRepository
from kernel.database import (
    DatabaseBusy,
    DatabaseUnavailable,
    insert_many,
    is_disk_full,
    is_locked,
    storage_full,
)
from kernel.oplog import GENESIS, LogEntry, LogSpec, entry_hash

log = logging.getLogger("gedsae.db")
OPLOG_LOCK = 7_291_004  # arbitrary advisory-lock key for the operation-log head


class SqlUnitOfWork:
    repo: SqlRepository

    def __init__(self, engine: Engine, clock: Callable[[], datetime], retries: int = 5) -> None:
        self.engine = engine
        self.clock = clock
        self.retries = retries
        self._conn: Connection | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self._conn = self._begin()
        self.repo = SqlRepository(self._conn)
        return self

    def _begin(self) -> Connection:
        delay = 0.05
        for attempt in range(self.retries + 1):
            conn: Connection | None = None
            try:
                conn = self.engine.connect()
                conn.begin()
                return conn
            except DBAPIError as exc:
                if conn is not None:
                    conn.close()
                if is_disk_full(exc):
                    raise storage_full(exc) from exc
                if not is_locked(exc):
                    raise DatabaseUnavailable(str(exc.orig), retry_after=5) from exc
                if attempt == self.retries:
                    detail = "La base de données est verrouillée par une autre écriture"
                    raise DatabaseBusy(detail, retry_after=2) from exc
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def __exit__(self, *exc_info: object) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()
        error = exc_info[1] if len(exc_info) > 1 else None
        if isinstance(error, DBAPIError) and is_disk_full(error):
            raise storage_full(error) from error

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its with-block")
        return self._conn

    def commit(self) -> None:
        try:
            self.conn.commit()
        except OperationalError as exc:
            if is_locked(exc):
                raise DatabaseBusy("La base de données est verrouillée", retry_after=2) from exc
            raise

    def log(
        self,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        organisation_id: str | None,
        details: dict[str, Any] | None = None,
    ) -> LogEntry:
        spec = LogSpec(actor, action, object_type, object_id, organisation_id, details or {})
        return self.log_many([spec])[0]

    def log_many(self, specs: list[LogSpec]) -> list[LogEntry]:
        """Appends entries in order, chained, in one round trip."""
        if not specs:
            return []
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": OPLOG_LOCK})
        head = self.conn.execute(
            select(t.oplog.c.seq, t.oplog.c.hash).order_by(t.oplog.c.seq.desc()).limit(1)
        ).first()
        seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
        at = as_utc(self.clock())
        entries, rows = [], []
        for spec in specs:
            fields: dict[str, Any] = {**spec.__dict__, "seq": seq, "at": at, "prev_hash": prev}
            digest = entry_hash(**fields)
            entries.append(LogEntry(**fields, hash=digest))
            rows.append(
                {**fields, "details": json.dumps(spec.details, sort_keys=True), "hash": digest}
            )
            seq, prev = seq + 1, digest
        insert_many(self.conn, t.oplog, rows)
        return entries

    def iter_log(self) -> Iterator[LogEntry]:
        result = self.conn.execute(select(t.oplog).order_by(t.oplog.c.seq)).mappings()
        for row in result:
            yield LogEntry(
                seq=row["seq"],
                at=as_utc(row["at"]),
                organisation_id=row["organisation_id"],
                actor=row["actor"],
                action=row["action"],
                object_type=row["object_type"],
                object_id=row["object_id"],
                details=json.loads(row["details"]),
                prev_hash=row["prev_hash"],
                hash=row["hash"],
            )

    @property
    def access(self) -> SqlAccessRepository:
        """Role grants, on this unit of work's connection."""
        return SqlAccessRepository(self.conn)

    @property
    def accounts(self) -> SqlAccountRepository:
        """People's accounts, identities and web sessions, on this unit of work's connection."""
        return SqlAccountRepository(self.conn)

    @property
    def lifecycle(self) -> SqlLifecycleRepository:
        """The lifecycle's queries, on this unit of work's connection."""
        return SqlLifecycleRepository(self.conn)

    @property
    def webhooks(self) -> SqlWebhookRepository:
        """Webhooks and their queue of deliveries, on this unit of work's connection."""
        return SqlWebhookRepository(self.conn)

    @property
    def transfers(self) -> SqlTransferRepository:
        """Transfers to an archival repository, on this unit of work's connection."""
        return SqlTransferRepository(self.conn)

    @property
    def incoming(self) -> SqlIncomingRepository:
        """What the repository said to the producer, on this unit of work's connection."""
        return SqlIncomingRepository(self.conn)

    @property
    def relations(self) -> SqlRelationRepository:
        """Relations between documents, on this unit of work's connection."""
        return SqlRelationRepository(self.conn)

    @property
    def signatures(self) -> SqlSignatureRepository:
        """Signature reports, on this unit of work's connection."""
        return SqlSignatureRepository(self.conn)

    @property
    def fixity(self) -> SqlFixityRepository:
        """Recorded blobs and their damage, on this unit of work's connection."""
        return SqlFixityRepository(self.conn)

    @property
    def inbound(self) -> SqlInboundRepository:
        """Imports from the business systems, on this unit of work's connection."""
        return SqlInboundRepository(self.conn)
