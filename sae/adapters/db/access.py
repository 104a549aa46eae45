"""Communication on SQLAlchemy Core: a tenant's delivery requests and replies
(``DeliveryRepository``), its archivists' derogations (``DerogationRepository``) and its access
register (``AccessRegister``, append-only: the application's role may not update nor delete it),
its restitutions (``RestitutionRepository``) and the tombstones of deleted archives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update

from kernel.paging import Page
from sae.adapters.db import tables as t
from sae.model import (
    AccessBasis,
    AccessRecord,
    Delivery,
    Derogation,
    Elimination,
    EliminationState,
    MailboxMessage,
    Restitution,
    Tombstone,
)
from sae.ports import DerogationNotFound, EliminationNotFound

_DELIVERIES: Final = t.deliveries
_DEROGATIONS: Final = t.derogations
_REGISTER: Final = t.access_register
_RESTITUTIONS: Final = t.restitutions
_TOMBSTONES: Final = t.tombstones
_MAILBOX: Final = t.mailbox
_ELIMINATIONS: Final = t.eliminations
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


class SqlRestitutions:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def add(self, restitution: Restitution) -> None:
        row = {**restitution.__dict__, "unit_ids": json.dumps(list(restitution.unit_ids))}
        self.conn.execute(insert(_RESTITUTIONS), {**row, "tenant": self.tenant})

    def find(self, message_identifier: str) -> Restitution | None:
        row = self.conn.execute(select(_RESTITUTIONS).where(self._is(message_identifier))).first()
        return None if row is None else _restitution(row._mapping)

    def complete(self, message_identifier: str, receipt: bytes, at: datetime) -> None:
        self.conn.execute(
            update(_RESTITUTIONS)
            .where(self._is(message_identifier))
            .values(receipt=receipt, completed_at=at)
        )

    def listing(self) -> list[Restitution]:
        query = (
            select(_RESTITUTIONS)
            .where(_RESTITUTIONS.c.tenant == self.tenant)
            .order_by(_RESTITUTIONS.c.received_at.desc(), _RESTITUTIONS.c.id)
        )
        return [_restitution(r._mapping) for r in self.conn.execute(query)]

    def _is(self, message_identifier: str) -> Any:
        return (_RESTITUTIONS.c.tenant == self.tenant) & (
            _RESTITUTIONS.c.message_identifier == message_identifier
        )


class SqlTombstones:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def add(self, tombstones: Sequence[Tombstone]) -> None:
        rows = [
            {**t.__dict__, "objects": json.dumps(list(t.objects)), "tenant": self.tenant}
            for t in tombstones
        ]
        if rows:
            self.conn.execute(insert(_TOMBSTONES), rows)

    def of(self, archive_id: str) -> Tombstone | None:
        query = select(_TOMBSTONES).where(
            _TOMBSTONES.c.tenant == self.tenant, _TOMBSTONES.c.archive_id == archive_id
        )
        row = self.conn.execute(query).first()
        if row is None:
            return None
        values = {name: row._mapping[name] for name in Tombstone.__dataclass_fields__}
        return Tombstone(**{**values, "objects": tuple(json.loads(values["objects"]))})


def _restitution(row: Mapping[Any, Any]) -> Restitution:
    values = {name: row[name] for name in Restitution.__dataclass_fields__}
    values["unit_ids"] = tuple(json.loads(row["unit_ids"]))
    values["request"], values["reply"] = bytes(row["request"]), bytes(row["reply"])
    values["receipt"] = None if row["receipt"] is None else bytes(row["receipt"])
    return Restitution(**values)


class SqlMailbox:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def post(self, message: MailboxMessage) -> None:
        row = {k: v for k, v in message.__dict__.items() if k != "seq"}
        self.conn.execute(insert(_MAILBOX), {**row, "tenant": self.tenant})

    def after(self, seq: int, limit: int) -> list[MailboxMessage]:
        query = (
            select(_MAILBOX)
            .where(_MAILBOX.c.tenant == self.tenant, _MAILBOX.c.seq > seq)
            .order_by(_MAILBOX.c.seq)
            .limit(limit)
        )
        return [_mail(r._mapping) for r in self.conn.execute(query)]

    def get(self, message_id: str) -> MailboxMessage | None:
        query = select(_MAILBOX).where(
            _MAILBOX.c.tenant == self.tenant, _MAILBOX.c.id == message_id
        )
        row = self.conn.execute(query).first()
        return None if row is None else _mail(row._mapping)


class SqlEliminations:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    def add(self, elimination: Elimination) -> None:
        self.conn.execute(insert(_ELIMINATIONS), self._row(elimination))

    def get(self, elimination_id: str) -> Elimination:
        found = self._where(_ELIMINATIONS.c.id == elimination_id)
        if not found:
            raise EliminationNotFound(f"Élimination {elimination_id} introuvable")
        return found[0]

    def by_request(self, message_identifier: str) -> Elimination | None:
        found = self._where(_ELIMINATIONS.c.message_identifier == message_identifier)
        return found[0] if found else None

    def listing(self) -> list[Elimination]:
        return self._where(_ELIMINATIONS.c.tenant == self.tenant)[::-1]

    def update(self, elimination: Elimination) -> None:
        self.conn.execute(
            update(_ELIMINATIONS)
            .where(_ELIMINATIONS.c.tenant == self.tenant, _ELIMINATIONS.c.id == elimination.id)
            .values(self._row(elimination))
        )

    def _row(self, elimination: Elimination) -> dict[str, Any]:
        return {
            **elimination.__dict__,
            "unit_ids": json.dumps(list(elimination.unit_ids)),
            "state": str(elimination.state),
            "tenant": self.tenant,
        }

    def _where(self, condition: Any) -> list[Elimination]:
        query = (
            select(_ELIMINATIONS)
            .where(_ELIMINATIONS.c.tenant == self.tenant, condition)
            .order_by(_ELIMINATIONS.c.proposed_at, _ELIMINATIONS.c.id)
        )
        return [_elimination(r._mapping) for r in self.conn.execute(query)]


def _mail(row: Mapping[Any, Any]) -> MailboxMessage:
    values = {name: row[name] for name in MailboxMessage.__dataclass_fields__}
    return MailboxMessage(**{**values, "message": bytes(row["message"])})


def _elimination(row: Mapping[Any, Any]) -> Elimination:
    values = {name: row[name] for name in Elimination.__dataclass_fields__}
    values["unit_ids"] = tuple(json.loads(row["unit_ids"]))
    values["state"] = EliminationState(row["state"])
    for blob in ("reply", "notification", "control_request", "control_reply"):
        values[blob] = None if row[blob] is None else bytes(row[blob])
    return Elimination(**values)
