"""Searching and reading the catalogue (OAIS Data Management, ISO 14721 §4.1.1.4): find and
retrieve what ``sae.catalogue`` recorded at acceptance.

Searches never leave the organisation. Free text goes through SQLite FTS5 with accents folded
by the tokenizer (``remove_diacritics 2``), and the query starts FROM the FTS table, joined to
the units by rowid (``CROSS JOIN`` fixes that order), as the GED's ``ged/adapters/db/search.py``
does: started from a metadata index, SQLite would probe FTS once per row.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Final
from urllib.parse import quote

from kernel.errors import NotFoundError
from sae.catalogue import UNIT_COLUMNS, CatalogueObject, CatalogueUnit
from sae.database import connect

MAX_PAGE_SIZE: Final = 100
MAX_TERMS: Final = 32
_SELECT_UNIT: Final = ", ".join(f"u.{c}" for c in UNIT_COLUMNS)


class ArchiveNotFound(NotFoundError):
    """Unknown, or kept for another organisation: the two are never told apart."""

    code = "archive_not_found"
    title = "Archive introuvable"


class ArchiveObjectNotFound(NotFoundError):
    code = "archive_object_not_found"
    title = "Objet introuvable dans cette archive"


@dataclass(frozen=True)
class ArchiveDetail:
    unit: CatalogueUnit
    children: list[CatalogueUnit]
    objects: list[CatalogueObject]


@dataclass(frozen=True)
class ArchiveQuery:
    organisation: str
    text: str = ""
    level: str | None = None
    transfer_id: str | None = None
    originating_agency: str | None = None
    date_from: date | None = None  # units whose dates overlap [date_from, date_to]
    date_to: date | None = None
    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        return (max(self.page, 1) - 1) * self.limit

    @property
    def limit(self) -> int:
        return min(max(self.page_size, 1), MAX_PAGE_SIZE)


@dataclass(frozen=True)
class ArchivePage:
    units: list[CatalogueUnit]
    page: int
    page_size: int
    has_more: bool


# -- searching and reading -----------------------------------------------------------------
class Catalogue:
    """Read side of the catalogue, over the repository's database file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def _connection(self) -> AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    def search(self, query: ArchiveQuery) -> ArchivePage:
        clauses, params = _filters(query)
        words = terms(query.text)
        if words:
            params["match"] = " ".join('"' + w.replace('"', '""') + '"' for w in words)
            sql = (
                f"SELECT {_SELECT_UNIT} FROM "  # noqa: S608
                "(SELECT rowid, bm25(catalogue_fts, 10.0, 3.0) AS rank FROM catalogue_fts "
                "WHERE catalogue_fts MATCH :match) AS f "
                "CROSS JOIN catalogue_units u ON u.pk = f.rowid "
                f"WHERE {' AND '.join('+' + c for c in clauses)} ORDER BY f.rank, u.pk"
            )
        else:
            sql = (
                f"SELECT {_SELECT_UNIT} FROM catalogue_units u "  # noqa: S608
                f"WHERE {' AND '.join(clauses)} ORDER BY u.archived_at DESC, u.pk"
            )
        params.update(limit=query.limit + 1, offset=query.offset)
        with self._connection() as conn:
            rows = conn.execute(sql + " LIMIT :limit OFFSET :offset", params).fetchall()
        units = [_unit(r) for r in rows[: query.limit]]
        return ArchivePage(units, max(query.page, 1), query.limit, len(rows) > query.limit)

    def detail(self, organisation: str, archive_id: str) -> ArchiveDetail:
        """The unit, its children in SIP order and the objects it references."""
        with self._connection() as conn:
            unit = _find_unit(conn, organisation, archive_id)
            children = conn.execute(
                f"SELECT {_SELECT_UNIT} FROM catalogue_units u "  # noqa: S608
                "WHERE u.parent_archive_id = ? AND u.organisation = ? ORDER BY u.position",
                (archive_id, organisation),
            ).fetchall()
            objects = conn.execute(
                "SELECT o.* FROM catalogue_links l JOIN catalogue_objects o "
                "ON o.transfer_id = l.transfer_id AND o.object_id = l.object_id "
                "WHERE l.archive_id = ? ORDER BY o.object_id",
                (archive_id,),
            ).fetchall()
        return ArchiveDetail(unit, [_unit(c) for c in children], [_object(o) for o in objects])

    def object(self, organisation: str, archive_id: str, object_id: str) -> CatalogueObject:
        """An object of the unit ``archive_id``; 404 when the unit does not reference it."""
        with self._connection() as conn:
            _find_unit(conn, organisation, archive_id)
            row = conn.execute(
                "SELECT o.* FROM catalogue_links l JOIN catalogue_objects o "
                "ON o.transfer_id = l.transfer_id AND o.object_id = l.object_id "
                "WHERE l.archive_id = ? AND l.object_id = ?",
                (archive_id, object_id),
            ).fetchone()
        if row is None:
            raise ArchiveObjectNotFound(f"Objet {object_id} absent de l'archive {archive_id}")
        return _object(row)


def terms(text: str) -> list[str]:
    """Search terms of free text: anything but letters and digits separates, at most
    ``MAX_TERMS`` (each one is quoted for FTS5, so no word is read as an operator)."""
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text)
    return cleaned.split()[:MAX_TERMS]


def _filters(query: ArchiveQuery) -> tuple[list[str], dict[str, Any]]:
    """WHERE fragments on units ``u`` and their bound parameters (values are never inlined)."""
    clauses = ["u.organisation = :organisation"]
    params: dict[str, Any] = {"organisation": query.organisation}
    simple = {
        "description_level": query.level,
        "transfer_id": query.transfer_id,
        "originating_agency": query.originating_agency,
    }
    for name, value in simple.items():
        if value is not None:
            clauses.append(f"u.{name} = :{name}")
            params[name] = value
    # Dates may be xsd:date or xsd:dateTime: the day is compared. Overlap, not inclusion: a
    # file covering 2019-2021 is found by a search on 2020.
    if query.date_from is not None:
        clauses.append("substr(coalesce(u.end_date, u.start_date), 1, 10) >= :date_from")
        params["date_from"] = query.date_from.isoformat()
    if query.date_to is not None:
        clauses.append("substr(coalesce(u.start_date, u.end_date), 1, 10) <= :date_to")
        params["date_to"] = query.date_to.isoformat()
    return clauses, params


def _find_unit(conn: sqlite3.Connection, organisation: str, archive_id: str) -> CatalogueUnit:
    row = conn.execute(
        f"SELECT {_SELECT_UNIT} FROM catalogue_units u "  # noqa: S608
        "WHERE u.archive_id = ? AND u.organisation = ?",
        (archive_id, organisation),
    ).fetchone()
    if row is None:
        raise ArchiveNotFound(f"Archive {archive_id} introuvable")
    return _unit(row)


def _unit(row: sqlite3.Row) -> CatalogueUnit:
    values = {c: row[c] for c in UNIT_COLUMNS}
    values["archived_at"] = datetime.fromisoformat(values["archived_at"])
    return CatalogueUnit(**values)


def _object(row: sqlite3.Row) -> CatalogueObject:
    return CatalogueObject(**{k: row[k] for k in row.keys()})  # noqa: SIM118 (sqlite3.Row)


def unit_to_dict(unit: CatalogueUnit) -> dict[str, Any]:
    return {
        "archive_id": unit.archive_id,
        "title": unit.title,
        "description_level": unit.description_level,
        "description": unit.description,
        "start_date": unit.start_date,
        "end_date": unit.end_date,
        "originating_agency": unit.originating_agency,
        "transfer_id": unit.transfer_id,
        "message_identifier": unit.message_identifier,
        "unit_id": unit.unit_id,
        "parent_archive_id": unit.parent_archive_id,
        "archived_at": unit.archived_at.isoformat(),
    }


def object_to_dict(obj: CatalogueObject) -> dict[str, Any]:
    return {
        "object_id": obj.object_id,
        "filename": obj.filename,
        "uri": obj.uri,
        "size": obj.size,
        "sha256": obj.sha256,
        "sha512": obj.sha512,
        "mime_type": obj.mime_type,
        "format_id": obj.format_id,
        "group_id": obj.group_id,
    }


# -- serving an object ------------------------------------------------------------------------
_CHUNK: Final = 1024 * 1024


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    """The verified copy from ``StorageOffers.open``, in chunks; closed at the end or on abort."""
    try:
        while chunk := stream.read(_CHUNK):
            yield chunk
    finally:
        stream.close()


def download_headers(obj: CatalogueObject) -> dict[str, str]:
    """Length, ETag (the SHA-256 the registry holds) and the original file name (RFC 6266)."""
    name = obj.filename or PurePosixPath(obj.uri).name or obj.object_id
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in fallback)
    return {
        "Content-Length": str(obj.size),
        "ETag": f'"{obj.sha256}"',
        "Content-Disposition": (
            f"attachment; filename=\"{fallback or 'objet'}\"; filename*=UTF-8''{quote(name, safe='')}"
        ),
    }
