"""Classification plan and dossiers."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.api import links
from ged.api.deps import Caller, Ctx
from ged.api.idempotent import run_once
from ged.api.lifecycle import DossierDetailOut, lifecycle_out
from ged.api.paging import Limit, Offset
from ged.api.schemas import (
    DocumentOut,
    DossierClose,
    DossierIn,
    DossierOut,
    DossierUpdate,
    PlanNodeIn,
    PlanNodeOut,
    PlanNodeUpdate,
)
from ged.domain.lifecycle import Phase
from ged.domain.model import DossierStatus
from ged.services import filing
from ged.services.lifecycle import dossier_lifecycle
from kernel.paging import Page

router = APIRouter(tags=["classement"])


@router.get("/plan", response_model=list[PlanNodeOut])
async def list_plan(ctx: Ctx, caller: Caller) -> list[PlanNodeOut]:
    return [PlanNodeOut.of(n) for n in await run_in_threadpool(filing.list_plan, ctx, caller)]


@router.post("/plan", status_code=201, response_model=PlanNodeOut)
async def create_plan_node(
    request: Request, body: PlanNodeIn, ctx: Ctx, caller: Caller
) -> Response:
    def create() -> PlanNodeOut:
        return PlanNodeOut.of(
            filing.create_plan_node(ctx, caller, body.code, body.label, body.parent_id)
        )

    return await run_once(request, ctx, caller, create)


@router.patch("/plan/{node_id}", response_model=PlanNodeOut)
async def update_plan_node(
    node_id: str, body: PlanNodeUpdate, ctx: Ctx, caller: Caller
) -> PlanNodeOut:
    return PlanNodeOut.of(
        await run_in_threadpool(filing.update_plan_node, ctx, caller, node_id, body.label)
    )


@router.post(
    "/dossiers", status_code=201, response_model=DossierOut, responses=links.DOSSIER_CREATED
)
async def create_dossier(request: Request, body: DossierIn, ctx: Ctx, caller: Caller) -> Response:
    def create() -> DossierOut:
        return DossierOut.of(filing.create_dossier(ctx, caller, **body.model_dump()))

    return await run_once(request, ctx, caller, create)


@router.get("/dossiers", response_model=list[DossierOut])
async def list_dossiers(
    ctx: Ctx,
    caller: Caller,
    status: DossierStatus | None = None,
    plan_node_id: str | None = None,
    service_id: str | None = None,
    phase: Phase | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[DossierOut]:
    """Most recently opened first; ``phase`` is the one the lifecycle engine recorded."""
    page = Page(limit, offset)
    found = await run_in_threadpool(
        lambda: filing.list_dossiers(
            ctx,
            caller,
            status=status,
            plan_node_id=plan_node_id,
            page=page,
            service_id=service_id,
            phase=phase,
        )
    )
    return [DossierOut.of(d) for d in found]


@router.get("/dossiers/{dossier_id}/documents", response_model=list[DocumentOut])
async def list_dossier_documents(dossier_id: str, ctx: Ctx, caller: Caller) -> list[DocumentOut]:
    """The dossier's documents, each with its versions."""
    found = await run_in_threadpool(filing.dossier_documents, ctx, caller, dossier_id)
    return [DocumentOut.of(f.document, f.versions) for f in found]


@router.get("/dossiers/{dossier_id}", response_model=DossierDetailOut)
async def get_dossier(dossier_id: str, ctx: Ctx, caller: Caller) -> DossierDetailOut:
    """The dossier with its lifecycle: effective rules and where each comes from, holds, phase."""
    view = await run_in_threadpool(dossier_lifecycle, ctx, caller, dossier_id, None)
    base = DossierOut.of(view.dossier).model_dump()
    return DossierDetailOut(**base, lifecycle=lifecycle_out(view))


@router.patch("/dossiers/{dossier_id}", response_model=DossierOut)
async def update_dossier(
    dossier_id: str, body: DossierUpdate, ctx: Ctx, caller: Caller
) -> DossierOut:
    changes = body.model_dump(exclude_unset=True)
    return DossierOut.of(
        await run_in_threadpool(lambda: filing.update_dossier(ctx, caller, dossier_id, **changes))
    )


@router.post("/dossiers/{dossier_id}/close", response_model=DossierOut)
async def close_dossier(
    dossier_id: str, body: DossierClose, ctx: Ctx, caller: Caller
) -> DossierOut:
    return DossierOut.of(
        await run_in_threadpool(filing.close_dossier, ctx, caller, dossier_id, body.closed_on)
    )
