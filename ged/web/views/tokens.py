"""The application tokens of the organisation: the list (who holds each one, valid, expired or
revoked), a new application client with its first token, another token for a client, a
revocation. A token is shown once, on the page that answers its creation, never again (only its
SHA-256 is kept); that page is not stored by the browser. The rules are the services'
(``applications``, ``admin``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.services import admin, applications
from ged.services.admin import IssuedToken
from ged.web.forms import end_of_day, field_errors
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_protect
from kernel.errors import ConflictError, InvalidError

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
Text = Annotated[str, Form(max_length=1000)]
Choices = Annotated[list[str] | None, Form()]
TOKENS = "/administration/jetons"
NEW_FIELDS = {"name", "services", "expires_at"}
ISSUE_FIELDS = {"application_id", "token_label", "token_expires"}
ISSUE_PATHS = {"label": "token_label", "expires_at": "token_expires"}
NO_STORE = {"Cache-Control": "no-store"}


@router.get(TOKENS)
async def tokens(request: Request, ctx: Ctx, user: User) -> Response:
    return await tokens_page(request, ctx, user)


async def tokens_page(
    request: Request,
    ctx: Ctx,
    user: User,
    *,
    status: int = 200,
    issued: IssuedToken | None = None,
    errors: dict[str, list[str]] | None = None,
    entered: dict[str, object] | None = None,
    refused: str = "",
) -> Response:
    found = await run_in_threadpool(applications.tokens_of, ctx, user)
    services = await run_in_threadpool(admin.list_services, ctx, user)
    return render(
        request,
        "jetons.html",
        status=status,
        headers=NO_STORE if issued else None,
        title="Jetons d'application",
        found=found,
        services=services,
        issued=issued,
        errors=errors or {},
        entered=entered or {"services": []},
        refused=refused,
    )


@router.post(TOKENS)
async def create_application(
    request: Request,
    ctx: Ctx,
    user: User,
    name: Text = "",
    services: Choices = None,
    expires_at: Text = "",
) -> Response:
    entered: dict[str, object] = {
        "name": name,
        "services": services or [],
        "expires_at": expires_at,
    }
    try:
        expiry = end_of_day(expires_at, "expires_at")
        issued = await run_in_threadpool(
            applications.create_application, ctx, user, name, services or [], expiry
        )
    except InvalidError as exc:
        errors = field_errors(exc, NEW_FIELDS)
        return await tokens_page(request, ctx, user, status=422, errors=errors, entered=entered)
    except admin.PrincipalExists as exc:
        errors = {"name": [exc.detail]}
        return await tokens_page(request, ctx, user, status=409, errors=errors, entered=entered)
    return await tokens_page(request, ctx, user, issued=issued)


@router.post(TOKENS + "/nouveau")
async def issue(
    request: Request,
    ctx: Ctx,
    user: User,
    application_id: Text = "",
    token_label: Text = "",
    token_expires: Text = "",
) -> Response:
    entered: dict[str, object] = {
        "application_id": application_id,
        "token_label": token_label,
        "token_expires": token_expires,
        "services": [],
    }
    try:
        expiry = end_of_day(token_expires, "token_expires")
        issued = await run_in_threadpool(
            applications.issue_token, ctx, user, application_id, token_label, expiry
        )
    except InvalidError as exc:
        errors = field_errors(exc, ISSUE_FIELDS, ISSUE_PATHS)
        return await tokens_page(request, ctx, user, status=422, errors=errors, entered=entered)
    return await tokens_page(request, ctx, user, issued=issued)


@router.post(TOKENS + "/{token_id}/revoquer")
async def revoke(request: Request, token_id: str, ctx: Ctx, user: User) -> Response:
    try:
        await run_in_threadpool(applications.revoke, ctx, user, token_id)
    except ConflictError as exc:
        return await tokens_page(request, ctx, user, status=exc.status, refused=exc.detail)
    done = "Jeton révoqué : il est refusé dès la requête suivante."
    return await redirect_with(request, TOKENS, done)
