"""Connections to the repository's SQLite files (the database with its transfers, log and
catalogue; the digest registry), opened one way everywhere.

One short connection per operation: requests run on several threads and several processes share
the files. ``synchronous=FULL`` is set on each connection (it is not stored in the file) so that
every commit is fsynced whatever default the SQLite library was compiled with: the operation log
and the reference digests must survive a power cut (NF Z42-013).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 30.0


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection whose rows read by name or index, committed on exit, rolled back on error."""
    with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)) as conn, conn:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=FULL")
        yield conn
