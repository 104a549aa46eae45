"""The repository's database as one SQLite file (``Database``, ``UnitOfWork``).

One short connection per unit of work: requests run on several threads and several processes
share the file. A writing unit begins IMMEDIATE: it takes the write lock first, so what it reads
(a transfer's state, the log head) cannot go stale before it writes, and it never fails half-way
for want of the lock. A reading unit takes no lock (WAL: readers never wait for the writer).
The file and its journals are 0600 (``kernel.private_files``). A disk that fills up during a
unit of work rolls it back whole and answers ``StorageFull`` (507), as ``connect`` maps it.
"""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType

from kernel.private_files import private_database
from sae.adapters.sqlite.catalogue import SqliteCatalogue
from sae.adapters.sqlite.connection import connect
from sae.adapters.sqlite.journal import SqliteCheckpointIndex, SqliteOperationLog
from sae.adapters.sqlite.people import SqlitePeople
from sae.adapters.sqlite.schema import create_schema
from sae.adapters.sqlite.transfers import SqliteTransferRepository


class SqliteDatabase:
    """Transfers, operation log, checkpoints, catalogue and people in one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        private_database(self.path)  # the log and the catalogue: 0600, journals too
        with connect(self.path) as conn:
            create_schema(conn)

    @classmethod
    def existing(cls, path: Path | str) -> SqliteDatabase:
        """The database at ``path``, never created by a check: ``FileNotFoundError`` if absent."""
        if not Path(path).is_file():
            raise FileNotFoundError(f"base du dépôt introuvable : {path}")
        return cls(path)

    @property
    def name(self) -> str:
        return str(self.path.resolve())

    def unit_of_work(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self.path, write=True)

    def reading(self) -> SqliteUnitOfWork:
        return SqliteUnitOfWork(self.path, write=False)


class SqliteUnitOfWork:
    def __init__(self, path: Path, *, write: bool) -> None:
        self._path, self._write = path, write
        self._stack = ExitStack()
        self._conn: sqlite3.Connection | None = None

    def __enter__(self) -> SqliteUnitOfWork:
        with ExitStack() as opening:  # a failed BEGIN closes the connection, its error mapped
            conn = opening.enter_context(connect(self._path))
            if self._write:
                conn.execute("BEGIN IMMEDIATE")
            self._stack = opening.pop_all()
        self._conn = conn
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        conn = self.connection
        if conn.in_transaction:
            conn.rollback()  # not committed: nothing is kept
        self._conn = None
        # The error, if any, goes through ``connect``: a full disk leaves as ``StorageFull``.
        self._stack.__exit__(exc_type, exc, traceback)

    def commit(self) -> None:
        self.connection.commit()

    @property
    def connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its with block")
        return self._conn

    @property
    def transfers(self) -> SqliteTransferRepository:
        return SqliteTransferRepository(self.connection)

    @property
    def log(self) -> SqliteOperationLog:
        return SqliteOperationLog(self.connection)

    @property
    def checkpoints(self) -> SqliteCheckpointIndex:
        return SqliteCheckpointIndex(self.connection)

    @property
    def catalogue(self) -> SqliteCatalogue:
        return SqliteCatalogue(self.connection)

    @property
    def people(self) -> SqlitePeople:
        return SqlitePeople(self.connection)
