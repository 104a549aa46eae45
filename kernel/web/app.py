"""Wires a service's web pages into the FastAPI application that serves its API: ``install``.

The pages live beside the API: the session middleware (Starlette's, signed cookie holding a
random id only), the static files (``/static``: the shared stylesheet and the vendored htmx,
then the service's own files; nothing from another host), the login and logout pages, the
service's routers, and French error pages for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from kernel.web import auth, errors
from kernel.web.security import SESSION_COOKIE
from kernel.web.setup import WebState


def install(
    app: FastAPI,
    state: WebState[Any],
    routers: Sequence[APIRouter],
    static: Sequence[tuple[str, str]] = (),
) -> None:
    """``static``: the service's own (package, folder) of static files, after the kernel's."""
    app.state.web = state
    setup = state.setup
    app.add_middleware(
        SessionMiddleware,
        secret_key=setup.secret_key.decode(),
        session_cookie=SESSION_COOKIE,
        max_age=int(setup.policy.absolute.total_seconds()),
        same_site="lax",
        https_only=setup.secure_cookies,
    )
    files = StaticFiles(packages=[("kernel.web", "static"), *static])
    app.mount("/static", files, name="static")
    for router in (auth.router, *routers):
        app.include_router(router)
    errors.install(app)
