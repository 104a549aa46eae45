"""Connections to the repository's SQLite files (the database with its transfers, log and
catalogue; the digest registry), opened one way everywhere.

One short connection per operation: requests run on several threads and several processes share
the files. ``synchronous=FULL`` is set on each connection (it is not stored in the file) so that
every commit is fsynced whatever default the SQLite library was compiled with: the operation log
and the reference digests must survive a power cut (NF Z42-013). A disk that fills up during an
operation rolls it back whole and answers ``StorageFull`` (507), as a storage offer does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from kernel.blobstore.ports import StorageFull

BUSY_TIMEOUT_SECONDS = 30.0
# SQLITE_FULL, or a WAL index (-shm) that cannot grow: "may indicate that the underlying
# filesystem volume is out of space" (sqlite.org/rescode.html); each operation here opens the
# database anew, so a full disk usually shows first as the latter.
DISK_FULL = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR_SHMSIZE})


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection whose rows read by name or index, committed on exit, rolled back on error."""
    try:
        with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)) as conn, conn:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode not in DISK_FULL:
            raise
        detail = "Espace disque insuffisant pour la base du dépôt : rien n'a été enregistré"
        raise StorageFull(detail) from exc
