"""SQL side of damaged content (``ged.services.fixity``): the ``blobs`` table is the reference
the stored copies are checked against, and where their damage is marked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, and_, exists, select, update
from sqlalchemy.engine import RowMapping

from ged.adapters.db import tables as t
from ged.domain.model import Damage
from ged.services.fixity import Holder, RecordedBlob

_PAGE: Final = 500


class SqlFixityRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def blobs_after(self, sha256: str, limit: int) -> list[RecordedBlob]:
        held = exists().where(t.versions.c.sha256 == t.blobs.c.sha256)
        query = (
            select(t.blobs)
            .where(t.blobs.c.sha256 > sha256, held)
            .order_by(t.blobs.c.sha256)
            .limit(limit)
        )
        return [_blob(row) for row in self.conn.execute(query).mappings()]

    def known(self, digests: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(digests), _PAGE):
            page = list(digests[start : start + _PAGE])
            query = select(t.versions.c.sha256).where(t.versions.c.sha256.in_(page)).distinct()
            found.update(self.conn.execute(query).scalars())
        return found

    def find(self, sha256: str) -> RecordedBlob | None:
        row = (
            self.conn.execute(select(t.blobs).where(t.blobs.c.sha256 == sha256)).mappings().first()
        )
        return _blob(row) if row else None

    def set_damage(self, sha256: str, damage: Damage | None, at: datetime) -> bool:
        value = damage.value if damage else None
        changed = self.conn.execute(
            update(t.blobs)
            .where(and_(t.blobs.c.sha256 == sha256, t.blobs.c.damage.is_distinct_from(value)))
            .values(damage=value, damaged_at=at if damage else None)
        )
        return bool(changed.rowcount)

    def holders(self, sha256: str) -> list[Holder]:
        query = (
            select(t.versions.c.document_id, t.documents.c.organisation_id, t.versions.c.number)
            .join(t.documents, t.documents.c.id == t.versions.c.document_id)
            .where(t.versions.c.sha256 == sha256)
            .order_by(t.versions.c.document_id, t.versions.c.number)
        )
        found: dict[tuple[str, str], list[int]] = {}
        for document_id, organisation_id, number in self.conn.execute(query):
            found.setdefault((document_id, organisation_id), []).append(number)
        return [Holder(doc, org, tuple(numbers)) for (doc, org), numbers in found.items()]


def _blob(row: RowMapping) -> RecordedBlob:
    damage = row["damage"]
    return RecordedBlob(
        row["sha256"], row["sha512"], row["size"], Damage(damage) if damage else None
    )
