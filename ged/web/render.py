"""One way to answer with a page: ``render(request, template, **context)``.

Every page gets the logged-in person (``principal``), the navigation their roles open
(``nav``), the CSRF token for its forms (``csrf_token``), the messages waiting for it
(``flash``) and the French labels (``labels``). A partial answer to htmx (``hx-request``) is
rendered the same way from a template that does not extend ``base.html``.

Adding a screen for a role: append a ``NavItem`` to ``NAVIGATION`` with the roles that see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.domain.model import Role
from ged.presentation import labels
from ged.services.login import push_flash
from ged.web.security import csrf_token
from ged.web.setup import context_of, web_state


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role] | None = None  # None: every person

    def open_to(self, principal: Principal) -> bool:
        return self.roles is None or principal.has(*self.roles)


NAVIGATION: list[NavItem] = [
    NavItem("Tableau de bord", "/"),
    NavItem("Plan de classement", "/plan"),
    NavItem("Recherche", "/recherche"),
    NavItem("Glossaire", "/glossaire"),
    NavItem("Visas d'élimination", "/visas", frozenset({Role.ARCHIVIST})),
    NavItem("Administration", "/administration", frozenset({Role.ADMIN})),
]
# the records officer's screens (the archivists read the referential too)
OFFICERS = frozenset({Role.RECORDS_OFFICER, Role.ADMIN})
NAVIGATION += [
    NavItem("Tableaux de gestion", "/regles", OFFICERS | {Role.ARCHIVIST}),
    NavItem("Gels", "/gels", OFFICERS | {Role.ARCHIVIST}),
    NavItem("Cycle de vie", "/cycle-de-vie", OFFICERS | {Role.ARCHIVIST}),
    NavItem("Éliminations", "/eliminations", OFFICERS),
    NavItem("Versements", "/versements", OFFICERS | {Role.ARCHIVIST}),
]


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool


def navigation(principal: Principal | None, path: str) -> list[NavLink]:
    if principal is None:
        return []
    return [
        NavLink(item.label, item.href, _is_current(item.href, path))
        for item in NAVIGATION
        if item.open_to(principal)
    ]


def _is_current(href: str, path: str) -> bool:
    return path == href or (href != "/" and path.startswith(href + "/"))


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    principal: Principal | None = getattr(request.state, "principal", None)
    page = {
        "principal": principal,
        "nav": navigation(principal, request.url.path),
        "csrf_token": csrf_token(request),
        "flash": getattr(request.state, "flash", []),
        "labels": labels,
        "oidc_label": _oidc_label(request),
    }
    html = web_state(request).env.get_template(template).render(**page, **context)
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


def _oidc_label(request: Request) -> str | None:
    oidc = web_state(request).setup.oidc
    return oidc.label if oidc is not None else None


async def redirect_with(request: Request, location: str, *messages: str) -> RedirectResponse:
    """Post/redirect/get: the messages are shown once on the page redirected to."""
    token = request.session.get("sid")
    if messages and token:
        await run_in_threadpool(push_flash, context_of(request), token, *messages)
    return RedirectResponse(location, status_code=303)
