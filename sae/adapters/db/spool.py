"""Scratch stores on disk, so that memory stays flat in the size of a transfer: each a private
SQLite database (``sqlite3.connect("")``), which SQLite deletes when it is closed; its page cache
stays small whatever it holds.

- ``SqliteSpool``: one acceptance's (``sae.ports.AcceptanceSpool``), indexed by object and by
  group, for the references of the units (``sae.review.archiving``);
- ``SqliteIdIndex``: the identifiers one scan of the checks has met (``seda.idindex``);
- ``SqliteObjectNames``: each BinaryDataObject's member and file name, as the checks read the
  manifest (``sae.ports.ObjectNames``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, ValuesView
from typing import Final

from sae.model import SpooledObject
from sae.ports import ObjectNames
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


def _scratch() -> sqlite3.Connection:
    """A private database on disk that nothing needs to survive: no rollback journal."""
    db = sqlite3.connect("")
    db.execute("PRAGMA journal_mode = OFF")
    return db


# -- the identifiers of one scan ------------------------------------------------------------
_FILTER_BITS: Final = 1 << 23  # 1 MiB: 3.5 % of false alarms (reads) at 300,000 identifiers
_MASK: Final = _FILTER_BITS - 1
_BUFFERED: Final = 4096  # identifiers (or links) written at once
_ID_SCHEMA: Final = (
    "CREATE TABLE ids (id TEXT PRIMARY KEY, kind TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE edges (seq INTEGER PRIMARY KEY, parent TEXT NOT NULL, child TEXT NOT NULL)",
)


class SqliteIdIndex:
    """``seda.idindex.IdIndex`` on disk, for the checks of one received package: its own
    private SQLite file (``sqlite3.connect("")``), removed when closed, whose page cache stays
    small whatever it holds. A fixed 1 MiB bit filter (a Bloom filter, one bit per identifier)
    tells most new identifiers from those already met without reading the file; every answer is
    exact, the filter only saves reads."""

    def __init__(self) -> None:
        self._db = _scratch()
        for statement in _ID_SCHEMA:
            self._db.execute(statement)
        self._filter = bytearray(_FILTER_BITS // 8)
        self._recent: dict[str, str] = {}  # added, not written yet
        self._edges: list[tuple[str, str]] = []

    def close(self) -> None:
        self._db.close()

    def add(self, ident: str, kind: str) -> bool:
        """Records ``ident`` as ``kind``; False (and nothing changed) when it was met before."""
        bit = hash(ident) & _MASK
        byte, mask = bit >> 3, 1 << (bit & 7)
        if not self._filter[byte] & mask:
            self._filter[byte] |= mask  # certainly new: no read
        elif self.get(ident) is not None:
            return False
        self._recent[ident] = kind
        if len(self._recent) >= _BUFFERED:
            self._flush_ids()
        return True

    def get(self, ident: str) -> str | None:
        """The kind ``ident`` was first met as, None if never met."""
        found = self._recent.get(ident)
        if found is not None:
            return found
        row = self._db.execute("SELECT kind FROM ids WHERE id = ?", (ident,)).fetchone()
        return None if row is None else str(row[0])

    def add_edge(self, parent: str, child: str) -> None:
        """A unit nested in (or linked from) ``parent``."""
        self._edges.append((parent, child))
        if len(self._edges) >= _BUFFERED:
            self._flush_edges()

    def edges(self) -> Iterator[tuple[str, str]]:
        """The links in the order they were added."""
        self._flush_edges()
        return self._db.execute("SELECT parent, child FROM edges ORDER BY seq")

    def _flush_ids(self) -> None:
        self._db.executemany("INSERT INTO ids (id, kind) VALUES (?, ?)", self._recent.items())
        self._recent.clear()

    def _flush_edges(self) -> None:
        self._db.executemany("INSERT INTO edges (parent, child) VALUES (?, ?)", self._edges)
        self._edges.clear()


# -- each object's member and file name, as the checks read them ----------------------------
_NAMES_SCHEMA: Final = (
    "CREATE TABLE names (seq INTEGER PRIMARY KEY, object_id TEXT UNIQUE NOT NULL, "
    "uri TEXT NOT NULL, filename TEXT NOT NULL)"
)
# A dict's order and its last value: an id met again keeps its place, takes the new names.
_PUT_NAMES: Final = (
    "INSERT INTO names (object_id, uri, filename) VALUES (?, ?, ?) ON CONFLICT (object_id) "
    "DO UPDATE SET uri = excluded.uri, filename = excluded.filename"
)


class SqliteObjectNames(ObjectNames):
    """``sae.ports.ObjectNames`` on disk: a mapping that behaves as a ``dict`` (order of first
    insertion, last value kept), written by batches."""

    def __init__(self) -> None:
        self._db = _scratch()
        self._db.execute(_NAMES_SCHEMA)
        self._recent: dict[str, tuple[str, str]] = {}  # set, not written yet

    def close(self) -> None:
        self._db.close()

    def __setitem__(self, object_id: str, names: tuple[str, str]) -> None:
        self._recent[object_id] = names
        if len(self._recent) >= _BUFFERED:
            self._flush()

    def __getitem__(self, object_id: str) -> tuple[str, str]:
        self._flush()
        query = "SELECT uri, filename FROM names WHERE object_id = ?"
        row = self._db.execute(query, (object_id,)).fetchone()
        if row is None:
            raise KeyError(object_id)
        return str(row[0]), str(row[1])

    def __delitem__(self, object_id: str) -> None:
        self._flush()
        if not self._db.execute("DELETE FROM names WHERE object_id = ?", (object_id,)).rowcount:
            raise KeyError(object_id)

    def __iter__(self) -> Iterator[str]:
        self._flush()
        return (str(row[0]) for row in self._db.execute(_SELECT_NAMES.format("object_id")))

    def __len__(self) -> int:
        self._flush()
        return int(self._db.execute("SELECT count(*) FROM names").fetchone()[0])

    def values(self) -> ValuesView[tuple[str, str]]:
        return _NameValues(self)

    def rows(self) -> Iterator[tuple[str, str]]:
        """Every (Uri, Filename), in order, in one read."""
        self._flush()
        return (
            (str(u), str(f)) for u, f in self._db.execute(_SELECT_NAMES.format("uri, filename"))
        )

    def _flush(self) -> None:
        if self._recent:
            rows = ((key, uri, name) for key, (uri, name) in self._recent.items())
            self._db.executemany(_PUT_NAMES, rows)
            self._recent.clear()


_SELECT_NAMES: Final = "SELECT {} FROM names ORDER BY seq"


class _NameValues(ValuesView[tuple[str, str]]):
    """The values in one read, rather than one read per key."""

    _mapping: SqliteObjectNames

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return self._mapping.rows()
