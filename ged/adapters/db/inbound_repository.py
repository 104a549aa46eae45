"""SQL persistence of imports from the business systems: their records, circuit histories and
délibération ↔ acte links.

``claim`` inserts with ``ON CONFLICT DO NOTHING`` on both dialects: of two processes importing
the same business identifier at once exactly one inserts, so an acte never makes two dossiers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from ged.adapters.db import tables as t
from ged.adapters.db.rows import as_utc
from ged.domain.inbound import DocumentEvent, InboundRecord, LinkClaim, LinkSide, Profile


class SqlInboundRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, organisation_id: str, profile: Profile, business_id: str) -> InboundRecord | None:
        c = t.inbound_records.c
        query = select(t.inbound_records).where(
            c.organisation_id == organisation_id,
            c.profile == profile.value,
            c.business_id == business_id,
        )
        row = self.conn.execute(query).mappings().first()
        return None if row is None else _record(row)

    def claim(self, record: InboundRecord) -> bool:
        values = {
            **record.__dict__,
            "profile": record.profile.value,
            "documents": list(record.document_ids),
        }
        del values["document_ids"]
        if self.conn.dialect.name == "postgresql":
            stmt: Any = postgresql.insert(t.inbound_records).values(values)
        else:
            stmt = sqlite.insert(t.inbound_records).values(values)
        stmt = stmt.on_conflict_do_nothing()
        # RETURNING rather than rowcount: drivers disagree on rowcount after DO NOTHING
        returned = self.conn.execute(stmt.returning(t.inbound_records.c.business_id))
        return returned.first() is not None

    def add_events(self, events: Sequence[DocumentEvent]) -> None:
        if events:
            self.conn.execute(insert(t.document_events), [e.__dict__ for e in events])

    def events_of(self, document_id: str) -> list[DocumentEvent]:
        c = t.document_events.c
        query = select(t.document_events).where(c.document_id == document_id).order_by(c.position)
        return [
            DocumentEvent(**{**row, "occurred_at": as_utc(row["occurred_at"])})
            for row in self.conn.execute(query).mappings()
        ]

    def add_links(self, claims: Sequence[LinkClaim]) -> None:
        if claims:
            self.conn.execute(insert(t.inbound_links), [_link_values(c) for c in claims])

    def claims_of(self, dossier_id: str) -> list[LinkClaim]:
        query = select(t.inbound_links).where(t.inbound_links.c.dossier_id == dossier_id)
        return [_claim(row) for row in self.conn.execute(query).mappings()]

    def links(self, organisation_id: str, keys: Sequence[str]) -> list[LinkClaim]:
        c = t.inbound_links.c
        query = (
            select(t.inbound_links)
            .where(c.organisation_id == organisation_id, c.link_key.in_(list(keys)))
            .order_by(c.link_key, c.side, c.dossier_id)
        )
        return [_claim(row) for row in self.conn.execute(query).mappings()]


def _record(row: RowMapping) -> InboundRecord:
    return InboundRecord(
        organisation_id=row["organisation_id"],
        profile=Profile(row["profile"]),
        business_id=row["business_id"],
        dossier_id=row["dossier_id"],
        fingerprint=row["fingerprint"],
        document_ids=tuple(row["documents"]),
        imported_at=as_utc(row["imported_at"]),
        imported_by=row["imported_by"],
    )


def _link_values(claim: LinkClaim) -> dict[str, Any]:
    return {
        "organisation_id": claim.organisation_id,
        "link_key": claim.key,
        "side": claim.side.value,
        "dossier_id": claim.dossier_id,
        "document_id": claim.document_id,
        "number": claim.number,
    }


def _claim(row: RowMapping) -> LinkClaim:
    return LinkClaim(
        organisation_id=row["organisation_id"],
        key=row["link_key"],
        side=LinkSide(row["side"]),
        number=row["number"],
        dossier_id=row["dossier_id"],
        document_id=row["document_id"],
    )
