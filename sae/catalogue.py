"""Catalogue of the archives kept (OAIS Data Management, ISO 14721 §4.1.1.4): what is recorded.

Accepting a transfer records, in the same transaction as the decision, one row per ArchiveUnit
of the SIP (its archive identifier, the SEDA 2.x ``Content`` fields that searches need:
``DescriptionLevel``, ``Title``, ``Description``, ``StartDate``/``EndDate``, the
``OriginatingAgency``) and one row per BinaryDataObject kept on the storage offers (digests,
size, file name, format), linked to the units that reference them through their
``DataObjectGroup`` (or directly, by ``DataObjectReferenceId``). Physical objects carry no
content and are not catalogued.

Finding and retrieving what is recorded: ``sae.catalogue_search``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from seda.errors import SedaError
from seda.model import ArchiveTransfer, ArchiveUnit, BinaryDataObject, DataObjectGroup
from seda.safexml import parse_bytes

if TYPE_CHECKING:
    from sae.store import ArchivedObject, Transfer

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
UNIT_COLUMNS: Final = (
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
    f"INSERT INTO catalogue_units ({', '.join(UNIT_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in UNIT_COLUMNS)})"
)


def _unit_row(unit: CatalogueUnit) -> tuple[Any, ...]:
    values = {**unit.__dict__, "archived_at": unit.archived_at.isoformat()}
    return tuple(values[c] for c in UNIT_COLUMNS)
