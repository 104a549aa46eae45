"""Logging in and out: the login page (local account) and the logout. After a login the
browser goes to the page it asked for (``suivant``), provided it is a path of this site.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from ged.domain.accounts import LoginRefused
from ged.domain.errors import GedError, RateLimitedError
from ged.services import login as login_service
from ged.web.render import render
from ged.web.security import (
    Ctx,
    client_address,
    csrf_protect,
    end_session,
    start_session,
)
from ged.web.setup import web_state

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
MOTIFS = {
    "deconnexion": "Vous êtes déconnecté(e).",
    "expiree": "Votre session a expiré : reconnectez-vous.",
}


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
        suivant=safe_next(suivant),
        message=MOTIFS.get(motif),
        login="",
        error=None,
    )


@router.post("/connexion")
async def login_with_password(
    request: Request,
    ctx: Ctx,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    suivant: Annotated[str, Form()] = "/",
) -> Response:
    state = web_state(request)
    try:
        opened = await run_in_threadpool(
            login_service.login_with_password,
            ctx,
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


def _login_again(request: Request, exc: GedError, login: str, target: str) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else {}
    return render(
        request,
        "connexion.html",
        status=exc.status,
        headers=headers,
        title="Connexion",
        suivant=safe_next(target),
        message=None,
        login=login[:200],
        error=exc.detail,
    )


@router.post("/deconnexion")
async def logout(request: Request, ctx: Ctx) -> Response:
    token = request.session.get("sid")
    if token:
        await run_in_threadpool(login_service.close_session, ctx, token, client_address(request))
    end_session(request)
    return RedirectResponse("/connexion?motif=deconnexion", status_code=303)
