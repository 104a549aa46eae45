"""Every error becomes RFC 9457 problem+json with a stable ``code``, in this one place, for
both HTTP applications: the GED's API and the archival repository's.

Not found (404), conflict (409), invalid (422, every issue listed), unavailable (503 with
Retry-After), and the few others of ``kernel.errors``. Anything unexpected is a 500 that
carries a request id; the traceback goes to the log only.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from kernel.errors import (
    AuthenticationError,
    GedsaeError,
    InvalidError,
    Issue,
    RateLimitedError,
    UnavailableError,
)
from kernel.http_hardening import API_HEADERS

log = logging.getLogger("gedsae.api")
PROBLEM = "application/problem+json"
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    401: "unauthenticated",
    413: "payload_too_large",
}


def problem(
    request: Request, status: int, code: str, title: str, detail: str, **extra: Any
) -> JSONResponse:
    # how to authenticate, for a 401: Bearer unless the error names another scheme (Basic)
    challenge = str(extra.pop("challenge", "Bearer"))
    body = {
        "type": f"urn:gedsae:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
        **extra,
    }
    # The 500 handler runs outside every middleware: the answer carries the headers itself.
    headers = dict(API_HEADERS)
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    if status == 401:
        headers["WWW-Authenticate"] = challenge
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _issues(issues: list[Issue]) -> list[dict[str, Any]]:
    return [{"code": i.code, "message": i.message, "line": i.line, "path": i.path} for i in issues]


def install(app: FastAPI) -> None:
    @app.exception_handler(GedsaeError)
    async def ged_error(request: Request, exc: GedsaeError) -> JSONResponse:
        extra: dict[str, Any] = {}
        if isinstance(exc, InvalidError):
            extra["issues"] = _issues(exc.issues)
        if isinstance(exc, UnavailableError | RateLimitedError):
            extra["retry_after"] = exc.retry_after
        if isinstance(exc, AuthenticationError):
            extra["challenge"] = exc.challenge
        return problem(request, exc.status, exc.code, exc.title, exc.detail, **extra)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            {
                "code": e.get("type", "invalid"),
                "message": e.get("msg", ""),
                "line": None,
                "path": ".".join(str(p) for p in e.get("loc", ())),
            }
            for e in exc.errors()
        ]
        return problem(
            request,
            422,
            "invalid_request",
            "Requête invalide",
            "Paramètres invalides",
            issues=issues,
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
        return problem(request, exc.status_code, code, str(exc.detail), str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = str(uuid.uuid4())
        log.exception("unexpected error, request_id=%s", request_id, exc_info=exc)
        detail = f"Erreur interne (identifiant de requête {request_id})"
        return problem(
            request, 500, "internal_error", "Erreur interne", detail, request_id=request_id
        )
