"""One way to answer with a page: ``render(request, template, **context)``.

Every page gets the logged-in person (``principal``), the navigation their roles open (``nav``,
from the service's ``WebState.navigation``), the CSRF token for its forms (``csrf_token``), the
messages waiting for it (``flash``) and the label of the single sign-on button
(``oidc_label``). A partial answer to htmx (``hx-request``) is rendered the same way from a
template that does not extend ``base.html``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from kernel.accounts.login import push_flash
from kernel.web.security import csrf_token
from kernel.web.setup import web_state


def kept_query(request: Request, names: tuple[str, ...]) -> str:
    """``&name=value`` for each kept parameter the request carries ("" when none)."""
    kept = {name: request.query_params[name] for name in names if name in request.query_params}
    return "&" + urlencode(kept) if kept else ""


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    state = web_state(request)
    principal = getattr(request.state, "principal", None)
    page = {
        "principal": principal,
        "nav": state.navigation(principal, request.url.path),
        "csrf_token": csrf_token(request),
        "flash": getattr(request.state, "flash", []),
        "oidc_label": state.setup.oidc.label if state.setup.oidc is not None else None,
        "kept_query": kept_query(request, state.setup.kept),
    }
    html = state.env.get_template(template).render(**page, **context)
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


async def redirect_with(request: Request, location: str, *messages: str) -> RedirectResponse:
    """Post/redirect/get: the messages are shown once on the page redirected to."""
    token = request.session.get("sid")
    if messages and token:
        await run_in_threadpool(push_flash, web_state(request).people, token, *messages)
    return RedirectResponse(location, status_code=303)
