"""The FastAPI application: ``create_app(context)``."""

from __future__ import annotations

from fastapi import FastAPI

from ged import __version__
from ged.api import admin, documents, filing, problems, search
from ged.api import lifecycle as lifecycle_api
from ged.services.context import Context


def create_app(context: Context) -> FastAPI:
    app = FastAPI(
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
