"""The agent's dashboard (tableau de bord): open dossiers, latest documents, tasks."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.presentation import labels
from ged.services.browse import Task, dashboard
from ged.web.render import render
from ged.web.security import Ctx, User, csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

TASKS = {
    "due_dossiers": (
        "dossier à la DUA échue attend son sort final",
        "dossiers à la DUA échue attendent leur sort final",
    ),
    "elimination_visas": (
        "proposition d'élimination attend votre visa",
        "propositions d'élimination attendent votre visa",
    ),
}


def task_text(task: Task) -> str:
    """« 3 dossiers à la DUA échue attendent leur sort final »."""
    one, many = TASKS[task.kind]
    return labels.count(task.count, one, many)


@router.get("/")
async def home(request: Request, ctx: Ctx, user: User) -> Response:
    board = await run_in_threadpool(dashboard, ctx, user)
    return render(
        request,
        "tableau_de_bord.html",
        title="Tableau de bord",
        dossiers=board.dossiers,
        recent=board.recent,
        tasks=board.tasks,
        services=board.services,
        task_text=task_text,
    )
