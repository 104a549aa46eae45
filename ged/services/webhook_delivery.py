"""Delivering the webhooks' queue: one pass of the scheduler of ``gedsae serve``.

Each delivery is POSTed as JSON with ``X-Gedsae-Signature: sha256=<hex>``, the HMAC-SHA256 of
the raw body under the webhook's key (RFC 2104), and ``X-Gedsae-Timestamp`` (Unix seconds),
also inside the signed body as ``sent_at``: a receiver checks the signature over the bytes it
received, then refuses a timestamp too old (a replay) and a ``delivery_id`` it has seen. A 2xx
answer delivers it; anything else (another status, a redirect — never followed —, no answer, a
refused address) is an attempt in its log, tried again after an exponential back-off, and given
up once ``give_up_after`` has passed since the change. Each attempt first takes a lease on its
delivery (two processes of one instance never send it at once) and is saved before the next
delivery is tried, so a restart resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from ged.services.context import Context
from ged.services.transfer_state import backoff
from ged.services.webhook_repository import Attempt, Delivery, DeliveryState, Webhook
from ged.services.webhooks import Resolve, WebhookSettings

# an attempt holds its delivery this long: a process killed mid-send leaves it to be sent again
# after it (a receiver may get a delivery twice, and recognises it by its delivery_id)
LEASE_SECONDS = 120.0
SIGNATURE_HEADER = "X-Gedsae-Signature"
TIMESTAMP_HEADER = "X-Gedsae-Timestamp"


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer
    error: str | None = None  # why no answer, in French


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """POSTs once, following no redirect; a refused address or a network failure is an
        ``Answer`` without status, never an exception."""
        ...


@dataclass(frozen=True)
class WebhookSetup:
    """What the webhooks need beyond the database, wired by ``ged.bootstrap``."""

    settings: WebhookSettings
    resolve: Resolve
    sender: WebhookSender


def signature(secret: str, body: bytes) -> str:
    """The ``X-Gedsae-Signature`` value of ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_request(
    webhook: Webhook, delivery: Delivery, now: datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt."""
    payload = {**delivery.event, "delivery_id": delivery.id, "sent_at": now.isoformat()}
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(webhook.secret, body),
        TIMESTAMP_HEADER: str(int(now.timestamp())),
        "X-Gedsae-Delivery": delivery.id,
    }
    return body, headers


def deliver_due(ctx: Context, sender: WebhookSender, settings: WebhookSettings) -> int:
    """Attempts every delivery whose time has come (a batch); says how many were attempted."""
    with ctx.uow() as uow:
        due = uow.webhooks.due(ctx.clock(), settings.batch)
    for webhook, delivery in due:
        attempt(ctx, sender, settings, webhook, delivery)
    return len(due)


def attempt(
    ctx: Context,
    sender: WebhookSender,
    settings: WebhookSettings,
    webhook: Webhook,
    delivery: Delivery,
) -> Delivery:
    now = ctx.clock()
    with ctx.uow() as uow:
        held = uow.webhooks.lease(delivery, now + timedelta(seconds=LEASE_SECONDS))
        uow.commit()
    if not held:  # another process of the instance is sending it
        return delivery
    body, headers = signed_request(webhook, delivery, now)
    answer = sender.post(webhook.url, body, headers)
    done = after_attempt(delivery, answer, now, settings)
    with ctx.uow() as uow:
        uow.webhooks.save(done)
        uow.commit()
    return done


def after_attempt(
    delivery: Delivery, answer: Answer, now: datetime, settings: WebhookSettings
) -> Delivery:
    delivered = answer.status is not None and 200 <= answer.status < 300
    error = None if delivered else (answer.error or f"réponse HTTP {answer.status}")
    attempts = (*delivery.attempts, Attempt(now, answer.status, error))
    if delivered:
        return replace(
            delivery, state=DeliveryState.DELIVERED, attempts=attempts, next_attempt_at=None
        )
    if now >= give_up_at(delivery, settings):
        return replace(
            delivery, state=DeliveryState.ABANDONED, attempts=attempts, next_attempt_at=None
        )
    delay = backoff(len(attempts), base=settings.retry_base_seconds)
    later = min(now + timedelta(seconds=delay), give_up_at(delivery, settings))
    return replace(delivery, attempts=attempts, next_attempt_at=later)


def give_up_at(delivery: Delivery, settings: WebhookSettings) -> datetime:
    return delivery.created_at + settings.give_up_after
