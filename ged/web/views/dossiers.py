"""The dossier page: what it is, where it sits in the plan, its documents, its lifecycle (phase,
holds, effective rules with their origin, start dates such as « date de la séance »)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.lifecycle import BindingTarget, EffectiveRule
from ged.domain.model import PlanNode
from ged.presentation import labels
from ged.services.browse import dossier_page
from ged.services.lifecycle import RuleView
from ged.services.rules import MANAGERS
from ged.web.render import render
from ged.web.security import Ctx, User, csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


def communicability(access: RuleView | None) -> str:
    return labels.communicability(
        access.effective.rule if access else None, access.end if access else None
    )


def origin_of(nodes: dict[str, PlanNode]) -> object:
    def origin(effective: EffectiveRule) -> str:
        text = labels.label(labels.RULE_ORIGINS, effective.source)
        node = nodes.get(effective.source_id)
        if effective.source is BindingTarget.PLAN_NODE and node is not None:
            how = "héritée de" if effective.inherited else "rubrique"
            return f"{text} ({how} {node.code} {node.label})"
        if effective.source is BindingTarget.DOCUMENT_TYPE:
            return f"{text} « {effective.source_id} »"
        return text

    return origin


@router.get("/dossiers/{dossier_id}")
async def dossier(request: Request, dossier_id: str, ctx: Ctx, user: User) -> Response:
    page = await run_in_threadpool(dossier_page, ctx, user, dossier_id)
    return render(
        request,
        "dossier.html",
        title=page.dossier.title,
        page=page,
        start_event=labels.start_event,
        rule_duration=labels.rule_duration,
        communicability=communicability,
        origin=origin_of({n.id: n for n in page.plan_path}),
        manages=user.has(*MANAGERS),  # the records officer's actions on the dossier
    )
