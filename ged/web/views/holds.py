"""Legal holds (gels) in the records officer's screens: the organisation's holds, placing one
on a dossier with its reason (and an end date or a hold rule of the referential), lifting one
with its reason. Every change is logged by the service (``ged.services.holds``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.services import holds, rules
from ged.services.context import Context
from ged.services.filing import get_dossier
from ged.services.records_office import holds_page
from ged.web.forms import by_field, parse_day
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_protect
from kernel.errors import InvalidError
from kernel.retention import RuleCategory

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/gels")
async def holds_list(request: Request, ctx: Ctx, user: User, tous: bool = False) -> Response:
    return await _list(request, ctx, user, tous)


async def _list(
    request: Request,
    ctx: Context,
    user: Principal,
    everything: bool,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    page = await run_in_threadpool(holds_page, ctx, user, everything)
    return render(
        request,
        "gels.html",
        status=422 if errors else 200,
        title="Gels",
        page=page,
        everything=everything,
        can_manage=user.has(*rules.MANAGERS),
        errors=errors or {},
    )


@router.get("/dossiers/{dossier_id}/gel")
async def hold_form(request: Request, dossier_id: str, ctx: Ctx, user: User) -> Response:
    user.ensure_role(*rules.MANAGERS)
    return await _form(request, ctx, user, dossier_id)


async def _form(
    request: Request,
    ctx: Context,
    user: Principal,
    dossier_id: str,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    dossier = await run_in_threadpool(get_dossier, ctx, user, dossier_id)
    hold_rules = await run_in_threadpool(rules.referential, ctx, user, RuleCategory.HOLD)
    return render(
        request,
        "gel.html",
        status=422 if errors else 200,
        title=f"Geler « {dossier.title} »",
        dossier=dossier,
        hold_rules=[("", "aucune (fin facultative ci-dessous)")]
        + [(r.identifier, f"{r.identifier} — {r.label}") for r in hold_rules],
        values=values or {},
        errors=errors or {},
    )


@router.post("/dossiers/{dossier_id}/gel")
async def place(
    request: Request,
    dossier_id: str,
    ctx: Ctx,
    user: User,
    motif: str = Form(""),
    jusqu_au: str = Form(""),
    regle: str = Form(""),
) -> Response:
    values = {"motif": motif, "jusqu_au": jusqu_au, "regle": regle}
    try:
        ends_on = parse_day(jusqu_au, "jusqu_au")
        await run_in_threadpool(
            lambda: holds.place_hold(
                ctx, user, dossier_id, motif, ends_on=ends_on, rule_id=regle or None
            )
        )
    except InvalidError as exc:
        return await _form(request, ctx, user, dossier_id, values, by_field(exc, FIELDS))
    return await redirect_with(request, f"/dossiers/{dossier_id}", f"Dossier gelé : {motif}")


@router.post("/gels/{hold_id}/levee")
async def lift(
    request: Request, hold_id: str, ctx: Ctx, user: User, motif: str = Form("")
) -> Response:
    try:
        lifted = await run_in_threadpool(holds.lift_hold, ctx, user, hold_id, motif)
    except InvalidError as exc:
        return await _list(request, ctx, user, False, {hold_id: [i.message for i in exc.issues]})
    return await redirect_with(request, "/gels", f"Gel levé : {lifted.lift_reason}")


# the service's issue paths -> the form's fields
FIELDS = {"reason": "motif", "rule_id": "regle", "ends_on": "jusqu_au", None: "jusqu_au"}
