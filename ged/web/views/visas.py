"""The archivist's elimination visas (Code du patrimoine R212-14): the proposals awaiting a
visa, one proposal (its dossiers, volumes, rules, derogations), the visa or its refusal with a
reason, then the execution and what is kept of each eliminated dossier.

The two-person rule is the service's (``ged.domain.visa``): when it refuses the visa, the
proposal's page is shown again with the reason said to the person (403), as a form shows its
errors; every attempt is in the operation log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.visa import ApprovalRefused
from ged.presentation import labels
from ged.services import eliminations
from ged.services.elimination_review import review_proposal, visa_queue
from ged.web.forms import field_errors
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_protect
from kernel.errors import InvalidError

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
Note = Annotated[str, Form(max_length=10_000)]


@router.get("/visas")
async def queue(request: Request, ctx: Ctx, user: User) -> Response:
    found = await run_in_threadpool(visa_queue, ctx, user)
    return render(request, "visas.html", title="Visas d'élimination", queue=found)


@router.get("/visas/{proposal_id}")
async def proposal(request: Request, proposal_id: str, ctx: Ctx, user: User) -> Response:
    return await proposal_page(request, ctx, user, proposal_id)


async def proposal_page(
    request: Request,
    ctx: Ctx,
    user: User,
    proposal_id: str,
    *,
    status: int = 200,
    refusal: str = "",
    errors: dict[str, list[str]] | None = None,
    motif: str = "",
) -> Response:
    review = await run_in_threadpool(review_proposal, ctx, user, proposal_id)
    return render(
        request,
        "visa.html",
        status=status,
        title="Proposition d'élimination",
        review=review,
        me=user.id,
        refusal=refusal,
        errors=errors or {},
        motif=motif,
    )


@router.post("/visas/{proposal_id}/viser")
async def approve(
    request: Request, proposal_id: str, ctx: Ctx, user: User, observations: Note = ""
) -> Response:
    try:
        await run_in_threadpool(
            eliminations.approve_elimination, ctx, user, proposal_id, observations.strip()
        )
    except ApprovalRefused as exc:
        said = labels.VISA_REFUSALS.get(exc.code, exc.detail)
        return await proposal_page(request, ctx, user, proposal_id, status=403, refusal=said)
    done = "Élimination visée : elle peut maintenant être exécutée."
    return await redirect_with(request, f"/visas/{proposal_id}", done)


@router.post("/visas/{proposal_id}/refuser")
async def reject(
    request: Request, proposal_id: str, ctx: Ctx, user: User, motif: Note = ""
) -> Response:
    try:
        await run_in_threadpool(
            eliminations.reject_elimination, ctx, user, proposal_id, motif.strip()
        )
    except InvalidError as exc:
        errors = field_errors(exc, {"motif"}, {"note": "motif"})
        return await proposal_page(
            request, ctx, user, proposal_id, status=422, errors=errors, motif=motif
        )
    done = (
        "Visa refusé : la proposition est close et ses dossiers pourront être proposés à nouveau."
    )
    return await redirect_with(request, f"/visas/{proposal_id}", done)


@router.post("/visas/{proposal_id}/executer")
async def execute(request: Request, proposal_id: str, ctx: Ctx, user: User) -> Response:
    done = await run_in_threadpool(eliminations.execute_elimination, ctx, user, proposal_id)
    eliminated = labels.count(len(done.eliminated), "dossier éliminé", "dossiers éliminés")
    left = labels.count(len(done.skipped), "dossier laissé", "dossiers laissés")
    message = f"Élimination exécutée : {eliminated}, {left}."
    return await redirect_with(request, f"/visas/{proposal_id}", message)
