"""Engines of the repository's database: SQLite (the embedded default, one file) or PostgreSQL.

SQLite: WAL (readers never wait for the writer), ``synchronous=FULL`` on each connection (it is
not stored in the file) so that every commit is fsynced whatever default the library was
compiled with: the operation log and the reference digests must survive a power cut
(NF Z42-013). A writing transaction begins IMMEDIATE, a reading one deferred (``WRITING``). The
file and its journals are 0600 (``kernel.private_files``). PostgreSQL: psycopg 3, connections
checked before use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url

from kernel.database import configure_sqlite
from kernel.private_files import private_database

BUSY_TIMEOUT_MS: Final = 30_000
# Execution option of the connections that write: SQLite begins them IMMEDIATE.
WRITING: Final = "gedsae_sae_writing"


class UnsupportedDatabase(ValueError):
    """A URL of neither SQLite nor PostgreSQL."""


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_database(Path(parsed.database))  # it and its journals: 0600
        engine = create_engine(url, connect_args={"check_same_thread": False})
        configure_sqlite(engine, BUSY_TIMEOUT_MS, "FULL", immediate=_writes)
        return engine
    if backend == "postgresql":
        return create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    raise UnsupportedDatabase(f"base {parsed.render_as_string()} : SQLite ou PostgreSQL attendu")


def _writes(connection: Connection) -> bool:
    return bool(connection.get_execution_options().get(WRITING))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"
