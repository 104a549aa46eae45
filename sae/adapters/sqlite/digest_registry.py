"""The digest registry of the storage offers as its own SQLite file (``DigestRegistry``).

Apart from the repository's database and from the objects (NF Z42-013 / ISO 14641 §5): altering
a copy cannot alter the reference it is checked against. ``synchronous=FULL``: each commit is
fsynced.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Final

from kernel.blobstore.fixity import matches
from kernel.blobstore.ports import ContentRef
from kernel.private_files import private_database
from sae.adapters.sqlite.connection import connect
from sae.model import StoredObject
from sae.ports import ObjectNotRegistered, RegisteredDigestsDiffer

_PAGE: Final = 500


class SqliteDigestRegistry:
    """The registry as one SQLite file (synchronous=FULL: each commit is fsynced)."""

    def __init__(self, path: Path | str, *, page_size: int = _PAGE) -> None:
        self.path = Path(path)
        self.page_size = page_size
        private_database(self.path)  # 0600, journals too
        with self._connection() as db:
            db.execute("PRAGMA journal_mode=WAL")  # stored in the file: set once
            db.execute(
                "CREATE TABLE IF NOT EXISTS objects (sha256 TEXT PRIMARY KEY, sha512 TEXT NOT NULL,"
                " size INTEGER NOT NULL, quarantine_reason TEXT)"
            )

    def _connection(self) -> AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    def record(self, ref: ContentRef) -> StoredObject:
        with self._connection() as db:
            db.execute(
                "INSERT OR IGNORE INTO objects (sha256, sha512, size) VALUES (?, ?, ?)",
                (ref.sha256, ref.sha512, ref.size),
            )
            stored = _row_object(
                db.execute("SELECT * FROM objects WHERE sha256 = ?", (ref.sha256,)).fetchone()
            )
        return _matching(stored, ref)

    def record_many(self, refs: Sequence[ContentRef]) -> list[StoredObject]:
        with self._connection() as db:
            db.executemany(
                "INSERT OR IGNORE INTO objects (sha256, sha512, size) VALUES (?, ?, ?)",
                [(ref.sha256, ref.sha512, ref.size) for ref in refs],
            )
            found = self._find_all(db, [ref.sha256 for ref in refs])
            # Raised inside the transaction: a differing object rolls the whole batch back.
            return [_matching(found.get(ref.sha256), ref) for ref in refs]

    def _find_all(self, db: sqlite3.Connection, digests: list[str]) -> dict[str, StoredObject]:
        found = {}
        for start in range(0, len(digests), self.page_size):
            page = digests[start : start + self.page_size]
            marks = ", ".join("?" * len(page))
            query = f"SELECT * FROM objects WHERE sha256 IN ({marks})"  # noqa: S608 (only ?)
            for row in db.execute(query, page):
                stored = _row_object(row)
                if stored is not None:
                    found[stored.sha256] = stored
        return found

    def find(self, object_id: str) -> StoredObject | None:
        with self._connection() as db:
            row = db.execute("SELECT * FROM objects WHERE sha256 = ?", (object_id,)).fetchone()
        return _row_object(row)

    def iter_objects(self) -> Iterator[StoredObject]:
        last = ""
        while True:
            with self._connection() as db:
                rows = db.execute(
                    "SELECT * FROM objects WHERE sha256 > ? ORDER BY sha256 LIMIT ?",
                    (last, self.page_size),
                ).fetchall()
            for row in rows:
                stored = _row_object(row)
                if stored is not None:
                    yield stored
            if len(rows) < self.page_size:
                return
            last = rows[-1][0]

    def quarantine(self, object_id: str, reason: str) -> None:
        self._set_reason(object_id, reason)

    def release(self, object_id: str) -> None:
        self._set_reason(object_id, None)

    def _set_reason(self, object_id: str, reason: str | None) -> None:
        with self._connection() as db:
            cursor = db.execute(
                "UPDATE objects SET quarantine_reason = ? WHERE sha256 = ?", (reason, object_id)
            )
        if cursor.rowcount == 0:
            raise ObjectNotRegistered(sha256=object_id)


def _matching(stored: StoredObject | None, ref: ContentRef) -> StoredObject:
    if stored is None or not matches(stored, ref):
        raise RegisteredDigestsDiffer(sha256=ref.sha256)
    return stored


def _row_object(row: tuple[str, str, int, str | None] | None) -> StoredObject | None:
    if row is None:
        return None
    return StoredObject(sha256=row[0], sha512=row[1], size=row[2], quarantine_reason=row[3])
