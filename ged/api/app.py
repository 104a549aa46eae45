"""The FastAPI application: ``create_app(context)``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ged import __version__, problems
from ged.api import admin, documents, filing, search, users
from ged.api import lifecycle as lifecycle_api
from ged.api import transfers as transfers_api
from ged.http_hardening import hardened_app
from ged.services.context import Context
from ged.services.documents import process_pending
from ged.services.transfer_runner import TransferSetup, run_all

log = logging.getLogger("gedsae.api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    context: Context = app.state.context
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
    problems.install(app)
    for module in (admin, users, filing, documents, search):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(lifecycle_api.router, prefix="/api/v1")
    app.include_router(transfers_api.router, prefix="/api/v1")

    @app.get("/healthz", tags=["santé"])
    def healthz() -> dict[str, str]:
        with context.uow() as uow:
            uow.repo.list_organisations()
        return {"status": "ok"}

    return app
