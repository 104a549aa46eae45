"""The FastAPI application: ``create_app(context)``."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ged import __version__
from ged.api import admin, documents, filing, search, users
from ged.api import archives as archives_api
from ged.api import inbound as inbound_api
from ged.api import lifecycle as lifecycle_api
from ged.api import transfers as transfers_api
from ged.api import webhooks as webhooks_api
from ged.services.context import Context
from ged.services.inbound.setup import InboundSetup
from ged.services.pending import process_pending
from ged.services.transfer_runner import run_all
from ged.services.transfer_setup import TransferSetup
from ged.services.webhook_delivery import WebhookSetup, deliver_due
from kernel import problems
from kernel.http_hardening import hardened_app
from kernel.openapi_problems import describe_problems

log = logging.getLogger("gedsae.api")
# One pass of the fixity audit (``ged.adapters.fixity.audit``), stopped early when the event
# is set; says whether nothing was left for an operator.
Audit = Callable[[threading.Event], bool]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    context: Context = app.state.context
    await asyncio.to_thread(_sweep_temp_files, context)
    # Versions recorded but not yet identified/extracted (the server stopped in between) are
    # taken up again in the background.
    resume = threading.Thread(target=_resume, args=(context,), daemon=True)
    resume.start()
    stop = threading.Event()
    setup: TransferSetup | None = app.state.transfers
    interval: float = app.state.scheduler_interval
    if setup is not None and interval > 0:
        threading.Thread(
            target=_schedule, args=(setup, context, interval, stop), daemon=True
        ).start()
    webhooks: WebhookSetup | None = app.state.webhooks
    if webhooks is not None and app.state.webhook_interval > 0:
        deliver = (webhooks, context, app.state.webhook_interval, stop)
        threading.Thread(target=_deliver_webhooks, args=deliver, daemon=True).start()
    audit: Audit | None = app.state.audit
    if audit is not None and app.state.audit_interval > 0:
        args = (audit, app.state.audit_interval, stop)
        threading.Thread(target=_audit_periodically, args=args, daemon=True).start()
    yield
    stop.set()
    context.close()


def _schedule(
    setup: TransferSetup, context: Context, interval: float, stop: threading.Event
) -> None:
    """The transfer scheduler: one pass every ``interval`` seconds until the server stops.
    A failing pass is logged and the next one runs anyway (its transfers keep their state)."""
    while not stop.wait(interval):
        try:
            run_all(setup, context)
        except Exception:
            log.exception("transfer scheduler pass failed; the next pass retries")


def _deliver_webhooks(
    setup: WebhookSetup, context: Context, interval: float, stop: threading.Event
) -> None:
    """The webhooks' queue, worked through every ``interval`` seconds until the server stops
    (and at once while a full batch was due); a failing pass is logged, the queue stays."""
    while not stop.wait(interval):
        try:
            while deliver_due(context, setup.sender, setup.settings) >= setup.settings.batch:
                if stop.is_set():
                    return
        except Exception:
            log.exception("webhook delivery pass failed; the next pass retries")


def _audit_periodically(audit: Audit, interval: float, stop: threading.Event) -> None:
    """The fixity audit every ``interval`` seconds until the server stops (which interrupts a
    pass in progress); a failing pass is logged and the next one runs anyway."""
    while not stop.wait(interval):
        try:
            clean = audit(stop)
        except Exception:
            log.exception("fixity audit failed; the next pass retries")
            continue
        if not clean:
            log.warning("fixity audit found damage left unrepaired: see `gedsae audit`")


def _sweep_temp_files(context: Context) -> None:
    """Temp files of processes killed mid-write (kill -9) are removed before serving; those of
    live processes sharing the instance are left alone (``kernel.blobstore.tempfiles``)."""
    try:
        removed = context.sweep_temp_files()
    except Exception:
        log.exception("removing the temp files of dead processes failed; retried at next start")
        return
    if removed:
        size = sum(leftover.size for leftover in removed)
        log.warning("removed %d temp files of dead processes (%d bytes)", len(removed), size)


def _resume(context: Context) -> None:
    try:
        process_pending(context)
    except Exception:
        log.exception(
            "resuming identification and extraction failed; it is retried at the next start"
        )


def create_app(
    context: Context,
    transfers: TransferSetup | None = None,
    *,
    scheduler_interval: float = 0.0,
    audit: Audit | None = None,
    audit_interval: float = 0.0,
    inbound: InboundSetup | None = None,
    webhooks: WebhookSetup | None = None,
    webhook_interval: float = 0.0,
) -> FastAPI:
    app = hardened_app(
        lifespan=lifespan,
        title="gedsae",
        version=__version__,
        description="GED et SAE pour les organismes publics — API REST",
        openapi_url="/openapi.json",
    )
    app.state.context = context
    app.state.transfers = transfers
    app.state.scheduler_interval = scheduler_interval
    app.state.audit = audit
    app.state.audit_interval = audit_interval
    app.state.inbound = inbound
    app.state.webhooks = webhooks
    app.state.webhook_interval = webhook_interval
    problems.install(app)
    describe_problems(app)
    for module in (admin, users, filing, documents, search):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(lifecycle_api.router, prefix="/api/v1")
    app.include_router(transfers_api.router, prefix="/api/v1")
    app.include_router(archives_api.router, prefix="/api/v1")
    app.include_router(inbound_api.router, prefix="/api/v1")
    app.include_router(webhooks_api.router, prefix="/api/v1")

    @app.get("/healthz", tags=["santé"])
    def healthz() -> dict[str, str]:
        with context.uow() as uow:
            uow.repo.list_organisations()
        return {"status": "ok"}

    return app
