"""A tenant's catalogue (``CatalogueRepository``): rows written at acceptance, searched and read
afterwards (OAIS Data Management, ISO 14721 §4.1.1.4).

Searches never leave the tenant. Free text finds the same words on both databases: every term
must appear in a unit's titles or description, case and accents folded, no stemming.

* SQLite: FTS5 (``remove_diacritics 2``); the query starts FROM the FTS table, joined to the
  units by rowid (``CROSS JOIN`` fixes that order, as the GED's ``ged/adapters/db/search.py``
  does: started from a metadata index, SQLite would probe FTS once per row); ranked by bm25,
  titles weighing more than descriptions.
* PostgreSQL: a GIN-indexed tsvector per unit in ``catalogue_search`` (configuration
  ``gedsae_sae``: ``simple`` words folded by ``unaccent``), titles weighted A, descriptions B,
  ranked by ``ts_rank``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from typing import Any, Final

from sqlalchemy import Connection, delete, insert, select, text, update

from sae.adapters.db import tables as t
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
_UNITS: Final = t.catalogue_units
_OBJECTS: Final = t.catalogue_objects
_LINKS: Final = t.catalogue_links
_OBJECT_COLUMNS: Final = tuple(CatalogueObject.__dataclass_fields__)
_UNIT_COLUMNS: Final = (
    "archive_id",
    "tenant",
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
_SELECT_UNIT: Final = ", ".join(f"u.{c}" for c in _UNIT_COLUMNS)
_POSTGRES_INDEX: Final = text(
    "INSERT INTO catalogue_search (unit_pk, tenant, tsv) VALUES (:pk, :tenant, "
    "setweight(to_tsvector('gedsae_sae', :titles), 'A') || "
    "setweight(to_tsvector('gedsae_sae', :description), 'B'))"
)
_POSTGRES_UNINDEX: Final = text("DELETE FROM catalogue_search WHERE unit_pk = :pk")
_SQLITE_UNINDEX: Final = text("DELETE FROM catalogue_fts WHERE rowid = :pk")
_SQLITE_INDEX: Final = text(
    "INSERT INTO catalogue_fts (rowid, title, description) VALUES (:pk, :titles, :description)"
)


class SqlCatalogue:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant
        self.postgres = conn.dialect.name == "postgresql"

    def record(self, description: Description) -> None:
        """Inserts the rows in the unit of work's transaction (the acceptance's), each table's
        rows in one statement (an acceptance calls this by batches of a few hundred)."""
        if description.objects:
            rows = [{**_object_row(o), "tenant": self.tenant} for o in description.objects]
            self.conn.execute(insert(_OBJECTS), rows)
        units = description.units
        for unit in units:
            if unit.organisation != self.tenant:
                raise ValueError(f"unit of {unit.organisation} in a unit of work of {self.tenant}")
        if units:
            statement = insert(_UNITS).returning(_UNITS.c.pk, sort_by_parameter_order=True)
            pks = self.conn.execute(statement, [_unit_row(u) for u in units]).scalars().all()
            index = _POSTGRES_INDEX if self.postgres else _SQLITE_INDEX
            self.conn.execute(index, [self._words(pk, u) for pk, u in zip(pks, units, strict=True)])
        links = [
            {"tenant": self.tenant, "archive_id": u.archive_id, "transfer_id": u.transfer_id}
            | {"object_id": object_id}
            for u in units
            for object_id in u.object_ids
        ]
        links += [{"tenant": self.tenant, **asdict(link)} for link in description.links]
        if links:
            self.conn.execute(insert(_LINKS), links)

    def _words(self, pk: int, unit: CatalogueUnit) -> dict[str, Any]:
        words = {"titles": "\n".join(unit.titles) or unit.title, "description": unit.description}
        if self.postgres:  # as FTS5 and the queries split them (PostgreSQL's parser would keep
            words = {k: separated(v) for k, v in words.items()}  # « a.txt » as one file token)
        return {"pk": pk, "tenant": self.tenant, **words}

    def amend(self, unit: CatalogueUnit) -> None:
        mine = (_UNITS.c.tenant == self.tenant) & (_UNITS.c.archive_id == unit.archive_id)
        values = {"title": unit.title, "description": unit.description}
        rules = json.dumps(unit.rules.to_dict(), ensure_ascii=False)
        self.conn.execute(update(_UNITS).where(mine).values(**values, rules=rules))
        pk = self.conn.execute(select(_UNITS.c.pk).where(mine)).scalar_one()
        self.conn.execute(_POSTGRES_UNINDEX if self.postgres else _SQLITE_UNINDEX, {"pk": pk})
        words = {"titles": unit.title, "description": unit.description}
        if self.postgres:
            words = {k: separated(v) for k, v in words.items()}
        index = _POSTGRES_INDEX if self.postgres else _SQLITE_INDEX
        self.conn.execute(index, {"pk": pk, "tenant": self.tenant, **words})

    def units(self) -> Iterator[CatalogueUnit]:
        query = (
            select(*(_UNITS.c[name] for name in _UNIT_COLUMNS))
            .where(_UNITS.c.tenant == self.tenant)
            .order_by(_UNITS.c.pk)
        )
        for row in self.conn.execute(query):
            yield _unit(row._mapping)

    def remove(self, archive_ids: Sequence[str]) -> set[str]:
        ids = list(archive_ids)
        if not ids:
            return set()
        mine = (_UNITS.c.tenant == self.tenant) & _UNITS.c.archive_id.in_(ids)
        pks = [r.pk for r in self.conn.execute(select(_UNITS.c.pk).where(mine))]
        index = _POSTGRES_UNINDEX if self.postgres else _SQLITE_UNINDEX
        for pk in pks:
            self.conn.execute(index, {"pk": pk})
        linked = (_LINKS.c.tenant == self.tenant) & _LINKS.c.archive_id.in_(ids)
        keys = {
            (r.transfer_id, r.object_id) for r in self.conn.execute(select(_LINKS).where(linked))
        }
        self.conn.execute(delete(_LINKS).where(linked))
        self.conn.execute(delete(_UNITS).where(mine))
        released = {sha for key in sorted(keys) if (sha := self._unlinked(*key)) is not None}
        return {sha for sha in released if not self._held(sha)}

    def _unlinked(self, transfer_id: str, object_id: str) -> str | None:
        """The object's SHA-256 once its row is deleted, if no unit links it any more."""
        same = (
            (_LINKS.c.tenant == self.tenant)
            & (_LINKS.c.transfer_id == transfer_id)
            & (_LINKS.c.object_id == object_id)
        )
        if self.conn.execute(select(_LINKS.c.archive_id).where(same).limit(1)).first():
            return None
        row = (
            (_OBJECTS.c.tenant == self.tenant)
            & (_OBJECTS.c.transfer_id == transfer_id)
            & (_OBJECTS.c.object_id == object_id)
        )
        sha = self.conn.execute(select(_OBJECTS.c.sha256).where(row)).scalar_one_or_none()
        self.conn.execute(delete(_OBJECTS).where(row))
        return None if sha is None else str(sha)

    def _held(self, sha256: str) -> bool:
        query = select(_OBJECTS.c.object_id).where(
            _OBJECTS.c.tenant == self.tenant, _OBJECTS.c.sha256 == sha256
        )
        return self.conn.execute(query.limit(1)).first() is not None

    def search(self, query: ArchiveQuery) -> ArchivePage:
        clauses, params = _filters(query, self.tenant)
        words = terms(query.text)
        if not words:
            sql = (
                f"SELECT {_SELECT_UNIT} FROM catalogue_units u "  # noqa: S608
                f"WHERE {' AND '.join(clauses)} ORDER BY u.archived_at DESC, u.pk"
            )
        elif self.postgres:
            sql, params["q"] = _postgres_search(clauses), " ".join(words)
        else:
            params["match"] = " ".join('"' + w.replace('"', '""') + '"' for w in words)
            sql = _sqlite_search(clauses)
        params.update(limit=query.limit + 1, offset=query.offset)
        statement = text(sql + " LIMIT :limit OFFSET :offset").columns(archived_at=t.UtcDateTime)
        rows = self.conn.execute(statement, params).all()
        units = [_unit(r._mapping) for r in rows[: query.limit]]
        return ArchivePage(units, max(query.page, 1), query.limit, len(rows) > query.limit)

    def detail(self, archive_id: str) -> ArchiveDetail:
        unit = self._find_unit(archive_id)
        children = self._units(_UNITS.c.parent_archive_id == archive_id)
        objects = self._objects_of(archive_id)
        return ArchiveDetail(unit, children, objects)

    def object(self, archive_id: str, object_id: str) -> CatalogueObject:
        self._find_unit(archive_id)
        found = [o for o in self._objects_of(archive_id, object_id)]
        if not found:
            raise ArchiveObjectNotFound(f"Objet {object_id} absent de l'archive {archive_id}")
        return found[0]

    def transfers_holding(self, sha256: str) -> list[str]:
        query = (
            select(_OBJECTS.c.transfer_id)
            .where(_OBJECTS.c.tenant == self.tenant, _OBJECTS.c.sha256 == sha256)
            .distinct()
            .order_by(_OBJECTS.c.transfer_id)
        )
        return [str(row[0]) for row in self.conn.execute(query)]

    def _find_unit(self, archive_id: str) -> CatalogueUnit:
        found = self._units(_UNITS.c.archive_id == archive_id)
        if not found:
            raise ArchiveNotFound(f"Archive {archive_id} introuvable")
        return found[0]

    def _units(self, condition: Any) -> list[CatalogueUnit]:
        query = (
            select(*(_UNITS.c[name] for name in _UNIT_COLUMNS))
            .where(_UNITS.c.tenant == self.tenant, condition)
            .order_by(_UNITS.c.position)
        )
        return [_unit(r._mapping) for r in self.conn.execute(query)]

    def _objects_of(self, archive_id: str, object_id: str | None = None) -> list[CatalogueObject]:
        query = (
            select(*(_OBJECTS.c[name] for name in _OBJECT_COLUMNS))
            .join(
                _LINKS,
                (_LINKS.c.tenant == _OBJECTS.c.tenant)
                & (_LINKS.c.transfer_id == _OBJECTS.c.transfer_id)
                & (_LINKS.c.object_id == _OBJECTS.c.object_id),
            )
            .where(_LINKS.c.tenant == self.tenant, _LINKS.c.archive_id == archive_id)
            .order_by(_OBJECTS.c.object_id)
        )
        if object_id is not None:
            query = query.where(_LINKS.c.object_id == object_id)
        return [CatalogueObject(**r._mapping) for r in self.conn.execute(query)]


def separated(text_: str) -> str:
    """Anything but letters and digits made a space: « deliberation.txt » is two words."""
    return "".join(ch if ch.isalnum() else " " for ch in text_)


def terms(text_: str) -> list[str]:
    """Search terms of free text: anything but letters and digits separates, at most
    ``MAX_TERMS`` (quoted for FTS5, given to plainto_tsquery: no word is read as an operator)."""
    return separated(text_).split()[:MAX_TERMS]


def _sqlite_search(clauses: Sequence[str]) -> str:
    return (
        f"SELECT {_SELECT_UNIT} FROM "  # noqa: S608
        "(SELECT rowid, bm25(catalogue_fts, 10.0, 3.0) AS rank FROM catalogue_fts "
        "WHERE catalogue_fts MATCH :match) AS f "
        "CROSS JOIN catalogue_units u ON u.pk = f.rowid "
        f"WHERE {' AND '.join('+' + c for c in clauses)} ORDER BY f.rank, u.pk"
    )


def _postgres_search(clauses: Sequence[str]) -> str:
    return (
        f"SELECT {_SELECT_UNIT} FROM catalogue_search s "  # noqa: S608
        "JOIN catalogue_units u ON u.pk = s.unit_pk, "
        "plainto_tsquery('gedsae_sae', :q) AS q "
        f"WHERE s.tenant = :tenant AND s.tsv @@ q AND {' AND '.join(clauses)} "
        "ORDER BY ts_rank(s.tsv, q) DESC, u.pk"
    )


def _filters(query: ArchiveQuery, tenant: str) -> tuple[list[str], dict[str, Any]]:
    """WHERE fragments on units ``u`` and their bound parameters (values are never inlined)."""
    clauses = ["u.tenant = :tenant"]
    params: dict[str, Any] = {"tenant": tenant}
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


def _unit_row(unit: CatalogueUnit) -> dict[str, Any]:
    values = {name: getattr(unit, name) for name in _UNIT_COLUMNS if name != "tenant"}
    rules = json.dumps(unit.rules.to_dict(), ensure_ascii=False)
    return {**values, "tenant": unit.organisation, "rules": rules}


def _unit(row: Mapping[Any, Any]) -> CatalogueUnit:
    values = {name: row[name] for name in _UNIT_COLUMNS if name != "tenant"}
    # Units catalogued before their rules were kept have none (NULL).
    values["rules"] = UnitRules.from_dict(json.loads(values["rules"] or "{}"))
    return CatalogueUnit(**values, organisation=row["tenant"])


def _object_row(obj: CatalogueObject) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in _OBJECT_COLUMNS}
