"""Errors on both services' web pages: French pages instead of problem+json, the API's answers
unchanged.

The error families of ``kernel.errors`` keep their status: another organisation's object is
the same 404 page as a missing one; 422 lists every issue; 503 and 429 carry ``Retry-After``.
A page that needs a login redirects to the login page (and back afterwards). Anything
unexpected is a 500 page with a request id; the traceback goes to the log only.

``install`` wraps the API's handlers (``kernel.problems``): requests under the API's prefixes,
and scripts that ask for JSON (``Accept: application/json``), keep problem+json.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from kernel.errors import (
    AuthenticationError,
    GedsaeError,
    InvalidError,
    Issue,
    RateLimitedError,
    UnavailableError,
)
from kernel.http_hardening import WEB_HEADERS
from kernel.web.render import render
from kernel.web.security import end_session

log = logging.getLogger("gedsae.web")
# answered in problem+json, never as a page; the last three are the repository's APIs that
# answer As@lae's and Vitam's clients (sae.api.asalae, sae.api.vitam)
API_PREFIXES = (
    "/api/", "/docs", "/redoc", "/openapi.json", "/healthz", "/static-offline-docs",
    "/restservices/", "/ingest-external/", "/admin-external/",
)  # fmt: skip
Handler = Callable[[Request, Any], Awaitable[Response]]
_TITLES = {
    400: "Requête incorrecte",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Action impossible sur cette page",
    409: "Action impossible",
    413: "Fichier trop volumineux",
    422: "Données invalides",
    429: "Trop de tentatives",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}


def is_page(request: Request) -> bool:
    """A request for a page (not for the API, nor a script asking for JSON)."""
    if request.url.path.startswith(API_PREFIXES):
        return False
    return "application/json" not in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    previous: dict[Any, Handler] = dict(app.exception_handlers)
    for kind in (GedsaeError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, _wrap(previous[kind], _page_for(kind)))


def _wrap(api: Handler, page: Handler) -> Handler:
    async def handle(request: Request, exc: Any) -> Response:
        return await (page if is_page(request) else api)(request, exc)

    return handle


def _page_for(kind: type[Exception]) -> Handler:
    pages: dict[type[Exception], Handler] = {
        GedsaeError: family_error_page,
        RequestValidationError: invalid_request_page,
        HTTPException: http_error_page,
    }
    return pages.get(kind, unexpected_page)


async def family_error_page(request: Request, exc: GedsaeError) -> Response:
    if isinstance(exc, AuthenticationError) and exc.code in ("login_required", "session_ended"):
        return _to_login(request, exc)
    headers = dict(WEB_HEADERS)
    if isinstance(exc, UnavailableError | RateLimitedError):
        headers["Retry-After"] = str(exc.retry_after)
    issues = exc.issues if isinstance(exc, InvalidError) else []
    return error_page(request, exc.status, exc.detail, issues, headers)


async def invalid_request_page(request: Request, exc: RequestValidationError) -> Response:
    issues = [
        Issue("invalid_parameter", "valeur invalide", path=".".join(str(p) for p in e["loc"][1:]))
        for e in exc.errors()
    ]
    return error_page(request, 422, "Un paramètre de l'adresse est invalide.", issues)


async def http_error_page(request: Request, exc: HTTPException) -> Response:
    details = {404: "Cette page n'existe pas, ou vous n'y avez pas accès."}
    detail = details.get(exc.status_code, "Cette action n'est pas possible ici.")
    return error_page(request, exc.status_code, detail)


async def unexpected_page(request: Request, exc: Exception) -> Response:
    request_id = str(uuid.uuid4())
    log.exception("unexpected error on a page, request_id=%s", request_id, exc_info=exc)
    detail = f"Une erreur interne s'est produite (identifiant de requête {request_id})."
    return error_page(request, 500, detail)


def error_page(
    request: Request,
    status: int,
    detail: str,
    issues: list[Issue] | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    title = _TITLES.get(status, "Erreur")
    return render(
        request,
        "erreur.html",
        status=status,
        headers=headers or dict(WEB_HEADERS),
        title=title,
        status_code=status,
        detail=detail,
        issues=issues or [],
    )


def _to_login(request: Request, exc: GedsaeError) -> Response:
    end_session(request)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/connexion?suivant={quote(target, safe='')}"
    if "hx-request" in request.headers:
        return Response(status_code=401, headers={**WEB_HEADERS, "HX-Redirect": location})
    if request.method != "GET":
        return error_page(request, 401, exc.detail)
    return RedirectResponse(location, status_code=303, headers=WEB_HEADERS)
