"""The port of the webhooks: the URLs principals registered, and the persisted queue of their
deliveries with every attempt.

Implemented by ``ged.adapters.db.webhook_repository.SqlWebhookRepository``; mypy checks that
the adapter satisfies it (``SqlUnitOfWork.webhooks``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class Webhook:
    id: str
    organisation_id: str
    principal_id: str
    url: str
    secret: str  # the HMAC key, shown once to its principal; each delivery is signed with it
    all_transfers: bool  # every transfer of the organisation, or only the principal's own
    created_at: datetime


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status: int | None  # the HTTP status answered; None when no answer came
    error: str | None  # why it failed, in a sentence; None for a delivered attempt


@dataclass(frozen=True)
class Delivery:
    id: str
    webhook_id: str
    event: dict[str, Any]  # what is sent, apart from the moment it is sent
    state: DeliveryState
    attempts: tuple[Attempt, ...]
    created_at: datetime
    next_attempt_at: datetime | None


class WebhookRepository(Protocol):
    def add(self, webhook: Webhook) -> None: ...

    def get(self, webhook_id: str) -> Webhook | None: ...

    def of_organisation(self, organisation_id: str) -> list[Webhook]: ...

    def delete(self, webhook_id: str) -> None:
        """The webhook and its deliveries, delivered or not."""
        ...

    def enqueue(self, delivery: Delivery) -> None: ...

    def lease(self, delivery: Delivery, until: datetime) -> bool:
        """Moves the pending ``delivery``'s next try to ``until`` unless another process already
        did (its next try is no longer the one read); says whether this one holds it."""
        ...

    def save(self, delivery: Delivery) -> None:
        """A delivery's state, attempts and next try after an attempt."""
        ...

    def deliveries(self, webhook_id: str, limit: int, offset: int) -> list[Delivery]:
        """Newest first."""
        ...

    def due(self, now: datetime, limit: int) -> list[tuple[Webhook, Delivery]]:
        """Pending deliveries whose next try has come, oldest first, with their webhook."""
        ...
