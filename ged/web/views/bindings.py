"""Binding rules of the referential: to a node of the classification plan (its dossiers and
those of its sub-nodes inherit them), to a document type, or to one dossier — a derogation,
which must be justified and is logged as such. Binding a rule replaces the rule of the same
category already bound there; unbinding names the category (and, for a dossier, a reason).
The service (``ged.services.rules``) checks the role, the target and the justification."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.domain.lifecycle import BindingTarget
from ged.presentation import labels
from ged.services import rules
from ged.services.context import Context
from ged.services.records_office import bindings_page
from ged.web.forms import by_field
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_protect
from kernel.errors import InvalidError, NotFoundError
from kernel.retention import RuleCategory

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
TYPES = "/types-de-documents"
CHOOSE = "Choisissez une règle."
FIELDS = {"rule_id": "regle", "justification": "justification", "target_id": "type", None: "regle"}


@dataclass(frozen=True)
class Place:
    target: BindingTarget
    target_id: str = ""

    @property
    def url(self) -> str:
        if self.target is BindingTarget.PLAN_NODE:
            return f"/plan/{self.target_id}/regles"
        if self.target is BindingTarget.DOSSIER:
            return f"/dossiers/{self.target_id}/regles"
        return TYPES

    @property
    def shown(self) -> Place:
        """The page showing this place: the document types are one page for every type."""
        if self.target is BindingTarget.DOCUMENT_TYPE:
            return Place(self.target)
        return self


@router.get("/plan/{node_id}/regles")
async def node_page(request: Request, node_id: str, ctx: Ctx, user: User) -> Response:
    return await _page(request, ctx, user, Place(BindingTarget.PLAN_NODE, node_id))


@router.get("/dossiers/{dossier_id}/regles")
async def dossier_page(request: Request, dossier_id: str, ctx: Ctx, user: User) -> Response:
    return await _page(request, ctx, user, Place(BindingTarget.DOSSIER, dossier_id))


@router.get(TYPES)
async def types_page(request: Request, ctx: Ctx, user: User) -> Response:
    return await _page(request, ctx, user, Place(BindingTarget.DOCUMENT_TYPE))


async def _page(
    request: Request,
    ctx: Context,
    user: Principal,
    place: Place,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Response:
    page = await run_in_threadpool(bindings_page, ctx, user, place.target, place.target_id)
    titles = {
        BindingTarget.PLAN_NODE: f"Règles de la rubrique {page.name}",
        BindingTarget.DOSSIER: f"Dérogations du dossier « {page.name} »",
        BindingTarget.DOCUMENT_TYPE: "Règles des types de documents",
    }
    choices = [("", "choisir une règle")] + [
        (r.identifier, f"{r.identifier} — {r.label} ({labels.duration(r.duration)})")
        for r in page.rules
    ]
    return render(
        request,
        "rattachements.html",
        status=422 if errors else 200,
        title=titles[place.target],
        page=page,
        place=place,
        choices=choices,
        can_manage=user.has(*rules.MANAGERS),
        values=values or {},
        errors=errors or {},
    )


@router.post("/plan/{node_id}/regles")
async def bind_node(
    request: Request, node_id: str, ctx: Ctx, user: User, regle: str = Form("")
) -> Response:
    return await _bind(request, ctx, user, Place(BindingTarget.PLAN_NODE, node_id), regle)


@router.post("/dossiers/{dossier_id}/regles")
async def bind_dossier(
    request: Request,
    dossier_id: str,
    ctx: Ctx,
    user: User,
    regle: str = Form(""),
    justification: str = Form(""),
) -> Response:
    place = Place(BindingTarget.DOSSIER, dossier_id)
    return await _bind(request, ctx, user, place, regle, justification)


@router.post(TYPES)
async def bind_type(
    request: Request, ctx: Ctx, user: User, type: str = Form(""), regle: str = Form("")
) -> Response:
    place = Place(BindingTarget.DOCUMENT_TYPE, type.strip())
    return await _bind(request, ctx, user, place, regle)


async def _bind(
    request: Request,
    ctx: Context,
    user: Principal,
    place: Place,
    rule_id: str,
    justification: str = "",
) -> Response:
    values = {"regle": rule_id, "justification": justification, "type": place.target_id}
    if not rule_id:
        return await _page(request, ctx, user, place.shown, values, {"regle": [CHOOSE]})
    try:
        bound = await run_in_threadpool(
            rules.bind_rule, ctx, user, place.target, place.target_id, rule_id, justification
        )
    except InvalidError as exc:
        return await _page(request, ctx, user, place.shown, values, by_field(exc, FIELDS))
    category = labels.label(labels.CATEGORIES, bound.category)
    return await redirect_with(request, place.url, f"Règle {bound.rule_id} rattachée ({category}).")


@router.post("/plan/{node_id}/regles/retrait")
async def unbind_node(
    request: Request, node_id: str, ctx: Ctx, user: User, categorie: str = Form("")
) -> Response:
    return await _unbind(request, ctx, user, Place(BindingTarget.PLAN_NODE, node_id), categorie)


@router.post("/dossiers/{dossier_id}/regles/retrait")
async def unbind_dossier(
    request: Request,
    dossier_id: str,
    ctx: Ctx,
    user: User,
    categorie: str = Form(""),
    motif: str = Form(""),
) -> Response:
    place = Place(BindingTarget.DOSSIER, dossier_id)
    return await _unbind(request, ctx, user, place, categorie, motif)


@router.post(f"{TYPES}/retrait")
async def unbind_type(
    request: Request, ctx: Ctx, user: User, type: str = Form(""), categorie: str = Form("")
) -> Response:
    place = Place(BindingTarget.DOCUMENT_TYPE, type)
    return await _unbind(request, ctx, user, place, categorie)


async def _unbind(
    request: Request, ctx: Context, user: Principal, place: Place, category: str, reason: str = ""
) -> Response:
    chosen = next((c for c in RuleCategory if c.value == category), None)
    if chosen is None:
        raise NotFoundError("Aucune règle de cette catégorie n'est rattachée ici")
    await run_in_threadpool(
        rules.unbind_rule, ctx, user, place.target, place.target_id, chosen, reason
    )
    message = f"Règle retirée ({labels.label(labels.CATEGORIES, chosen)})."
    return await redirect_with(request, place.url, message)
