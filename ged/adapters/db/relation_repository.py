"""SQL side of ``ged.services.relations``: the ``document_relations`` table."""

from __future__ import annotations

from sqlalchemy import Connection, and_, insert, select

from ged.adapters.db import tables as t
from ged.domain.model import Relation

_R = t.document_relations


class SqlRelationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, document_id: str, relation: Relation, target_id: str) -> None:
        row = {"document_id": document_id, "relation": relation.value, "target_id": target_id}
        self.conn.execute(insert(_R), row)

    def targets(self, document_id: str, relation: Relation) -> list[str]:
        query = select(_R.c.target_id).where(
            _R.c.document_id == document_id, _R.c.relation == relation.value
        )
        return list(self.conn.execute(query.order_by(_R.c.target_id)).scalars())

    def in_dossier(self, dossier_id: str, relation: Relation) -> dict[str, list[str]]:
        d = t.documents
        query = (
            select(_R.c.document_id, _R.c.target_id)
            .join(d, d.c.id == _R.c.document_id)
            .where(d.c.dossier_id == dossier_id, _R.c.relation == relation.value)
            .order_by(_R.c.document_id, _R.c.target_id)
        )
        found: dict[str, list[str]] = {}
        for source, target in self.conn.execute(query):
            found.setdefault(source, []).append(target)
        return found

    def sources(self, target_id: str, relation: Relation) -> list[str]:
        query = select(_R.c.document_id).where(
            _R.c.target_id == target_id, _R.c.relation == relation.value
        )
        return list(self.conn.execute(query.order_by(_R.c.document_id)).scalars())

    def named(self, dossier_id: str, filename: str) -> list[str]:
        d, v = t.documents, t.versions
        query = (
            select(d.c.id)
            .join(v, and_(v.c.document_id == d.c.id, v.c.number == d.c.current_version))
            .where(d.c.dossier_id == dossier_id, v.c.filename == filename)
            .order_by(d.c.pk)
        )
        return list(self.conn.execute(query).scalars())
