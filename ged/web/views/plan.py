"""The classification plan (plan de classement) as a tree, and the dossiers of a node.

The tree is nested lists with ``<details>``: it opens and closes with the keyboard (Tab, Enter)
without any script. Choosing a node lists its dossiers, 50 at a time; with htmx only that list
is replaced.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.model import Dossier
from ged.services.browse import node_dossiers, plan_tree
from ged.services.filing import list_plan
from ged.services.rules import MANAGERS
from ged.web.paging import PageNumber, navigation, page_of
from ged.web.render import render
from ged.web.security import Ctx, User, csrf_protect
from kernel.errors import NotFoundError
from kernel.paging import Counted

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/plan")
async def plan(
    request: Request, ctx: Ctx, user: User, noeud: str | None = None, page: PageNumber = 1
) -> Response:
    nodes = await run_in_threadpool(list_plan, ctx, user)
    selected = next((n for n in nodes if n.id == noeud), None)
    if noeud and selected is None:
        raise NotFoundError("Rubrique du plan de classement introuvable")
    dossiers: Counted[Dossier] = Counted([], page_of(1), 0)
    if selected is not None:
        dossiers = await run_in_threadpool(node_dossiers, ctx, user, selected.id, page_of(page))
    template = "_dossiers_du_noeud.html" if "hx-request" in request.headers else "plan.html"
    return render(
        request,
        template,
        title="Plan de classement",
        tree=plan_tree(nodes),
        selected=selected,
        dossiers=dossiers.rows,
        pages=navigation(request, dossiers),
        manages=user.has(*MANAGERS),  # the records officer binds rules to the node
    )
