"""The FastAPI application: ``create_app(context)``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ged import __version__, problems
from ged.api import admin, documents, filing, search
from ged.api import lifecycle as lifecycle_api
from ged.services.context import Context
from ged.services.documents import process_pending

log = logging.getLogger("gedsae.api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    context: Context = app.state.context
    # Versions recorded but not yet identified/extracted (the server stopped in between) are
    # taken up again in the background.
    resume = threading.Thread(target=_resume, args=(context,), daemon=True)
    resume.start()
    yield
    context.close()


def _resume(context: Context) -> None:
    try:
        process_pending(context)
    except Exception:
        log.exception(
            "resuming identification and extraction failed; it is retried at the next start"
        )


def create_app(context: Context) -> FastAPI:
    app = FastAPI(
        lifespan=lifespan,
        title="gedsae",
        version=__version__,
        description="GED et SAE pour les organismes publics — API REST",
        openapi_url="/openapi.json",
    )
    app.state.context = context
    problems.install(app)
    for module in (admin, filing, documents, search):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(lifecycle_api.router, prefix="/api/v1")

    @app.get("/healthz", tags=["santé"])
    def healthz() -> dict[str, str]:
        with context.uow() as uow:
            uow.repo.list_organisations()
        return {"status": "ok"}

    return app
