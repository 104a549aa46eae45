"""The repository's database on SQLAlchemy Core (``Database``): units of work of one tenant,
the platform's unit of work, each tenant's digest registry, and token and session lookup.

Every transaction names its scope before its first query. On PostgreSQL the scope is set for
that transaction only (``set_config(…, true)``, the equivalent of ``SET LOCAL``, so a pooled
connection never carries it into the next one): ``gedsae.tenant`` (whose rows it sees: the
row-level security policies of ``sae.adapters.db.security`` read it), ``gedsae.platform``
(the tenants themselves), ``gedsae.token`` (the one token it authenticates) and
``gedsae.session`` (the one web session whose tenant it looks for). A writing
transaction of a tenant then takes that tenant's advisory lock, so what it reads (a transfer's
state, the log head) cannot go stale before it writes; tenants write in parallel. On SQLite a
writing transaction begins IMMEDIATE (one writer at a time), a reading one deferred (readers
never wait), and the tenant is held by the WHERE of every query alone.

A database that fills up, a lock held past the busy timeout or a server out of reach are
translated once (``kernel.database.translated_errors``): 507 or 503, nothing half-written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Final

from sqlalchemy import Connection, Engine, func, select, text

from kernel.database import translated_errors
from sae.adapters.db import tables as t
from sae.adapters.db.access import (
    SqlAccessRegister,
    SqlDeliveries,
    SqlDerogations,
    SqlEliminations,
    SqlMailbox,
    SqlRestitutions,
    SqlTombstones,
)
from sae.adapters.db.catalogue import SqlCatalogue
from sae.adapters.db.engine import WRITING
from sae.adapters.db.journal import SqlCheckpointIndex, SqlOperationLog
from sae.adapters.db.people import SqlPeople
from sae.adapters.db.registry import SqlDigestRegistry
from sae.adapters.db.scope import Scope
from sae.adapters.db.setup import SqlTenantSetup
from sae.adapters.db.spool import SqliteIdIndex, SqliteObjectNames, SqliteSpool
from sae.adapters.db.tenants import SqlTenantDirectory, SqlTokens, token_record
from sae.adapters.db.transfers import SqlTransferRepository
from sae.model import TokenRecord

DISK_FULL: Final = "Espace disque insuffisant pour la base du dépôt : rien n'a été enregistré"


class SqlDatabase:
    """The repository's database behind one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"

    @property
    def name(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def unit_of_work(self, tenant: str) -> SqlUnitOfWork:
        return SqlUnitOfWork(self, tenant, write=True)

    def reading(self, tenant: str) -> SqlUnitOfWork:
        return SqlUnitOfWork(self, tenant, write=False)

    def platform(self, *, write: bool = True) -> SqlPlatformUnitOfWork:
        return SqlPlatformUnitOfWork(self, write=write)

    def registry(self, tenant: str) -> SqlDigestRegistry:
        return SqlDigestRegistry(self, tenant)

    def spool(self) -> SqliteSpool:
        return SqliteSpool()

    def archive_pairs(self, tenant: str, transfer_id: str) -> str:
        """A transfer's archive identifiers (JSON), read when first asked (``ArchivePairs``)."""
        with self.reading(tenant) as uow:
            return uow.transfers.archive_identifiers_text(transfer_id)

    def id_index(self) -> SqliteIdIndex:
        return SqliteIdIndex()

    def object_names(self) -> SqliteObjectNames:
        return SqliteObjectNames()

    def token(self, digest: str) -> TokenRecord | None:
        with self.transaction(Scope(token=digest), write=False) as conn:
            row = conn.execute(select(t.tokens).where(t.tokens.c.digest == digest)).first()
        return None if row is None else token_record(row._mapping)

    def session_tenant(self, id_hash: str) -> str | None:
        sessions = t.web_sessions
        with self.transaction(Scope(session=id_hash), write=False) as conn:
            query = select(sessions.c.tenant).where(sessions.c.id_hash == id_hash)
            found = conn.execute(query).scalar_one_or_none()
        return None if found is None else str(found)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self, scope: Scope, *, write: bool) -> Iterator[Connection]:
        """A transaction of ``scope``, rolled back unless committed inside."""
        with translated_errors(DISK_FULL), self.engine.connect() as conn:
            if write:
                conn.execution_options(**{WRITING: True})
            transaction = conn.begin()
            try:
                if not write:
                    self._read_only(conn)
                self.enter(conn, scope, write=write)
                yield conn
            finally:
                if transaction.is_active:
                    transaction.rollback()

    def _read_only(self, conn: Connection) -> None:
        if self.postgres:
            conn.execute(text("SET TRANSACTION READ ONLY"))

    def enter(self, conn: Connection, scope: Scope, *, write: bool) -> None:
        """Sets the transaction's scope (PostgreSQL) and takes its tenant's write lock."""
        if not self.postgres:
            return
        settings = scope.settings()
        conn.execute(
            select(
                *(func.set_config(f"gedsae.{key}", value, True) for key, value in settings.items())
            )
        )
        if write and scope.tenant:
            key = func.hashtextextended(f"gedsae.sae.tenant:{scope.tenant}", 0)
            conn.execute(select(func.pg_advisory_xact_lock(key)))


class _Unit:
    """One transaction held open between ``__enter__`` and ``__exit__``; committed once."""

    def __init__(self, db: SqlDatabase, scope: Scope, *, write: bool) -> None:
        self._db, self._scope, self._write = db, scope, write
        self._stack = ExitStack()
        self._conn: Connection | None = None

    def _open(self) -> None:
        self._conn = self._stack.enter_context(self._db.transaction(self._scope, write=self._write))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._conn = None
        self._stack.__exit__(exc_type, exc, traceback)  # rolled back unless committed

    def commit(self) -> None:
        conn = self.connection
        with translated_errors(DISK_FULL):
            conn.commit()
        self._conn = None  # a committed unit is over: its scope does not outlive it

    @property
    def connection(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its with block, or after its commit")
        return self._conn


class SqlUnitOfWork(_Unit):
    def __init__(self, db: SqlDatabase, tenant: str, *, write: bool) -> None:
        super().__init__(db, Scope(tenant=tenant), write=write)
        self._tenant = tenant

    def __enter__(self) -> SqlUnitOfWork:
        self._open()
        return self

    @property
    def tenant(self) -> str:
        return self._tenant

    @property
    def writing(self) -> bool:
        return self._write

    @property
    def transfers(self) -> SqlTransferRepository:
        return SqlTransferRepository(self.connection, self._tenant, self._db.archive_pairs)

    @property
    def log(self) -> SqlOperationLog:
        return SqlOperationLog(self.connection, self._tenant, writing=self._write)

    @property
    def checkpoints(self) -> SqlCheckpointIndex:
        return SqlCheckpointIndex(self.connection, self._tenant)

    @property
    def catalogue(self) -> SqlCatalogue:
        return SqlCatalogue(self.connection, self._tenant)

    @property
    def tokens(self) -> SqlTokens:
        return SqlTokens(self.connection, self._tenant)

    @property
    def setup(self) -> SqlTenantSetup:
        return SqlTenantSetup(self.connection, self._tenant)

    @property
    def people(self) -> SqlPeople:
        return SqlPeople(self.connection, self._tenant)

    @property
    def deliveries(self) -> SqlDeliveries:
        return SqlDeliveries(self.connection, self._tenant)

    @property
    def derogations(self) -> SqlDerogations:
        return SqlDerogations(self.connection, self._tenant)

    @property
    def access_register(self) -> SqlAccessRegister:
        return SqlAccessRegister(self.connection, self._tenant)

    @property
    def restitutions(self) -> SqlRestitutions:
        return SqlRestitutions(self.connection, self._tenant)

    @property
    def tombstones(self) -> SqlTombstones:
        return SqlTombstones(self.connection, self._tenant)

    @property
    def mailbox(self) -> SqlMailbox:
        return SqlMailbox(self.connection, self._tenant)

    @property
    def eliminations(self) -> SqlEliminations:
        return SqlEliminations(self.connection, self._tenant)


class SqlPlatformUnitOfWork(_Unit):
    def __init__(self, db: SqlDatabase, *, write: bool) -> None:
        super().__init__(db, Scope(platform=True), write=write)

    def __enter__(self) -> SqlPlatformUnitOfWork:
        self._open()
        return self

    @property
    def tenants(self) -> SqlTenantDirectory:
        return SqlTenantDirectory(self.connection)

    @property
    def tokens(self) -> SqlTokens:
        return SqlTokens(self.connection, None)

    def log(self, tenant: str) -> SqlOperationLog:
        """From here on the transaction is also ``tenant``'s (its rows, its lock)."""
        self._db.enter(self.connection, Scope(tenant=tenant, platform=True), write=self._write)
        return SqlOperationLog(self.connection, tenant, writing=self._write)
