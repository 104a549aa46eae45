"""Which tenant a login page is for: its ``locataire`` query parameter (the address an archival
service gives its people, e.g. ``/connexion?locataire=FR_AD_35``), else the repository's
default tenant. A tenant that does not exist is never chosen: its login page logs in no one.

Set for the whole request by an ASGI middleware (``RequestedTenant``), read by the login flows
(``sae.people.login``); pages after the login read their person's tenant instead.
"""

from __future__ import annotations

from contextvars import ContextVar
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from kernel.errors import NotFoundError
from sae.bootstrap import TENANT_PARAMETER
from sae.ports import Database
from sae.tenancy.tenants import get_tenant

PARAMETER = TENANT_PARAMETER
_requested: ContextVar[str | None] = ContextVar("sae_requested_tenant", default=None)


def requested_tenant() -> str | None:
    return _requested.get()


class RequestedTenant:
    def __init__(self, app: ASGIApp, db: Database, default: str | None) -> None:
        self.app, self.db, self.default = app, db, default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _requested.set(self.chosen(scope.get("query_string", b"").decode("latin-1")))
        try:
            await self.app(scope, receive, send)
        finally:
            _requested.reset(token)

    def chosen(self, query: str) -> str | None:
        asked = parse_qs(query).get(PARAMETER)
        if not asked:
            return self.default
        try:
            return get_tenant(self.db, asked[0]).identifier
        except NotFoundError:
            return None
