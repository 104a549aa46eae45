"""The organisation's archival agreements and the check of their connectors, as
``gedsae connectors check`` does it (``ged.services.connector_check``): only the organisation's
own agreements, each connector asked whether its repository is reachable and takes our
credentials, each agreement checked against what its connector can deliver. The check reaches
other hosts: it is a form (POST, behind its CSRF token), never a link."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.services.connector_check import (
    ConnectorCheck,
    check_connectors,
    organisation_agreements,
)
from ged.services.transfer_setup import TransferSetup
from ged.web.render import render
from ged.web.security import Ctx, User, csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
AGREEMENTS = "/administration/accords"


def _setup(request: Request) -> TransferSetup | None:
    setup: TransferSetup | None = getattr(request.app.state, "transfers", None)
    return setup


@router.get(AGREEMENTS)
async def agreements(request: Request, ctx: Ctx, user: User) -> Response:
    return await agreements_page(request, ctx, user)


@router.post(AGREEMENTS + "/verification")
async def check(request: Request, ctx: Ctx, user: User) -> Response:
    checks = await run_in_threadpool(check_connectors, _setup(request), ctx, user)
    return await agreements_page(request, ctx, user, checks=checks)


async def agreements_page(
    request: Request, ctx: Ctx, user: User, *, checks: list[ConnectorCheck] | None = None
) -> Response:
    setup = _setup(request)
    found = await run_in_threadpool(organisation_agreements, setup, ctx, user)
    return render(
        request,
        "accords.html",
        title="Accords de versement et connecteurs",
        agreements=sorted(found.values(), key=lambda a: a.name),
        kinds=setup.connector_kinds if setup else {},
        checks=checks,
    )
