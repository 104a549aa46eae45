"""The lifecycle screen of the records officer: what becomes due in the next 24 months as a
chart (by month and final action; a service may be chosen) with its data table, and a pass of
the lifecycle engine — first simulated on any day (nothing written), then recorded for today
or a past day. A day to come is refused by the service (``as_of_in_future``): recorded phases
never run ahead of the calendar."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.presentation import labels
from ged.presentation.chart import ACTIONS, forecast_chart, forecast_table
from ged.services import lifecycle
from ged.services.context import Context
from ged.services.records_office import forecast_page, run_preview
from ged.web.forms import by_field, parse_day
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_protect
from kernel.errors import InvalidError

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
MONTHS = 24


@router.get("/cycle-de-vie")
async def forecast(request: Request, ctx: Ctx, user: User, service: str = "") -> Response:
    return await _page(request, ctx, user, service)


async def _page(
    request: Request,
    ctx: Context,
    user: Principal,
    service: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    page = await run_in_threadpool(forecast_page, ctx, user, MONTHS, service or None)
    options = [("", "tous les services"), *sorted(page.services.items(), key=lambda s: s[1])]
    return render(
        request,
        "cycle_de_vie.html",
        status=422 if errors else 200,
        title="Cycle de vie",
        page=page,
        chart=forecast_chart(page.rows, page.as_of, MONTHS),
        table=forecast_table(page.rows, page.services),
        actions=ACTIONS,
        services=options,
        values=values or {"au": page.as_of.isoformat()},
        errors=errors or {},
    )


@router.get("/cycle-de-vie/simulation")
async def simulate(request: Request, ctx: Ctx, user: User, au: str = "") -> Response:
    try:
        preview = await run_in_threadpool(run_preview, ctx, user, parse_day(au, "au"))
    except InvalidError as exc:
        return await _page(request, ctx, user, "", {"au": au}, by_field(exc, FIELDS))
    report = preview.report
    summary = labels.run_summary(
        report.as_of, report.examined, len(report.transitions), report.held_back, True
    )
    return render(
        request,
        "simulation.html",
        title="Simulation du cycle de vie",
        preview=preview,
        summary=summary,
        future=report.as_of > ctx.clock().date(),
    )


@router.post("/cycle-de-vie/calcul")
async def run(request: Request, ctx: Ctx, user: User, au: str = Form("")) -> Response:
    try:
        day = parse_day(au, "au")
        report = await run_in_threadpool(lambda: lifecycle.run_lifecycle(ctx, user, day))
    except InvalidError as exc:
        return await _page(request, ctx, user, "", {"au": au}, by_field(exc, FIELDS))
    summary = labels.run_summary(
        report.as_of, report.examined, len(report.transitions), report.held_back, False
    )
    return await redirect_with(request, "/cycle-de-vie", summary + ".")


FIELDS: dict[str | None, str] = {"as_of": "au", None: "au"}
