"""What both services' SQLAlchemy adapters share: how a SQLite connection is set up, and the
database failures every user sees the same way.

SQLite runs in WAL mode with foreign keys on and a busy timeout; SQLAlchemy emits BEGIN itself
(the driver's own transaction handling is off), so that a writing transaction can begin
IMMEDIATE: it takes the write lock up front and never fails half-way for want of it.

A database that runs out of disk in the middle of a transaction (SQLite ``SQLITE_FULL``,
PostgreSQL SQLSTATE 53100 ``disk_full``) has the transaction rolled back whole and answers
``StorageFull`` (507), as a blob store does; a database locked past the busy timeout, or a
server that cannot be reached, answers 503 with Retry-After.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, Literal

from sqlalchemy import Connection, Dialect, Engine, Table, event, insert
from sqlalchemy.exc import DBAPIError

from kernel.blobstore.ports import StorageFull
from kernel.errors import UnavailableError

log = logging.getLogger("gedsae.db")
# SQLITE_FULL, or a WAL index (-shm) that cannot grow: "may indicate that the underlying
# filesystem volume is out of space" (sqlite.org/rescode.html).
SQLITE_DISK_FULL: Final = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR_SHMSIZE})
DISK_FULL_DETAIL: Final = (
    "Espace disque insuffisant pour la base de données : rien n'a été enregistré"
)
Synchronous = Literal["NORMAL", "FULL"]


class DatabaseBusy(UnavailableError):
    code = "database_busy"
    title = "Base de données occupée"


class DatabaseUnavailable(UnavailableError):
    code = "database_unavailable"
    title = "Base de données injoignable"


def is_locked(exc: BaseException) -> bool:
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


def is_disk_full(exc: DBAPIError) -> bool:
    """Under SQLAlchemy's wrapper: SQLite's disk-full codes, or PostgreSQL's disk_full."""
    driver_error = exc.orig
    return (
        getattr(driver_error, "sqlite_errorcode", None) in SQLITE_DISK_FULL
        or getattr(driver_error, "sqlstate", None) == "53100"
    )


def is_unreachable(exc: DBAPIError) -> bool:
    """PostgreSQL's connection exceptions (SQLSTATE class 08), or a connection that failed
    before any SQLSTATE (refused, reset, timed out)."""
    if exc.connection_invalidated:
        return True
    driver_error = exc.orig
    if hasattr(driver_error, "sqlite_errorcode"):
        return False
    state = getattr(driver_error, "sqlstate", None)
    return state is None or str(state).startswith("08")


def storage_full(exc: DBAPIError, detail: str = DISK_FULL_DETAIL) -> StorageFull:
    log.error("database out of disk space, transaction rolled back: %s", exc.orig)
    return StorageFull(detail)


@contextmanager
def translated_errors(disk_full_detail: str = DISK_FULL_DETAIL) -> Iterator[None]:
    """Disk full → ``StorageFull`` (507); locked past the timeout → ``DatabaseBusy`` (503);
    server out of reach → ``DatabaseUnavailable`` (503). Anything else goes on as it is."""
    try:
        yield
    except DBAPIError as exc:
        if is_disk_full(exc):
            raise storage_full(exc, disk_full_detail) from exc
        if is_locked(exc):
            detail = "La base de données est verrouillée par une autre écriture"
            raise DatabaseBusy(detail, retry_after=2) from exc
        if is_unreachable(exc):
            raise DatabaseUnavailable(str(exc.orig), retry_after=5) from exc
        raise


def configure_sqlite(
    engine: Engine,
    busy_timeout_ms: int,
    synchronous: Synchronous,
    immediate: Callable[[Connection], bool] = lambda _conn: True,
) -> None:
    """WAL, ``synchronous``, foreign keys and the busy timeout on each new connection; BEGIN
    IMMEDIATE for the transactions ``immediate`` says write, a plain (deferred) BEGIN else."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    def on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate(connection) else "BEGIN")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """``conn.execute(insert(table), rows)`` for many rows: the statement compiled once, each
    value put through its column's bind processor here, and the lot handed to the driver's
    ``executemany``. SQLAlchemy's own path builds and processes a parameter dict per row, a
    quarter of a bulk import's recording (profiled). Every row has the first row's keys; a
    statement they do not cover (a column filled by a Python-side default) goes the usual way.
    """
    if not rows:
        return
    keys = list(rows[0])
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    if set(compiled.binds) != set(keys):
        conn.execute(insert(table), list(rows))
        return
    order = compiled.positiontup or keys
    convert = [(key, _last_value_memo(_bind_processor(table, key, dialect))) for key in order]
    sql = str(compiled)
    if compiled.positiontup is None:  # named parameters (psycopg's pyformat)
        named = [
            {key: row[key] if to_db is None else to_db(row[key]) for key, to_db in convert}
            for row in rows
        ]
        conn.exec_driver_sql(sql, named)
    else:
        positional = [
            tuple([row[key] if to_db is None else to_db(row[key]) for key, to_db in convert])
            for row in rows
        ]
        conn.exec_driver_sql(sql, positional)


def _bind_processor(table: Table, key: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    return table.c[key].type.dialect_impl(dialect).bind_processor(dialect)


def _last_value_memo(to_db: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """``to_db`` remembering its last value: the rows of a batch share their instants (one
    clock reading per transaction), each formatted once instead of once per row."""
    if to_db is None:
        return None
    last: list[Any] = [_NOTHING, None]

    def convert(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, to_db(value)
        return last[1]

    return convert


_NOTHING: Final = object()
