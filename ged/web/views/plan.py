"""The classification plan (plan de classement) as a tree, and the dossiers of a node.

The tree is nested lists with ``<details>``: it opens and closes with the keyboard (Tab, Enter)
without any script. Choosing a node lists its dossiers; with htmx only that list is replaced.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.services.browse import plan_tree
from ged.services.filing import list_dossiers, list_plan
from ged.services.rules import MANAGERS
from ged.web.render import render
from ged.web.security import Ctx, User, csrf_protect
from kernel.errors import NotFoundError
from kernel.paging import MAX_LIMIT, Page

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/plan")
async def plan(request: Request, ctx: Ctx, user: User, noeud: str | None = None) -> Response:
    nodes = await run_in_threadpool(list_plan, ctx, user)
    selected = next((n for n in nodes if n.id == noeud), None)
    if noeud and selected is None:
        raise NotFoundError("Rubrique du plan de classement introuvable")
    dossiers = []
    if selected is not None:
        dossiers = await run_in_threadpool(
            lambda: list_dossiers(ctx, user, plan_node_id=selected.id, page=Page(MAX_LIMIT))
        )
    template = "_dossiers_du_noeud.html" if "hx-request" in request.headers else "plan.html"
    return render(
        request,
        template,
        title="Plan de classement",
        tree=plan_tree(nodes),
        selected=selected,
        dossiers=dossiers,
        manages=user.has(*MANAGERS),  # the records officer binds rules to the node
    )
