"""Organisations (platform administrators), services, users and application clients."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.api import links
from ged.api.deps import Caller, Ctx
from ged.api.idempotent import run_once
from ged.api.schemas import (
    OrganisationIn,
    OrganisationOut,
    PrincipalIn,
    ServiceIn,
    ServiceOut,
    StoredTokenOut,
    TokenOut,
)
from ged.domain.model import Role
from ged.services import admin
from kernel.errors import ForbiddenError

router = APIRouter(tags=["administration"])


@router.post("/organisations", status_code=201, response_model=OrganisationOut)
async def create_organisation(
    request: Request, body: OrganisationIn, ctx: Ctx, caller: Caller
) -> Response:
    if not caller.platform_admin:
        raise ForbiddenError("Réservé aux administrateurs de la plateforme")
    return await run_once(
        request,
        ctx,
        caller,
        lambda: OrganisationOut.of(admin.create_organisation(ctx, caller.id, body.name)),
    )


@router.get("/services", response_model=list[ServiceOut], responses=links.SERVICES_LISTED)
async def list_services(ctx: Ctx, caller: Caller) -> list[ServiceOut]:
    return [ServiceOut.of(s) for s in await run_in_threadpool(admin.list_services, ctx, caller)]


@router.post("/services", status_code=201, response_model=ServiceOut)
async def create_service(request: Request, body: ServiceIn, ctx: Ctx, caller: Caller) -> Response:
    return await run_once(
        request,
        ctx,
        caller,
        lambda: ServiceOut.of(admin.create_service(ctx, caller, body.name, body.seda_identifier)),
    )


@router.post("/principals", status_code=201, response_model=TokenOut)
async def create_principal(
    request: Request, body: PrincipalIn, ctx: Ctx, caller: Caller
) -> Response:
    caller.ensure_role(Role.ADMIN)
    org_id = body.organisation_id or caller.organisation_id
    if org_id != caller.organisation_id and not caller.platform_admin:
        raise ForbiddenError("Réservé aux administrateurs de la plateforme")

    def create() -> TokenOut:
        issued = admin.create_principal(
            ctx,
            caller.id,
            org_id,
            body.name,
            set(body.roles),
            set(body.service_ids),
            kind=body.kind,
            expires_at=body.expires_at,
        )
        p = issued.principal
        return TokenOut(
            principal_id=p.id,
            name=p.name,
            organisation_id=p.organisation_id,
            roles=sorted(p.roles),
            token_id=issued.stored.id,
            expires_at=issued.stored.expires_at,
            token=issued.token,
        )

    return await run_once(request, ctx, caller, create, kept=_without_token)


def _without_token(issued: TokenOut) -> TokenOut:
    """A replay says who was created, never the token again: only its SHA-256 is kept."""
    return issued.model_copy(update={"token": None})


@router.get("/tokens", response_model=list[StoredTokenOut])
async def list_tokens(ctx: Ctx, caller: Caller) -> list[StoredTokenOut]:
    """The organisation's tokens for an administrator, the caller's own otherwise (never their
    value, which is not kept)."""
    views = await run_in_threadpool(admin.list_tokens, ctx, caller)
    return [StoredTokenOut.of(v) for v in views]


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_token(token_id: str, ctx: Ctx, caller: Caller) -> Response:
    """Revokes a token: refused from the next request on; logged."""
    await run_in_threadpool(admin.revoke_token, ctx, caller, token_id)
    return Response(status_code=204)
