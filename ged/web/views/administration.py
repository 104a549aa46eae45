"""The administrator's pages: an overview of the organisation, and its services (list, create).
People, application tokens and agreements have their own modules (``people``, ``tokens``,
``agreements``); every page is the administrator's only, as the services decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.services import admin, administration
from ged.web.forms import field_errors
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_protect
from kernel.errors import InvalidError

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
Text = Annotated[str, Form(max_length=1000)]
SERVICE_FIELDS = {"name", "seda_identifier"}


@router.get("/administration")
async def overview(request: Request, ctx: Ctx, user: User) -> Response:
    found = await run_in_threadpool(administration.overview, ctx, user)
    return render(request, "administration.html", title="Administration", overview=found)


@router.get("/administration/services")
async def services(request: Request, ctx: Ctx, user: User) -> Response:
    return await services_page(request, ctx, user)


async def services_page(
    request: Request,
    ctx: Ctx,
    user: User,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    found = await run_in_threadpool(administration.services_of, ctx, user)
    return render(
        request,
        "services.html",
        status=status,
        title="Services producteurs",
        services=found,
        errors=errors or {},
        entered=entered or {},
    )


@router.post("/administration/services")
async def create_service(
    request: Request, ctx: Ctx, user: User, name: Text = "", seda_identifier: Text = ""
) -> Response:
    try:
        made = await run_in_threadpool(admin.create_service, ctx, user, name, seda_identifier)
    except (InvalidError, admin.ServiceExists) as exc:
        errors = (
            field_errors(exc, SERVICE_FIELDS)
            if isinstance(exc, InvalidError)
            else {"seda_identifier": [exc.detail]}
        )
        entered = {"name": name, "seda_identifier": seda_identifier}
        return await services_page(
            request, ctx, user, status=exc.status, errors=errors, entered=entered
        )
    done = f"Service « {made.name} » créé ({made.seda_identifier})."
    return await redirect_with(request, "/administration/services", done)
