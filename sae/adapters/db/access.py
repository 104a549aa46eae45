"""Communication on SQLAlchemy Core: a tenant's delivery requests and replies
(``DeliveryRepository``), its archivists' derogations (``DerogationRepository``) and its access
register (``AccessRegister``, append-only: the application's role may not update nor delete it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update

from kernel.paging import Page
from sae.adapters.db import tables as t
from sae.model import AccessBasis, AccessRecord, Delivery, Derogation
from sae.ports import DerogationNotFound

_DELIVERIES: Final = t.deliveries
_DEROGATIONS: Final = t.derogations
_REGISTER: Final = t.access_register
_RECORD_COLUMNS: Final = tuple(AccessRecord.__dataclass_fields__)


class SqlDeliveries:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def add(self, delivery: Delivery) -> None:
        row = {**delivery.__dict__, "unit_ids": json.dumps(list(delivery.unit_ids))}
        self.conn.execute(insert(_DELIVERIES), {**row, "tenant": self.tenant})

    def find(self, message_identifier: str) -> Delivery | None:
        query = select(_DELIVERIES).where(
            _DELIVERIES.c.tenant == self.tenant,
            _DELIVERIES.c.message_identifier == message_identifier,
        )
        row = self.conn.execute(query).first()
        return None if row is None else _delivery(row._mapping)

    def listing(self, page: Page) -> list[Delivery]:
        query = (
            select(_DELIVERIES)
            .where(_DELIVERIES.c.tenant == self.tenant)
            .order_by(_DELIVERIES.c.received_at.desc(), _DELIVERIES.c.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        return [_delivery(r._mapping) for r in self.conn.execute(query)]


class SqlDerogations:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def add(self, derogation: Derogation) -> None:
        self.conn.execute(insert(_DEROGATIONS), {**derogation.__dict__, "tenant": self.tenant})

    def get(self, derogation_id: str) -> Derogation:
        found = self._where(_DEROGATIONS.c.id == derogation_id)
        if not found:
            raise DerogationNotFound(f"Dérogation {derogation_id} introuvable")
        return found[0]

    def of_archives(self, archive_ids: Sequence[str]) -> list[Derogation]:
        return self._where(_DEROGATIONS.c.archive_id.in_(list(archive_ids))) if archive_ids else []

    def listing(self, page: Page) -> list[Derogation]:
        query = (
            select(_DEROGATIONS)
            .where(_DEROGATIONS.c.tenant == self.tenant)
            .order_by(_DEROGATIONS.c.granted_at.desc(), _DEROGATIONS.c.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        return [_derogation(r._mapping) for r in self.conn.execute(query)]

    def revoke(self, derogation_id: str, at: datetime) -> Derogation:
        found = self.get(derogation_id)
        if found.revoked_at is not None:
            return found
        self.conn.execute(
            update(_DEROGATIONS)
            .where(_DEROGATIONS.c.tenant == self.tenant, _DEROGATIONS.c.id == derogation_id)
            .values(revoked_at=at)
        )
        return self.get(derogation_id)

    def _where(self, condition: Any) -> list[Derogation]:
        query = (
            select(_DEROGATIONS)
            .where(_DEROGATIONS.c.tenant == self.tenant, condition)
            .order_by(_DEROGATIONS.c.granted_at, _DEROGATIONS.c.id)
        )
        return [_derogation(r._mapping) for r in self.conn.execute(query)]


class SqlAccessRegister:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def add(self, records: Sequence[AccessRecord]) -> None:
        if records:
            rows = [{**r.__dict__, "basis": str(r.basis), "tenant": self.tenant} for r in records]
            self.conn.execute(insert(_REGISTER), rows)

    def between(self, start: date | None, end: date | None) -> Iterator[AccessRecord]:
        query = select(*(_REGISTER.c[c] for c in _RECORD_COLUMNS)).where(
            _REGISTER.c.tenant == self.tenant
        )
        if start is not None:
            query = query.where(_REGISTER.c.at >= datetime.combine(start, time(), UTC))
        if end is not None:
            following = datetime.combine(end + timedelta(days=1), time(), UTC)
            query = query.where(_REGISTER.c.at < following)
        query = query.order_by(_REGISTER.c.at, _REGISTER.c.pk)
        for row in self.conn.execute(query):
            values = dict(row._mapping)
            yield AccessRecord(**{**values, "basis": AccessBasis(values["basis"])})


def _delivery(row: Mapping[Any, Any]) -> Delivery:
    values = {name: row[name] for name in Delivery.__dataclass_fields__}
    values["unit_ids"] = tuple(json.loads(row["unit_ids"]))
    values["request"], values["reply"] = bytes(row["request"]), bytes(row["reply"])
    return Delivery(**values)


def _derogation(row: Mapping[Any, Any]) -> Derogation:
    return Derogation(**{name: row[name] for name in Derogation.__dataclass_fields__})
