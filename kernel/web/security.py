"""Sessions and CSRF protection of both services' web pages.

The session cookie (Starlette's ``SessionMiddleware``: signed with itsdangerous, ``HttpOnly``,
``SameSite=Lax``, ``Secure`` behind https) holds one random id and nothing else: ``sid`` once
logged in — the server keeps the session (``kernel.accounts.login``, in the service's own
database) — or ``anon`` before, so that the login form itself is protected. Logging in replaces
the id (no session fixation).

CSRF (OWASP CSRF Prevention Cheat Sheet, "synchronizer token pattern", HMAC variant): the token
is HMAC-SHA-256(key, session id). Every form carries it in the hidden field ``csrf_token``,
scripts send it as the ``X-CSRF-Token`` header; every request other than GET/HEAD without the
right one is refused (403) before the view runs. A multipart upload streams its files: its view
is marked ``@csrf_in_stream`` and its form must carry the token before any file (the GED's
``ged.web.multipart`` refuses to store a byte before checking it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from kernel.accounts.login import resume_session
from kernel.accounts.model import SessionEnded
from kernel.errors import AuthenticationError, ForbiddenError
from kernel.web.setup import web_state

SESSION_COOKIE = "gedsae_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
F = TypeVar("F", bound=Callable[..., Any])


class CsrfRefused(ForbiddenError):
    code = "csrf_refused"
    title = "Formulaire expiré ou invalide"


class LoginRequired(AuthenticationError):
    code = "login_required"
    title = "Connexion requise"


def session_id(request: Request) -> str:
    """The random id of this browser's session; an anonymous one is made when there is none."""
    session: dict[str, Any] = request.session
    found = session.get("sid") or session.get("anon")
    if not found:
        found = secrets.token_urlsafe(32)
        session["anon"] = found
    return str(found)


def start_session(request: Request, token: str) -> None:
    """After a login: the anonymous id is dropped, the new session's id is the only content."""
    request.session.clear()
    request.session["sid"] = token


def end_session(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    key = web_state(request).setup.secret_key
    message = b"csrf\x00" + session_id(request).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def check_csrf(request: Request, supplied: str | None) -> None:
    if not supplied or not hmac.compare_digest(supplied, csrf_token(request)):
        raise CsrfRefused(
            "Ce formulaire a expiré ou ne vient pas de cette application : rechargez la page et recommencez"
        )


def csrf_in_stream(view: F) -> F:
    """Marks a view whose multipart form is read as a stream: the view checks the token, which
    the form carries before any file."""
    view.csrf_in_stream = True  # type: ignore[attr-defined]
    return view


async def csrf_protect(request: Request) -> None:
    """Router dependency of every web page: refuses a non-GET request without the token."""
    if request.method in SAFE_METHODS:
        return
    supplied = request.headers.get(CSRF_HEADER)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    streamed = getattr(request.scope.get("endpoint"), "csrf_in_stream", False)
    if supplied is None and kind == "multipart/form-data" and streamed:
        return
    if supplied is None and kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        value = (await request.form()).get(CSRF_FIELD)
        supplied = value if isinstance(value, str) else None
    check_csrf(request, supplied)


async def current_user(request: Request) -> Any:
    """The logged-in person (the service's own kind), checked against the server's session on
    every request: a logout or a disabled account holds from the very next one. Full pages take
    the waiting messages. Each service types it: ``Annotated[Its, Depends(current_user)]``."""
    token = request.session.get("sid")
    if not token:
        raise LoginRequired("Connectez-vous pour continuer")
    full_page = request.method == "GET" and "hx-request" not in request.headers
    state = web_state(request)
    try:
        resumed = await run_in_threadpool(
            resume_session, state.people, state.setup.policy, token, take_flash=full_page
        )
    except SessionEnded:
        end_session(request)
        raise
    request.state.principal = resumed.principal
    request.state.flash = resumed.flash
    return resumed.principal


def client_address(request: Request) -> str:
    return request.client.host if request.client else "inconnue"
