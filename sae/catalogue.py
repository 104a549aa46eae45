"""Catalogue of the archives kept (OAIS Data Management, ISO 14721 §4.1.1.4): find and retrieve.

Accepting a transfer records, in the same transaction as the decision, one row per ArchiveUnit
of the SIP (its archive identifier, the SEDA 2.x ``Content`` fields that searches need:
``DescriptionLevel``, ``Title``, ``Description``, ``StartDate``/``EndDate``, the
``OriginatingAgency``) and one row per BinaryDataObject kept on the storage offers (digests,
size, file name, format), linked to the units that reference them through their
``DataObjectGroup`` (or directly, by ``DataObjectReferenceId``). Physical objects carry no
content and are not catalogued.

Searches never leave the organisation. Free text goes through SQLite FTS5 with accents folded
by the tokenizer (``remove_diacritics 2``), and the query starts FROM the FTS table, joined to
the units by rowid (``CROSS JOIN`` fixes that order), as the GED's ``ged/adapters/db/search.py``
does: started from a metadata index, SQLite would probe FTS once per row.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, Final
from urllib.parse import quote

from ged.domain.errors import NotFoundError
from ged.domain.search import terms
from seda.errors import SedaError
from seda.model import ArchiveTransfer, ArchiveUnit, BinaryDataObject, DataObjectGroup
from seda.safexml import parse_bytes

if TYPE_CHECKING:
    from sae.store import ArchivedObject, Transfer

MAX_PAGE_SIZE: Final = 100

SCHEMA = """
CREATE TABLE IF NOT EXISTS catalogue_units (
    pk INTEGER PRIMARY KEY,
    archive_id TEXT NOT NULL UNIQUE,
    organisation TEXT NOT NULL,
    transfer_id TEXT NOT NULL,
    message_identifier TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    parent_archive_id TEXT,
    position INTEGER NOT NULL,
    description_level TEXT,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    originating_agency TEXT,
    archived_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS catalogue_units_recent
    ON catalogue_units (organisation, archived_at DESC, pk);
CREATE INDEX IF NOT EXISTS catalogue_units_transfer ON catalogue_units (transfer_id, position);
CREATE INDEX IF NOT EXISTS catalogue_units_parent
    ON catalogue_units (parent_archive_id, position);
CREATE TABLE IF NOT EXISTS catalogue_objects (
    transfer_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    group_id TEXT,
    uri TEXT NOT NULL,
    filename TEXT,
    sha256 TEXT NOT NULL,
    sha512 TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime_type TEXT,
    format_id TEXT,
    PRIMARY KEY (transfer_id, object_id)
);
CREATE TABLE IF NOT EXISTS catalogue_links (
    archive_id TEXT NOT NULL,
    transfer_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    PRIMARY KEY (archive_id, object_id)
);
CREATE VIRTUAL TABLE IF NOT EXISTS catalogue_fts USING fts5(
    title, description, tokenize = 'unicode61 remove_diacritics 2'
);
"""


class ArchiveNotFound(NotFoundError):
    """Unknown, or kept for another organisation: the two are never told apart."""

    code = "archive_not_found"
    title = "Archive introuvable"


class ArchiveObjectNotFound(NotFoundError):
    code = "archive_object_not_found"
    title = "Objet introuvable dans cette archive"


@dataclass(frozen=True)
class CatalogueObject:
    transfer_id: str
    object_id: str  # the BinaryDataObject id in the SIP
    group_id: str | None
    uri: str
    filename: str | None
    sha256: str
    sha512: str
    size: int
    mime_type: str | None = None
    format_id: str | None = None  # PRONOM identifier when the SIP gives one


@dataclass(frozen=True)
class CatalogueUnit:
    archive_id: str  # the SystemId given at acceptance
    organisation: str
    transfer_id: str
    message_identifier: str
    unit_id: str  # the ArchiveUnit id in the SIP
    parent_archive_id: str | None
    position: int  # document order in the SIP
    description_level: str | None
    title: str
    description: str
    start_date: str | None
    end_date: str | None
    originating_agency: str | None
    archived_at: datetime
    object_ids: tuple[str, ...] = ()
    titles: tuple[str, ...] = field(default=(), compare=False)  # every Title, for the index


@dataclass(frozen=True)
class Description:
    """What one acceptance adds to the catalogue."""

    units: list[CatalogueUnit]
    objects: list[CatalogueObject]


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


# -- what an acceptance records ------------------------------------------------------------
def describe(
    transfer: Transfer,
    manifest: ArchiveTransfer,
    archive_ids: Mapping[str, str],
    stored: Sequence[ArchivedObject],
    *,
    archived_at: datetime,
) -> Description:
    """The catalogue rows of an accepted transfer: ``archive_ids`` maps SIP unit ids to the
    archive identifiers given, ``stored`` is what the offers now keep."""
    groups = list(manifest.groups)
    objects = _objects(transfer.id, groups, {o.object_id: o for o in stored})
    resolve = _resolver(groups, {o.object_id for o in objects})
    package_agency = manifest.management_metadata.originating_agency_identifier
    units: list[CatalogueUnit] = []
    for position, (unit, parent, agency) in enumerate(_walk(manifest.units, None, package_agency)):
        content = unit.content
        units.append(
            CatalogueUnit(
                archive_id=archive_ids[unit.id],
                organisation=transfer.organisation,
                transfer_id=transfer.id,
                message_identifier=transfer.message_identifier,
                unit_id=unit.id,
                parent_archive_id=None if parent is None else archive_ids[parent],
                position=position,
                description_level=content.description_level,
                title=content.titles[0] if content.titles else "",
                description="\n".join(content.descriptions),
                start_date=content.start_date,
                end_date=content.end_date,
                originating_agency=agency,
                archived_at=archived_at,
                object_ids=resolve(unit),
                titles=content.titles,
            )
        )
    return Description(units, objects)


def _objects(
    transfer_id: str, groups: Iterable[DataObjectGroup], stored: Mapping[str, ArchivedObject]
) -> list[CatalogueObject]:
    found = []
    for group in groups:
        for obj in group.objects:
            kept = stored.get(obj.id)
            if not isinstance(obj, BinaryDataObject) or kept is None:
                continue
            found.append(
                CatalogueObject(
                    transfer_id=transfer_id,
                    object_id=obj.id,
                    group_id=group.id,
                    uri=obj.uri,
                    filename=obj.filename,
                    sha256=kept.sha256,
                    sha512=kept.sha512,
                    size=kept.size,
                    mime_type=obj.format.mime_type if obj.format else None,
                    format_id=obj.format.format_id if obj.format else None,
                )
            )
    return found


def _resolver(
    groups: Sequence[DataObjectGroup], kept: set[str]
) -> Callable[[ArchiveUnit], tuple[str, ...]]:
    """Object ids a unit references: a group gives all its kept objects, an object itself."""
    by_group = {g.id: tuple(o.id for o in g.objects if o.id in kept) for g in groups}

    def resolve(unit: ArchiveUnit) -> tuple[str, ...]:
        ids: list[str] = []
        for ref in unit.object_references:
            for target in (ref.data_object_group_reference_id, ref.data_object_reference_id):
                if target is None:
                    continue
                # SEDA 2.0 profiles sometimes name a group in DataObjectReferenceId.
                ids += by_group.get(target, (target,) if target in kept else ())
        return tuple(dict.fromkeys(ids))

    return resolve


def _walk(
    units: Iterable[ArchiveUnit], parent: str | None, agency: str | None
) -> Iterator[tuple[ArchiveUnit, str | None, str | None]]:
    """Units in document order with their parent's SIP id and their originating agency (their
    own ``OriginatingAgency``, else the nearest ancestor's, else the package's)."""
    for unit in units:
        own = _originating_agency(unit) or agency
        yield unit, parent, own
        yield from _walk(unit.children, unit.id, own)


def _originating_agency(unit: ArchiveUnit) -> str | None:
    for raw in unit.content.extra:
        if raw.name != "OriginatingAgency":
            continue
        try:
            root = parse_bytes(raw.xml).getroot()
        except SedaError:
            return None
        identifier = root.find("{*}Identifier")
        return identifier.text if identifier is not None and identifier.text else None
    return None


def record(conn: sqlite3.Connection, description: Description) -> None:
    """Insert the rows on ``conn``, in the caller's transaction (the acceptance's)."""
    conn.executemany(
        "INSERT INTO catalogue_objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [tuple(getattr(o, name) for name in _OBJECT_COLUMNS) for o in description.objects],
    )
    for unit in description.units:
        pk = conn.execute(_INSERT_UNIT, _unit_row(unit)).lastrowid
        conn.execute(
            "INSERT INTO catalogue_fts (rowid, title, description) VALUES (?, ?, ?)",
            (pk, "\n".join(unit.titles) or unit.title, unit.description),
        )
        conn.executemany(
            "INSERT INTO catalogue_links VALUES (?, ?, ?)",
            [(unit.archive_id, unit.transfer_id, object_id) for object_id in unit.object_ids],
        )


_OBJECT_COLUMNS: Final = tuple(CatalogueObject.__dataclass_fields__)
_UNIT_COLUMNS: Final = (
    "archive_id",
    "organisation",
    "transfer_id",
    "message_identifier",
    "unit_id",
    "parent_archive_id",
    "position",
    "description_level",
    "title",
    "description",
    "start_date",
    "end_date",
    "originating_agency",
    "archived_at",
)
_INSERT_UNIT: Final = (
    f"INSERT INTO catalogue_units ({', '.join(_UNIT_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in _UNIT_COLUMNS)})"
)
_SELECT_UNIT: Final = ", ".join(f"u.{c}" for c in _UNIT_COLUMNS)


def _unit_row(unit: CatalogueUnit) -> tuple[Any, ...]:
    values = {**unit.__dict__, "archived_at": unit.archived_at.isoformat()}
    return tuple(values[c] for c in _UNIT_COLUMNS)


# -- searching and reading -----------------------------------------------------------------
class Catalogue:
    """Read side of the catalogue, over the repository's database file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30.0)) as conn:
            conn.row_factory = sqlite3.Row
            yield conn

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
    values = {c: row[c] for c in _UNIT_COLUMNS}
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
