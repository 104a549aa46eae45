"""The tableaux de gestion screen of the records officer: the rules in force, the import of a
tableau (XLSX, ODS, CSV) or of Vitam's referential (CSV), the export, and each rule with the
history of its versions and where it is bound.

An import is all or nothing (``ged.services.rules.import_rules``): a refused file is shown
again with every bad line — its number as the spreadsheet numbers it, its column and the
reason in French — and nothing is imported.
"""

from __future__ import annotations

import io
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.presentation import labels
from ged.services import rules
from ged.services.context import Context
from ged.services.rules_io import column_title
from ged.web.forms import SentFile, bounded_form
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_in_stream, csrf_protect
from kernel.errors import InvalidError, Issue
from kernel.rules_referential import MAX_IMPORT_BYTES

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

FORMAT_CHOICES = [
    ("auto", "Reconnaître d'après le fichier"),
    ("csv", "Tableau de gestion CSV"),
    ("xlsx", "Tableau de gestion Excel (XLSX)"),
    ("ods", "Tableau de gestion OpenDocument (ODS)"),
    ("vitam", "Référentiel des règles de Vitam (CSV)"),
]
EXPORTS = [
    ("csv", "tableau de gestion CSV"),
    ("xlsx", "tableau de gestion Excel"),
    ("ods", "tableau de gestion OpenDocument"),
    ("vitam", "référentiel Vitam (CSV)"),
]
EXPORT_TYPES = {
    "vitam": ("text/csv; charset=utf-8", "csv"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
}


@router.get("/regles")
async def rules_page(request: Request, ctx: Ctx, user: User) -> Response:
    return await _page(request, ctx, user)


async def _page(
    request: Request,
    ctx: Context,
    user: Principal,
    *,
    refused: InvalidError | None = None,
    filename: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    found = await run_in_threadpool(rules.referential, ctx, user)
    return render(
        request,
        "regles.html",
        status=status,
        title="Tableaux de gestion",
        rules=found,
        can_manage=user.has(*rules.MANAGERS),
        formats=FORMAT_CHOICES,
        exports=EXPORTS,
        refused=refused,
        issues=[_issue_row(i) for i in refused.issues] if refused else [],
        filename=filename,
        error=error,
    )


def _issue_row(issue: Issue) -> dict[str, object]:
    return {"line": issue.line, "column": column_title(issue.path), "message": issue.message}


@router.post("/regles/import")
@csrf_in_stream
async def import_page(request: Request, ctx: Ctx, user: User) -> Response:
    """The file is read whole (at most the size the API accepts), then imported or refused
    with every bad line; the form's CSRF field comes before the file."""
    form = await bounded_form(request, MAX_IMPORT_BYTES)
    sent = form.files.get("fichier")
    if sent is None:
        return await _page(request, ctx, user, error="Choisissez un fichier.", status=422)
    chosen = rules.guess_format(sent.filename, sent.data[:200], form.text("format"))
    replace = form.text("remplacer") == "oui"
    try:
        report = await run_in_threadpool(_import, ctx, user, sent, chosen, replace)
    except InvalidError as refused:
        return await _page(request, ctx, user, refused=refused, filename=sent.filename, status=422)
    return await redirect_with(request, "/regles", _summary(sent.filename, report))


def _import(
    ctx: Context, user: Principal, sent: SentFile, chosen: rules.RulesFormat, replace: bool
) -> rules.ImportReport:
    return rules.import_rules(ctx, user, io.BytesIO(sent.data), chosen, replace=replace)


def _summary(filename: str, report: rules.ImportReport) -> str:
    counts = [
        labels.count(len(report.created), "règle créée", "règles créées"),
        labels.count(len(report.revised), "révisée", "révisées"),
        labels.count(len(report.unchanged), "inchangée", "inchangées"),
        labels.count(len(report.retired), "retirée", "retirées"),
    ]
    return f"« {filename} » importé : {', '.join(counts)}."


@router.get("/regles/export")
async def export(
    ctx: Ctx, user: User, format: Literal["csv", "xlsx", "ods", "vitam"] = "csv"
) -> Response:
    buffer = io.BytesIO()
    await run_in_threadpool(rules.export_rules, ctx, user, format, buffer)
    media, extension = EXPORT_TYPES[format]
    name = f"regles-vitam.{extension}" if format == "vitam" else f"tableau-de-gestion.{extension}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(buffer.getvalue(), media_type=media, headers=headers)


@router.get("/regles/{identifier}")
async def rule_page(request: Request, identifier: str, ctx: Ctx, user: User) -> Response:
    detail = await run_in_threadpool(rules.rule_detail, ctx, user, identifier)
    current = detail.versions[-1][0]
    return render(
        request,
        "regle.html",
        title=f"Règle {current.identifier}",
        rule=current,
        versions=list(reversed(detail.versions)),
        bindings=detail.bindings,
        places=detail.places,
    )
