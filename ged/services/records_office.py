"""Read models of the records officer's screens: what one page shows, gathered from the
services that give it piece by piece, with the same access rules (another organisation's
dossier is never named)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ged.domain.access import Principal
from ged.domain.lifecycle import Binding, BindingTarget, ForecastRow, Hold
from ged.domain.model import PlanNode
from ged.domain.retention import RetentionRule
from ged.services import holds, lifecycle, rules
from ged.services.context import Context
from ged.services.filing import load_dossier
from ged.services.ports import UnitOfWork
from kernel.errors import NotFoundError
from kernel.retention import RuleCategory


def dossier_titles(ctx: Context, actor: Principal, dossier_ids: Iterable[str]) -> dict[str, str]:
    """The title of each dossier of ``dossier_ids`` that ``actor`` may read."""
    found = {}
    with ctx.uow() as uow:
        for dossier_id in set(dossier_ids):
            dossier = uow.repo.get_dossier(dossier_id)
            if dossier is None or dossier.organisation_id != actor.organisation_id:
                continue
            if actor.sees_service(dossier.service_id):
                found[dossier.id] = dossier.title
    return found


@dataclass(frozen=True)
class HoldsPage:
    holds: list[Hold]  # active first, then lifted; newest first within each
    titles: dict[str, str]  # dossier_id -> title


def holds_page(ctx: Context, actor: Principal, include_lifted: bool = False) -> HoldsPage:
    """The organisation's holds with the titles of their dossiers."""
    found = holds.list_holds(ctx, actor, None, include_lifted)
    ordered = sorted(found, key=lambda h: (h.lifted_at is not None, -h.placed_at.timestamp()))
    return HoldsPage(ordered, dossier_titles(ctx, actor, (h.dossier_id for h in found)))


@dataclass(frozen=True)
class BindingsPage:
    """The rules bound to one place — a plan node, a dossier (derogations, each justified) or
    the document types — what a plan node inherits from its parents, and the rules that may be
    bound (hold rules are placed as holds, never bound)."""

    target: BindingTarget
    target_id: str
    name: str
    bindings: list[Binding]
    inherited: list[tuple[PlanNode, Binding]]
    rules: list[RetentionRule]


def bindings_page(
    ctx: Context, actor: Principal, target: BindingTarget, target_id: str = ""
) -> BindingsPage:
    """``target_id`` is the plan node or the dossier; the document types are one page."""
    bindable = [r for r in rules.referential(ctx, actor) if r.category is not RuleCategory.HOLD]
    org = actor.organisation_id
    with ctx.uow() as uow:
        name, inherited = _subject(uow, actor, target, target_id)
        ids = [target_id] if target_id else None
        bound = uow.lifecycle.list_bindings(org, target, ids)
    return BindingsPage(target, target_id, name, bound, inherited, bindable)


def _subject(
    uow: UnitOfWork, actor: Principal, target: BindingTarget, target_id: str
) -> tuple[str, list[tuple[PlanNode, Binding]]]:
    if target is BindingTarget.DOSSIER:
        return load_dossier(uow, actor, target_id).title, []
    if target is BindingTarget.DOCUMENT_TYPE:
        return "types de documents", []
    nodes = {n.id: n for n in uow.repo.list_plan_nodes(actor.organisation_id)}
    node = nodes.get(target_id)
    if node is None:
        raise NotFoundError("Rubrique du plan de classement introuvable")
    inherited, seen, parent = [], {node.id}, node.parent_id
    while parent is not None and parent in nodes and parent not in seen:
        seen.add(parent)
        for b in uow.lifecycle.list_bindings(actor.organisation_id, target, [parent]):
            inherited.append((nodes[parent], b))
        parent = nodes[parent].parent_id
    return f"{node.code} {node.label}", inherited


@dataclass(frozen=True)
class ForecastPage:
    as_of: date
    months: int
    rows: list[ForecastRow]  # of the chosen service only, when one is chosen
    services: dict[str, str]  # service_id -> name
    service_id: str | None


def forecast_page(
    ctx: Context, actor: Principal, months: int, service_id: str | None = None
) -> ForecastPage:
    """What becomes due in the next ``months`` months, by month, final action and service."""
    rows = lifecycle.forecast_due(ctx, actor, months)
    names = lifecycle.service_names(ctx, actor)
    if service_id and service_id not in names:
        raise NotFoundError("Service introuvable")
    chosen = [r for r in rows if not service_id or r.service_id == service_id]
    return ForecastPage(ctx.clock().date(), months, chosen, names, service_id or None)


@dataclass(frozen=True)
class RunPreview:
    report: lifecycle.RunReport
    titles: dict[str, str]


def run_preview(ctx: Context, actor: Principal, as_of: date | None) -> RunPreview:
    """What a pass of the lifecycle engine on ``as_of`` would change (nothing is written)."""
    report = lifecycle.run_lifecycle(ctx, actor, as_of, dry_run=True)
    titles = dossier_titles(ctx, actor, (t.dossier_id for t in report.transitions))
    return RunPreview(report, titles)
