"""The catalogue on SQLite (``CatalogueRepository``): rows written at acceptance, searched and
read afterwards (OAIS Data Management, ISO 14721 §4.1.1.4).

Searches never leave the organisation. Free text goes through SQLite FTS5 with accents folded
by the tokenizer (``remove_diacritics 2``), and the query starts FROM the FTS table, joined to
the units by rowid (``CROSS JOIN`` fixes that order), as the GED's ``ged/adapters/db/search.py``
does: started from a metadata index, SQLite would probe FTS once per row.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any, Final

from sae.model import (
    ArchiveDetail,
    ArchivePage,
    ArchiveQuery,
    CatalogueObject,
    CatalogueUnit,
    Description,
    UnitRules,
)
from sae.ports import ArchiveNotFound, ArchiveObjectNotFound

MAX_TERMS: Final = 32
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
    "rules",
)
_INSERT_UNIT: Final = (
    f"INSERT INTO catalogue_units ({', '.join(UNIT_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join('?' for _ in UNIT_COLUMNS)})"
)
_SELECT_UNIT: Final = ", ".join(f"u.{c}" for c in UNIT_COLUMNS)
_OBJECTS_OF_UNIT: Final = (
    "SELECT o.* FROM catalogue_links l JOIN catalogue_objects o "
    "ON o.transfer_id = l.transfer_id AND o.object_id = l.object_id WHERE l.archive_id = ?"
)


class SqliteCatalogue:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def record(self, description: Description) -> None:
        """Inserts the rows in the unit of work's transaction (the acceptance's)."""
        self.conn.executemany(
            "INSERT INTO catalogue_objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [tuple(getattr(o, name) for name in _OBJECT_COLUMNS) for o in description.objects],
        )
        for unit in description.units:
            pk = self.conn.execute(_INSERT_UNIT, _unit_row(unit)).lastrowid
            self.conn.execute(
                "INSERT INTO catalogue_fts (rowid, title, description) VALUES (?, ?, ?)",
                (pk, "\n".join(unit.titles) or unit.title, unit.description),
            )
            self.conn.executemany(
                "INSERT INTO catalogue_links VALUES (?, ?, ?)",
                [(unit.archive_id, unit.transfer_id, object_id) for object_id in unit.object_ids],
            )

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
        rows = self.conn.execute(sql + " LIMIT :limit OFFSET :offset", params).fetchall()
        units = [_unit(r) for r in rows[: query.limit]]
        return ArchivePage(units, max(query.page, 1), query.limit, len(rows) > query.limit)

    def detail(self, organisation: str, archive_id: str) -> ArchiveDetail:
        unit = self._find_unit(organisation, archive_id)
        children = self.conn.execute(
            f"SELECT {_SELECT_UNIT} FROM catalogue_units u "  # noqa: S608
            "WHERE u.parent_archive_id = ? AND u.organisation = ? ORDER BY u.position",
            (archive_id, organisation),
        ).fetchall()
        objects = self.conn.execute(
            _OBJECTS_OF_UNIT + " ORDER BY o.object_id", (archive_id,)
        ).fetchall()
        return ArchiveDetail(unit, [_unit(c) for c in children], [_object(o) for o in objects])

    def object(self, organisation: str, archive_id: str, object_id: str) -> CatalogueObject:
        self._find_unit(organisation, archive_id)
        row = self.conn.execute(
            _OBJECTS_OF_UNIT + " AND l.object_id = ?", (archive_id, object_id)
        ).fetchone()
        if row is None:
            raise ArchiveObjectNotFound(f"Objet {object_id} absent de l'archive {archive_id}")
        return _object(row)

    def _find_unit(self, organisation: str, archive_id: str) -> CatalogueUnit:
        row = self.conn.execute(
            f"SELECT {_SELECT_UNIT} FROM catalogue_units u "  # noqa: S608
            "WHERE u.archive_id = ? AND u.organisation = ?",
            (archive_id, organisation),
        ).fetchone()
        if row is None:
            raise ArchiveNotFound(f"Archive {archive_id} introuvable")
        return _unit(row)


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


def _unit_row(unit: CatalogueUnit) -> tuple[Any, ...]:
    values = {
        **unit.__dict__,
        "archived_at": unit.archived_at.isoformat(),
        "rules": json.dumps(unit.rules.to_dict(), ensure_ascii=False),
    }
    return tuple(values[c] for c in UNIT_COLUMNS)


def _unit(row: sqlite3.Row) -> CatalogueUnit:
    values = {c: row[c] for c in UNIT_COLUMNS}
    values["archived_at"] = datetime.fromisoformat(values["archived_at"])
    # Units catalogued before their rules were kept have none (NULL).
    values["rules"] = UnitRules.from_dict(json.loads(values["rules"] or "{}"))
    return CatalogueUnit(**values)


def _object(row: sqlite3.Row) -> CatalogueObject:
    return CatalogueObject(**{k: row[k] for k in row.keys()})  # noqa: SIM118 (sqlite3.Row)
