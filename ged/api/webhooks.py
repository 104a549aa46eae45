"""Webhooks: a business application registers a URL and hears of each state change of the
transfers it may see, signed (``ged.services.webhook_delivery``); its deliveries and their
attempts can be read back. Another principal's webhook answers 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ged.api.deps import Caller, Ctx
from ged.api.paging import Offset
from ged.services import webhooks
from ged.services.webhook_delivery import WebhookSetup, give_up_at
from ged.services.webhook_repository import Delivery, Webhook
from kernel.errors import UnavailableError
from kernel.paging import Page

router = APIRouter(tags=["webhooks"])
MAX_DELIVERIES_PAGE = 500


class WebhooksNotConfigured(UnavailableError):
    code = "webhooks_not_configured"
    title = "Webhooks indisponibles sur cette instance"


class WebhookIn(BaseModel):
    url: str = Field(
        min_length=1, max_length=webhooks.MAX_URL, examples=["https://parapheur.example/gedsae"]
    )


_REGISTERED = {
    "id": "5b0c7f0e-1d1b-4a4e-9d55-0c1f6f1c2a10",
    "url": "https://parapheur.example/gedsae",
    "all_transfers": False,
    "created_at": "2026-12-06T10:00:00+00:00",
    "secret": "montré une seule fois : conservez-le pour vérifier X-Gedsae-Signature",
}
_DELIVERY = {
    "id": "d4e1…",
    "state": "pending",
    "event": {
        "event": "transfer.state_changed",
        "event_id": "9f2a…",
        "occurred_at": "2026-12-06T10:00:05+00:00",
        "transfer": {
            "message_identifier": "PARAPH-2026-0042",
            "state": "sent",
            "previous_state": "prepared",
            "agreement": "ad35",
            "error_code": None,
            "href": "/api/v1/transfers/PARAPH-2026-0042",
        },
    },
    "attempts": [
        {"at": "2026-12-06T10:00:06+00:00", "status": 503, "error": "réponse HTTP 503"},
    ],
    "next_attempt_at": "2026-12-06T10:00:36+00:00",
    "give_up_at": "2026-12-09T10:00:05+00:00",
}


def _setup(request: Request) -> WebhookSetup:
    setup: WebhookSetup | None = getattr(request.app.state, "webhooks", None)
    if setup is None:
        raise WebhooksNotConfigured("Les webhooks ne sont pas activés sur ce serveur")
    return setup


@router.post(
    "/webhooks",
    status_code=201,
    responses={
        201: {
            "description": "webhook enregistré ; sa clé HMAC (secret) n'est montrée qu'ici",
            "content": {"application/json": {"example": _REGISTERED}},
        },
        422: {"description": "adresse refusée : pas http(s), hôte introuvable ou interne"},
    },
)
async def register_webhook(
    body: WebhookIn, request: Request, response: Response, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    """Every state change of the transfers the caller may see is POSTed to ``url``, signed
    with the returned ``secret`` (``X-Gedsae-Signature: sha256=<HMAC of the raw body>``)."""
    setup = _setup(request)
    done = await run_in_threadpool(
        webhooks.register, ctx, caller, body.url, setup.settings, setup.resolve
    )
    response.headers["Location"] = f"/api/v1/webhooks/{done.webhook.id}"
    return {**_shown(done.webhook), "secret": done.secret}


@router.get("/webhooks")
def list_webhooks(ctx: Ctx, caller: Caller) -> list[dict[str, Any]]:
    """The caller's webhooks (an administrator's: the organisation's), never their secret."""
    return [_shown(w) for w in webhooks.webhooks_of(ctx, caller)]


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: str, ctx: Ctx, caller: Caller) -> Response:
    webhooks.remove(ctx, caller, webhook_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    responses={200: {"content": {"application/json": {"example": [_DELIVERY]}}}},
)
def list_deliveries(
    webhook_id: str,
    request: Request,
    ctx: Ctx,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=MAX_DELIVERIES_PAGE)] = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    """Newest first: each delivery's event, state, attempts (status, error) and next try."""
    setup = _setup(request)
    page = Page(limit, offset, max_limit=MAX_DELIVERIES_PAGE)
    found = webhooks.deliveries(ctx, caller, webhook_id, page)
    return [_delivery(d, give_up_at(d, setup.settings)) for d in found]


def _shown(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": webhook.id,
        "url": webhook.url,
        "all_transfers": webhook.all_transfers,
        "created_at": webhook.created_at.isoformat(),
    }


def _delivery(delivery: Delivery, until: datetime) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "state": delivery.state.value,
        "event": delivery.event,
        "attempts": [
            {"at": a.at.isoformat(), "status": a.status, "error": a.error}
            for a in delivery.attempts
        ],
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "give_up_at": until.isoformat(),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
