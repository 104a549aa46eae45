"""The scratch store of one acceptance (``sae.ports.AcceptanceSpool``): a private SQLite
database on disk (``sqlite3.connect("")``), which SQLite deletes when it is closed; its page
cache stays small whatever it holds. Indexed by object and by group, for the references of the
units (``sae.review.archiving``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Final

from sae.model import SpooledObject
from seda.model import ObjectReference

_SCHEMA: Final = (
    "CREATE TABLE objects (seq INTEGER PRIMARY KEY, object_id TEXT UNIQUE, group_id TEXT, "
    "uri TEXT, filename TEXT, mime_type TEXT, format_id TEXT, sha256 TEXT, sha512 TEXT, size INT)",
    "CREATE INDEX objects_group ON objects (group_id)",
    "CREATE TABLE units (seq INTEGER PRIMARY KEY, unit_id TEXT, archive_id TEXT)",
)


_FIELDS: Final = ", ".join(SpooledObject._fields)
_INSERT_OBJECT: Final = f"INSERT INTO objects ({_FIELDS}) VALUES ({', '.join('?' * 9)})"  # noqa: S608
_SELECT_OBJECTS: Final = f"SELECT {_FIELDS} FROM objects ORDER BY seq"  # noqa: S608


class SqliteSpool:
    """What an acceptance's first pass learnt and its second needs, on disk."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("")
        for statement in _SCHEMA:
            self.db.execute(statement)

    def close(self) -> None:
        self.db.close()

    def add_objects(self, rows: Iterable[SpooledObject]) -> None:
        self.db.executemany(_INSERT_OBJECT, rows)

    def objects(self) -> Iterator[SpooledObject]:
        return map(SpooledObject._make, self.db.execute(_SELECT_OBJECTS))

    def resolve(self, references: Iterable[ObjectReference]) -> tuple[str, ...]:
        """Object ids a unit references: a group gives all its kept objects, an object itself
        (SEDA 2.0 profiles sometimes name a group in ``DataObjectReferenceId``)."""
        ids: list[str] = []
        for ref in references:
            for target in (ref.data_object_group_reference_id, ref.data_object_reference_id):
                if target is None:
                    continue
                found = self.db.execute(
                    "SELECT object_id FROM objects WHERE group_id = ? ORDER BY seq", (target,)
                ).fetchall()
                if not found:
                    found = self.db.execute(
                        "SELECT object_id FROM objects WHERE object_id = ?", (target,)
                    ).fetchall()
                ids += [row[0] for row in found]
        return tuple(dict.fromkeys(ids))

    def digests(self) -> Iterator[tuple[str, str]]:
        """(object id, SHA-256), by object id."""
        return self.db.execute("SELECT object_id, sha256 FROM objects ORDER BY object_id")

    def add_units(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.db.executemany("INSERT INTO units (unit_id, archive_id) VALUES (?, ?)", pairs)

    def units(self) -> Iterator[tuple[str, str]]:
        """(unit id in the SIP, archive identifier), in document order."""
        return self.db.execute("SELECT unit_id, archive_id FROM units ORDER BY seq")
