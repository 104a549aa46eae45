"""Elimination proposals in the records officer's screens (Code du patrimoine R212-14): what is
due to be destroyed and the proposals made, proposing, one proposal (its dossiers, volumes, rules
and derogations) and its bordereau d'élimination, printable as a page and as a PDF.

The visa is the archivist's (``/visas/{id}``); proposing and reading are the service's
(``ged.services.eliminations``), the slip's content is ``ged.services.elimination_sheet``.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.domain.model import Role
from ged.services import eliminations
from ged.services.context import Context
from ged.services.elimination_sheet import (
    COLUMNS,
    DEROGATION_COLUMNS,
    SIGNATURES,
    elimination_sheet,
)
from ged.web.forms import by_field, parse_day
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_protect
from kernel.errors import InvalidError

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
SHOWN = 100  # proposals listed, newest first


@router.get("/eliminations")
async def proposals(request: Request, ctx: Ctx, user: User) -> Response:
    return await _list(request, ctx, user)


async def _list(
    request: Request,
    ctx: Context,
    user: Principal,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    due = await run_in_threadpool(eliminations.elimination_candidates, ctx, user)
    made = await run_in_threadpool(eliminations.list_proposals, ctx, user)
    return render(
        request,
        "eliminations.html",
        status=422 if errors else 200,
        title="Éliminations",
        due=due,
        proposals=made[:SHOWN],
        values=values or {"au": ctx.clock().date().isoformat()},
        errors=errors or {},
    )


@router.post("/eliminations")
async def propose(request: Request, ctx: Ctx, user: User, au: str = Form("")) -> Response:
    try:
        day = parse_day(au, "au")
        made = await run_in_threadpool(eliminations.propose_eliminations, ctx, user, day)
    except InvalidError as exc:
        return await _list(request, ctx, user, {"au": au}, by_field(exc, FIELDS))
    count = len(made.items)
    message = f"Proposition d'élimination de {count} dossier{'s' if count > 1 else ''} créée."
    return await redirect_with(request, f"/eliminations/{made.proposal.id}", message)


@router.get("/eliminations/{proposal_id}")
async def proposal(request: Request, proposal_id: str, ctx: Ctx, user: User) -> Response:
    sheet = await run_in_threadpool(elimination_sheet, ctx, user, proposal_id)
    return render(
        request,
        "elimination.html",
        title="Proposition d'élimination",
        sheet=sheet,
        columns=COLUMNS,
        derogation_columns=DEROGATION_COLUMNS,
        archivist=user.has(Role.ARCHIVIST),
    )


@router.get("/eliminations/{proposal_id}/bordereau")
async def slip(request: Request, proposal_id: str, ctx: Ctx, user: User) -> Response:
    sheet = await run_in_threadpool(elimination_sheet, ctx, user, proposal_id)
    return render(
        request,
        "bordereau_elimination.html",
        title="Bordereau d'élimination",
        sheet=sheet,
        columns=COLUMNS,
        derogation_columns=DEROGATION_COLUMNS,
        signatures=SIGNATURES,
    )


@router.get("/eliminations/{proposal_id}/bordereau.pdf")
async def slip_pdf(proposal_id: str, ctx: Ctx, user: User) -> Response:
    from ged.services.elimination_pdf import elimination_pdf  # ReportLab: loaded when needed

    sheet = await run_in_threadpool(elimination_sheet, ctx, user, proposal_id)
    data = await run_in_threadpool(elimination_pdf, sheet)
    name = f"bordereau-elimination-{proposal_id}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


FIELDS: dict[str | None, str] = {"as_of": "au", None: "au"}
