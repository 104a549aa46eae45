"""Logging in and out of either service's pages: the login page (local account, and the single sign-on button when an
OpenID Connect provider is configured), the provider's round trip, the logout.

The provider round trip keeps its ``state``, ``nonce`` and PKCE verifier in a cookie of its own,
signed and time-limited (itsdangerous, 10 minutes), limited to the callback's path: nothing is
kept on the server for a login that may never come back. After any login the browser goes to
the page it asked for (``suivant``), provided it is a path of this site.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from kernel.accounts import login as login_service
from kernel.accounts.model import LoginRefused, NoAccountForIdentity
from kernel.accounts.oidc import OidcFailed, PendingLogin
from kernel.errors import GedsaeError, RateLimitedError
from kernel.web.render import render
from kernel.web.security import client_address, csrf_protect, end_session, start_session
from kernel.web.setup import web_state

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
OIDC_COOKIE = "gedsae_oidc"
OIDC_CALLBACK = "/connexion/oidc/retour"
OIDC_MAX_AGE_S = 600
MOTIFS = {
    "deconnexion": "Vous êtes déconnecté(e).",
    "expiree": "Votre session a expiré : reconnectez-vous.",
}


def form_target(request: Request) -> str:
    """Where the login form posts: this page, with the parameters a service gives its login
    page (the repository's ``locataire``), never ``suivant`` or ``motif`` (carried otherwise)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("suivant", "motif")]
    return "/connexion" + (f"?{urlencode(kept)}" if kept else "")


def safe_next(target: str | None) -> str:
    """Only a path of this site: never another host (``//host``, ``/\\host``, a scheme)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@router.get("/connexion")
async def login_page(request: Request, suivant: str = "/", motif: str = "") -> Response:
    return render(
        request,
        "connexion.html",
        title="Connexion",
        action=form_target(request),
        suivant=safe_next(suivant),
        message=MOTIFS.get(motif),
        login="",
        error=None,
    )


@router.post("/connexion")
async def login_with_password(
    request: Request,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    suivant: Annotated[str, Form()] = "/",
) -> Response:
    state = web_state(request)
    try:
        opened = await run_in_threadpool(
            login_service.login_with_password,
            state.people,
            state.setup.policy,
            state.throttle,
            login.strip(),
            password,
            client_address(request),
        )
    except (LoginRefused, RateLimitedError) as exc:
        return _login_again(request, exc, login, suivant)
    start_session(request, opened.token)
    return RedirectResponse(safe_next(suivant), status_code=303)


def _login_again(request: Request, exc: GedsaeError, login: str, target: str) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else {}
    return render(
        request,
        "connexion.html",
        status=exc.status,
        headers=headers,
        title="Connexion",
        action=form_target(request),
        suivant=safe_next(target),
        message=None,
        login=login[:200],
        error=exc.detail,
    )


@router.post("/deconnexion")
async def logout(request: Request) -> Response:
    token = request.session.get("sid")
    if token:
        people = web_state(request).people
        await run_in_threadpool(login_service.close_session, people, token, client_address(request))
    end_session(request)
    return RedirectResponse("/connexion?motif=deconnexion", status_code=303)


# -- OpenID Connect ---------------------------------------------------------------------------
def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(web_state(request).setup.secret_key, salt="gedsae-oidc")


def _redirect_uri(request: Request) -> str:
    return web_state(request).setup.public_url + OIDC_CALLBACK


@router.get("/connexion/oidc")
async def oidc_start(request: Request, suivant: str = "/") -> Response:
    setup = web_state(request).setup
    if setup.oidc is None:
        return RedirectResponse("/connexion", status_code=303)
    url, pending = await run_in_threadpool(setup.oidc.begin, _redirect_uri(request))
    kept = {name: request.query_params[name] for name in setup.kept if name in request.query_params}
    remembered = {**pending.__dict__, "next": safe_next(suivant), "kept": kept}
    answer = RedirectResponse(url, status_code=303)
    answer.set_cookie(
        OIDC_COOKIE,
        _serializer(request).dumps(remembered),
        max_age=OIDC_MAX_AGE_S,
        path=OIDC_CALLBACK,
        secure=setup.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return answer


@router.get(OIDC_CALLBACK)
async def oidc_callback(request: Request) -> Response:
    setup = web_state(request).setup
    remembered = _remembered(request)
    if setup.oidc is None or remembered is None:
        return _oidc_refused(
            request, "La connexion a expiré ou n'a pas été demandée ici : recommencez."
        )
    kept = _kept(remembered)
    if any(request.query_params.get(name) != value for name, value in kept.items()):
        # the provider returns to a fixed address: come back once more with what the login
        # page was for (the code is not spent yet), so the whole request sees it
        query = urlencode({**request.query_params, **kept})
        return RedirectResponse(f"{OIDC_CALLBACK}?{query}", status_code=303)
    pending = PendingLogin(remembered["state"], remembered["nonce"], remembered["code_verifier"])
    answer = {k: v for k, v in request.query_params.items() if k not in kept}
    try:
        identity = await run_in_threadpool(
            setup.oidc.finish, _redirect_uri(request), pending, answer
        )
        opened = await run_in_threadpool(
            login_service.login_with_oidc,
            web_state(request).people,
            setup.policy,
            identity,
            client_address(request),
        )
    except (OidcFailed, NoAccountForIdentity, LoginRefused) as exc:
        return _oidc_refused(request, exc.detail)
    start_session(request, opened.token)
    response = RedirectResponse(safe_next(remembered.get("next")), status_code=303)
    response.delete_cookie(OIDC_COOKIE, path=OIDC_CALLBACK)
    return response


def _kept(remembered: dict[str, Any]) -> dict[str, str]:
    found = remembered.get("kept")
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _remembered(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(OIDC_COOKIE)
    if not raw:
        return None
    try:
        found = _serializer(request).loads(raw, max_age=OIDC_MAX_AGE_S)
    except (BadSignature, json.JSONDecodeError):
        return None
    return found if isinstance(found, dict) else None


def _oidc_refused(request: Request, detail: str) -> Response:
    response = render(
        request,
        "connexion.html",
        status=403,
        title="Connexion",
        action="/connexion",
        suivant="/",
        message=None,
        login="",
        error=detail,
    )
    response.delete_cookie(OIDC_COOKIE, path=OIDC_CALLBACK)
    return response
