"""What the dossier commands print for people, and how they find what an operator names.

A dossier is shown as its web page shows it: metadata, phase, hold, start dates, effective rules with their origin, documents with their
versions — in French words, dates and sizes (``ged.presentation.labels``), never the API's
codes. Services are named by their SEDA identifier, plan nodes by their code; identifiers work
too.
"""

from __future__ import annotations

from collections.abc import Iterator

from ged.cli import Env
from ged.domain.access import Principal
from ged.domain.lifecycle import DossierEvent
from ged.domain.model import Service
from ged.presentation import labels
from ged.services.filing import FiledDocument
from ged.services.lifecycle import DossierLifecycle, RuleView
from kernel.errors import NotFoundError


def resolve_service(env: Env, actor: Principal, name: str) -> Service:
    """The organisation's service whose SEDA identifier (or identifier) is ``name``."""
    with env.context().uow() as uow:
        found = uow.repo.find_service(actor.organisation_id, name) or uow.repo.get_service(
            actor.organisation_id, name
        )
    if found is None:
        raise NotFoundError(f"Service « {name} » introuvable")
    return found


def resolve_plan_node(env: Env, actor: Principal, name: str) -> str:
    """The identifier of the plan node whose code (or identifier) is ``name``."""
    with env.context().uow() as uow:
        found = uow.repo.find_plan_node(actor.organisation_id, name) or uow.repo.get_plan_node(
            actor.organisation_id, name
        )
    if found is None:
        raise NotFoundError(f"Nœud « {name} » du plan de classement introuvable")
    return found.id


def service_labels(env: Env, actor: Principal) -> dict[str, str]:
    """« Direction des finances (FR_DF) » by service identifier."""
    with env.context().uow() as uow:
        found = uow.repo.list_services(actor.organisation_id)
    return {s.id: f"{s.name} ({s.seda_identifier})" for s in found}


def dossier_lines(
    env: Env,
    actor: Principal,
    view: DossierLifecycle,
    events: list[DossierEvent],
    documents: list[FiledDocument],
) -> Iterator[str]:
    yield from _identity(env, actor, view)
    yield from _phase(view)
    yield from _start_dates(view, events)
    yield from _rules(view.rules, _plan_names(env, actor))
    yield from _documents(documents)


def _identity(env: Env, actor: Principal, view: DossierLifecycle) -> Iterator[str]:
    d = view.dossier
    yield f"Dossier : {d.title}"
    yield f"Identifiant : {d.id}"
    yield f"Service : {service_labels(env, actor).get(d.service_id, d.service_id)}"
    if d.plan_node_id:
        with env.context().uow() as uow:
            node = uow.repo.get_plan_node(actor.organisation_id, d.plan_node_id)
        if node is not None:
            yield f"Plan de classement : {node.code} — {node.label}"
    if d.reference:
        yield f"Référence : {d.reference}"
    if d.description:
        yield f"Description : {d.description}"
    yield f"État : {labels.label(labels.DOSSIER_STATUS, d.status)}"


def _phase(view: DossierLifecycle) -> Iterator[str]:
    state, computed = view.state, view.computed
    since = f" depuis le {labels.day(state.since)}" if state else ""
    yield (
        f"Phase : {labels.phase(state.phase if state else None)}{since} "
        f"(selon les règles aujourd'hui : {labels.phase(computed.phase)})"
    )
    if computed.due_on is not None:
        action = labels.final_action(computed.final_action) or "sans sort final"
        yield f"Fin de la DUA : {labels.day(computed.due_on)} — sort final : {action}"
    elif computed.no_due_reason is not None:
        yield f"Fin de la DUA : inconnue ({labels.label(labels.NO_DUE_REASONS, computed.no_due_reason)})"
    access = view.access
    yield "Communicable : " + labels.communicability(
        access.effective.rule if access else None, access.end if access else None
    )
    if not view.holds:
        yield "Gel : aucun"
    for h in view.holds:
        until = f" jusqu'au {labels.day(h.ends_on)}" if h.ends_on else ""
        yield f"Gel : depuis le {labels.day(h.starts_on)}{until} — {h.reason} ({h.id})"


def _start_dates(view: DossierLifecycle, events: list[DossierEvent]) -> Iterator[str]:
    d = view.dossier
    yield "Dates de départ :"
    yield f"  ouverture : {labels.day(d.opened_on)}"
    yield f"  clôture : {labels.day(d.closed_on) if d.closed_on else 'dossier ouvert'}"
    for e in events:
        yield f"  {e.name} : {labels.day(e.on)}"


def _plan_names(env: Env, actor: Principal) -> dict[str, str]:
    with env.context().uow() as uow:
        return {
            n.id: f"{n.code} « {n.label} »" for n in uow.repo.list_plan_nodes(actor.organisation_id)
        }


def _rules(rules: list[RuleView], plan: dict[str, str]) -> Iterator[str]:
    if not rules:
        yield "Règles effectives : aucune"
        return
    yield "Règles effectives :"
    for r in rules:
        rule, origin = r.effective.rule, r.effective
        action = f", {labels.final_action(rule.final_action)}" if rule.final_action else ""
        yield (
            f"  {labels.label(labels.CATEGORIES, r.category)} : {rule.identifier} "
            f"v{rule.version} « {rule.label} » — {labels.rule_duration(rule)}{action}"
        )
        inherited = " (héritée d'un nœud parent)" if origin.inherited else ""
        where = plan.get(origin.source_id, origin.source_id)
        source = f"{labels.label(labels.RULE_ORIGINS, origin.source)} {where}"
        yield f"    origine : {source}{inherited}"
        if origin.justification:
            yield f"    justification : {origin.justification}"
        start = rule.start_event.to_french() if rule.start_event else "clôture du dossier"
        begins = labels.day(r.starts_on) if r.starts_on else "date inconnue"
        ends = (
            labels.day(r.end.date)
            if r.end.date
            else labels.label(labels.NO_DUE_REASONS, r.end.reason)
        )
        yield f"    à compter de : {start} ({begins}) → {ends}"


def _documents(documents: list[FiledDocument]) -> Iterator[str]:
    yield f"Documents : {labels.count(len(documents), 'document')}"
    for f in documents:
        m = f.document.metadata
        yield f"  {m.title} ({f.document.id})"
        details = [f"type : {m.document_type}"] if m.document_type else []
        details += [f"auteur : {m.author}"] if m.author else []
        details += [f"daté du {labels.day(m.created_on)}"] if m.created_on else []
        details += [f"mots-clés : {', '.join(m.keywords)}"] if m.keywords else []
        if details:
            yield f"    {' ; '.join(details)}"
        for v in f.versions:
            state = (
                labels.label(labels.DAMAGE, v.damage)
                if v.damage
                else labels.label(labels.EXTRACTION, v.extraction_status)
            )
            yield (
                f"    version {v.number} du {labels.moment(v.created_at)} : {v.filename}, "
                f"{labels.size(v.size)}, {v.format_name or 'format inconnu'} — {state}"
            )
