"""Webhooks: a business application hears of each state change of the transfers it may see.

A principal who sends or follows transfers (``transfer_loop.SENDERS``) registers an http(s)
URL and gets an HMAC key, shown once. Whoever runs transfers hears of every transfer of the
organisation; an application client of those it started (as it sees them in the API). Each
state change is queued for each webhook concerned in the SAME transaction as the change and its
log entry (``transfer_state.log``), so a change is never recorded without its notifications
and a restart loses none; the scheduler of ``gedsae serve`` delivers them
(``ged.services.webhook_delivery``). A URL whose host is a private, loopback or link-local
address is refused unless the instance allows it (``webhook_allow_private``): the GED must not
be used to reach its own network (SSRF).
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from ged.domain.access import Principal
from ged.domain.model import Role
from ged.services import lifecycle
from ged.services.context import Context, new_id
from ged.services.ports import TransferRecord, TransferState, UnitOfWork
from ged.services.webhook_repository import Delivery, DeliveryState, Webhook
from kernel.errors import InvalidError, Issue, NotFoundError
from kernel.paging import Page

# A host name -> its addresses (raises OSError when it has none), injected so tests need no DNS.
Resolve = Callable[[str], Iterable[str]]
SENDERS = lifecycle.SENDERS
MAX_URL = 2000


@dataclass(frozen=True)
class WebhookSettings:
    allow_private: bool = False  # loopback and private addresses (tests, a trusted network)
    give_up_after: timedelta = timedelta(hours=72)
    retry_base_seconds: float = 30.0  # first back-off; doubled at each failure, capped at 1 h
    batch: int = 100  # deliveries attempted in one pass


class WebhookNotFound(NotFoundError):
    code = "webhook_not_found"
    title = "Webhook introuvable"


class WebhookUrlRefused(InvalidError):
    code = "webhook_url_refused"
    title = "Adresse de webhook refusée"


@dataclass(frozen=True)
class Registered:
    webhook: Webhook
    secret: str  # shown once, to whoever registered it


def register(
    ctx: Context, actor: Principal, url: str, settings: WebhookSettings, resolve: Resolve
) -> Registered:
    """A webhook of ``actor`` at ``url`` with a fresh HMAC key (logged without it)."""
    actor.ensure_role(*SENDERS)
    problems = url_problems(url, resolve, settings.allow_private)
    if problems:
        issues = [Issue("webhook_url_refused", p, path="url") for p in problems]
        raise WebhookUrlRefused(f"Adresse refusée : {url}", issues=issues)
    secret = secrets.token_urlsafe(32)
    webhook = Webhook(
        id=new_id(),
        organisation_id=actor.organisation_id,
        principal_id=actor.id,
        url=url,
        secret=secret,
        all_transfers=actor.has(*lifecycle.RUNNERS),
        created_at=ctx.clock(),
    )
    with ctx.uow() as uow:
        uow.webhooks.add(webhook)
        details = {"url": url, "all_transfers": webhook.all_transfers}
        uow.log(actor.id, "webhook.register", "webhook", webhook.id, actor.organisation_id, details)
        uow.commit()
    return Registered(webhook, secret)


def url_problems(url: str, resolve: Resolve, allow_private: bool) -> list[str]:
    """Why ``url`` may not receive deliveries, in French; none when it may."""
    if len(url) > MAX_URL:
        return [f"adresse de plus de {MAX_URL} caractères"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ["adresse http:// ou https:// attendue"]
    if parts.username or parts.password:
        return ["identifiants dans l'adresse refusés : vérifiez la signature à la place"]
    try:
        addresses = [ipaddress.ip_address(a) for a in resolve(parts.hostname)]
    except (OSError, ValueError):
        return [f"hôte {parts.hostname} introuvable"]
    if allow_private:
        return []
    return [
        f"{parts.hostname} désigne une adresse interne ({address}) : refusée sur cette instance"
        for address in addresses
        if not address.is_global or address.is_multicast
    ]


def webhooks_of(ctx: Context, actor: Principal) -> list[Webhook]:
    """The caller's webhooks; an administrator sees every one of the organisation."""
    actor.ensure_role(*SENDERS)
    with ctx.uow() as uow:
        found = uow.webhooks.of_organisation(actor.organisation_id)
    return [w for w in found if _sees(actor, w)]


def remove(ctx: Context, actor: Principal, webhook_id: str) -> None:
    """The webhook and its queue go; nothing more is sent to it."""
    webhook = get(ctx, actor, webhook_id)
    with ctx.uow() as uow:
        uow.webhooks.delete(webhook.id)
        details = {"url": webhook.url}
        uow.log(actor.id, "webhook.remove", "webhook", webhook.id, actor.organisation_id, details)
        uow.commit()


def get(ctx: Context, actor: Principal, webhook_id: str) -> Webhook:
    actor.ensure_role(*SENDERS)
    with ctx.uow() as uow:
        found = uow.webhooks.get(webhook_id)
    if found is None or not _sees(actor, found):
        raise WebhookNotFound(f"Webhook {webhook_id} introuvable")
    return found


def deliveries(ctx: Context, actor: Principal, webhook_id: str, page: Page) -> list[Delivery]:
    """The webhook's deliveries, newest first, each with its attempts and next try."""
    webhook = get(ctx, actor, webhook_id)
    with ctx.uow() as uow:
        return uow.webhooks.deliveries(webhook.id, page.limit, page.offset)


def _sees(actor: Principal, webhook: Webhook) -> bool:
    if webhook.organisation_id != actor.organisation_id:
        return False
    return webhook.principal_id == actor.id or actor.has(Role.ADMIN)


def enqueue_transfer_change(
    uow: UnitOfWork, record: TransferRecord, previous: TransferState | None
) -> None:
    """One delivery per webhook that may see ``record``, in the caller's transaction."""
    event = transfer_event(record, previous)
    now = record.updated_at
    for webhook in uow.webhooks.of_organisation(record.organisation_id):
        if webhook.all_transfers or webhook.principal_id == record.created_by:
            queued = Delivery(new_id(), webhook.id, event, DeliveryState.PENDING, (), now, now)
            uow.webhooks.enqueue(queued)


def transfer_event(record: TransferRecord, previous: TransferState | None) -> dict[str, Any]:
    """What a webhook is told of a transfer's state change (the delivery adds its id and the
    moment it is sent)."""
    return {
        "event": "transfer.state_changed",
        "event_id": new_id(),
        "occurred_at": record.updated_at.isoformat(),
        "transfer": {
            "message_identifier": record.message_identifier,
            "state": record.state.value,
            "previous_state": None if previous is None else previous.value,
            "agreement": record.agreement,
            "error_code": record.last_error_code,
            "href": f"/api/v1/transfers/{record.message_identifier}",
        },
    }
