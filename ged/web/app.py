"""Wires the web interface into the FastAPI application that serves the API: ``install``.

The pages live at ``/`` beside the API (``/api/v1``): the session middleware, the static files
(``/static``: our stylesheet, our script and the vendored htmx, nothing from another host), one
router per area, and French error pages for them.
"""

from __future__ import annotations

from types import ModuleType

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from ged.web import auth, errors
from ged.web.security import SESSION_COOKIE
from ged.web.setup import STATIC, WebSetup, WebState
from ged.web.views import (
    administration,
    agreements,
    bindings,
    dashboard,
    documents,
    dossiers,
    eliminations,
    forecast,
    glossary,
    holds,
    people,
    plan,
    rules,
    search,
    tokens,
    transfers,
    upload,
    visas,
)

ROUTERS: tuple[ModuleType, ...] = (
    auth,
    dashboard,
    plan,
    dossiers,
    documents,
    upload,
    search,
    glossary,
    visas,
    administration,
    people,
    tokens,
    agreements,
)
# the records officer's screens
ROUTERS += (rules, holds, bindings, forecast, eliminations, transfers)


def install(app: FastAPI, setup: WebSetup) -> None:
    app.state.web = WebState(setup)
    app.add_middleware(
        SessionMiddleware,
        secret_key=setup.secret_key.decode(),
        session_cookie=SESSION_COOKIE,
        max_age=int(setup.policy.absolute.total_seconds()),
        same_site="lax",
        https_only=setup.secure_cookies,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in ROUTERS:
        app.include_router(module.router)
    errors.install(app)
