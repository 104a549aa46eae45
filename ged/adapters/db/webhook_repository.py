"""SQL implementation of ``ged.services.webhook_repository.WebhookRepository``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from ged.adapters.db import tables as t
from ged.adapters.db.rows import as_utc, optional_utc
from ged.services.webhook_repository import Attempt, Delivery, DeliveryState, Webhook


class SqlWebhookRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, webhook: Webhook) -> None:
        self.conn.execute(insert(t.webhooks).values(**webhook.__dict__))

    def get(self, webhook_id: str) -> Webhook | None:
        row = self.conn.execute(select(t.webhooks).where(t.webhooks.c.id == webhook_id))
        found = row.mappings().first()
        return None if found is None else _webhook(found)

    def of_organisation(self, organisation_id: str) -> list[Webhook]:
        c = t.webhooks.c
        query = select(t.webhooks).where(c.organisation_id == organisation_id)
        rows = self.conn.execute(query.order_by(c.created_at, c.id)).mappings()
        return [_webhook(r) for r in rows]

    def delete(self, webhook_id: str) -> None:
        d = t.webhook_deliveries.c
        self.conn.execute(delete(t.webhook_deliveries).where(d.webhook_id == webhook_id))
        self.conn.execute(delete(t.webhooks).where(t.webhooks.c.id == webhook_id))

    def enqueue(self, delivery: Delivery) -> None:
        self.conn.execute(insert(t.webhook_deliveries).values(**_values(delivery)))

    def lease(self, delivery: Delivery, until: datetime) -> bool:
        d = t.webhook_deliveries.c
        moved = self.conn.execute(
            update(t.webhook_deliveries)
            .where(
                d.id == delivery.id,
                d.state == DeliveryState.PENDING.value,
                d.next_attempt_at == delivery.next_attempt_at,
            )
            .values(next_attempt_at=until)
        )
        return moved.rowcount == 1

    def save(self, delivery: Delivery) -> None:
        d = t.webhook_deliveries.c
        values = _values(delivery)
        self.conn.execute(update(t.webhook_deliveries).where(d.id == delivery.id).values(**values))

    def deliveries(self, webhook_id: str, limit: int, offset: int) -> list[Delivery]:
        d = t.webhook_deliveries.c
        query = select(t.webhook_deliveries).where(d.webhook_id == webhook_id)
        query = query.order_by(d.created_at.desc(), d.id.desc()).limit(limit).offset(offset)
        return [_delivery(r) for r in self.conn.execute(query).mappings()]

    def due(self, now: datetime, limit: int) -> list[tuple[Webhook, Delivery]]:
        d = t.webhook_deliveries.c
        query = (
            select(t.webhook_deliveries, t.webhooks)
            .join(t.webhooks, t.webhooks.c.id == d.webhook_id)
            .where(d.state == DeliveryState.PENDING.value, d.next_attempt_at <= now)
            .order_by(d.next_attempt_at, d.created_at)
            .limit(limit)
        )
        found = []
        for row in self.conn.execute(query):
            columns = row._mapping
            hook = {c.name: columns[t.webhooks.c[c.name]] for c in t.webhooks.c}
            item = {c.name: columns[d[c.name]] for c in t.webhook_deliveries.c}
            found.append((_webhook(hook), _delivery(item)))
        return found


def _values(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event": delivery.event,
        "state": delivery.state.value,
        "attempts": [
            {"at": a.at.isoformat(), "status": a.status, "error": a.error}
            for a in delivery.attempts
        ],
        "created_at": delivery.created_at,
        "next_attempt_at": delivery.next_attempt_at,
    }


def _webhook(row: Mapping[Any, Any]) -> Webhook:
    return Webhook(
        id=row["id"],
        organisation_id=row["organisation_id"],
        principal_id=row["principal_id"],
        url=row["url"],
        secret=row["secret"],
        all_transfers=bool(row["all_transfers"]),
        created_at=as_utc(row["created_at"]),
    )


def _delivery(row: Mapping[Any, Any]) -> Delivery:
    attempts = tuple(
        Attempt(datetime.fromisoformat(a["at"]), a["status"], a["error"]) for a in row["attempts"]
    )
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        event=dict(row["event"]),
        state=DeliveryState(row["state"]),
        attempts=attempts,
        created_at=as_utc(row["created_at"]),
        next_attempt_at=optional_utc(row["next_attempt_at"]),
    )
