"""Which due dossiers a transfer under an agreement can take, and why each other one stays.

``transfers send --due`` takes every dossier the lifecycle engine recorded as due whose final
action is to keep (a Sort decided « keep » included). A dossier that cannot leave is named with
its reason instead of stopping the whole transfer — the others leave:

- ``outside_agreement``: its service is not one the agreement covers;
- ``held``: an active hold (a hold always wins: it neither leaves nor is eliminated);
- ``sort_undecided``: its final action is Sort and no archivist has decided yet;
- ``no_longer_due``: its rules, changed since the engine's last pass, no longer make it due;
- ``content_damaged``: a document's stored bytes no longer match their digests (the repository
  would refuse the package; ``gedsae audit`` repairs from a verified copy).

Due dossiers to destroy are the elimination's business, not left behind by a transfer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ged.domain.access import Principal
from ged.domain.lifecycle import LifecycleState, Phase
from ged.domain.model import Dossier
from ged.domain.retention import FinalAction
from ged.presentation import labels
from ged.services import lifecycle
from ged.services.agreements import Agreement
from ged.services.context import Context
from ged.services.ports import UnitOfWork


@dataclass(frozen=True)
class LeftBehind:
    """A due dossier a transfer does not take: ``code`` for programs, ``reason`` for people."""

    dossier_id: str
    title: str
    code: str
    reason: str


@dataclass(frozen=True)
class DueSelection:
    sendable: list[str]
    left: list[LeftBehind]


def select_due(
    ctx: Context, actor: Principal, agreement: Agreement, services: frozenset[str] | None
) -> DueSelection:
    """The due dossiers to keep that may leave under ``agreement`` (limited to ``services``
    when given), and every other one with why it stays."""
    due = lifecycle.list_in_phase(ctx, actor, Phase.DUE, limit=10_000)
    states = [s for s in due if _to_keep(s)]
    sendable: list[str] = []
    left: list[LeftBehind] = []
    with ctx.uow() as uow:
        dossiers = {d.id: d for s in states if (d := uow.repo.get_dossier(s.dossier_id))}
        found = [dossiers[s.dossier_id] for s in states if s.dossier_id in dossiers]
        evaluated = _evaluated(uow, actor, found, ctx)
        for state in states:
            dossier = dossiers.get(state.dossier_id)
            if dossier is None:
                continue
            why = _blocker(uow, agreement, services, dossier, state, evaluated[dossier.id])
            if why is None:
                sendable.append(dossier.id)
            else:
                left.append(LeftBehind(dossier.id, dossier.title, *why))
    return DueSelection(sendable, left)


def _to_keep(state: LifecycleState) -> bool:
    """Kept for good, or sorted and not yet decided (it may be kept)."""
    undecided = state.final_action is FinalAction.SORT and state.sort_decision is None
    return undecided or state.resolved_action is FinalAction.KEEP


def _evaluated(
    uow: UnitOfWork, actor: Principal, dossiers: Sequence[Dossier], ctx: Context
) -> dict[str, lifecycle.Evaluated]:
    if not dossiers:
        return {}
    ref = lifecycle.load_referential(uow, actor.organisation_id)
    day = ctx.clock().date()
    return {ev.facts.dossier_id: ev for ev in lifecycle.evaluate(uow, ref, dossiers, day)}


def _blocker(
    uow: UnitOfWork,
    agreement: Agreement,
    services: frozenset[str] | None,
    dossier: Dossier,
    state: LifecycleState,
    ev: lifecycle.Evaluated,
) -> tuple[str, str] | None:
    """(code, French reason) of what keeps ``dossier`` from leaving; None when it may."""
    if services is not None and dossier.service_id not in services:
        return "outside_agreement", _outside(uow, agreement, dossier)
    if ev.holds:
        hold = ev.holds[0]
        return "held", f"gelé depuis le {labels.day(hold.starts_on)} ({hold.reason})"
    if state.final_action is FinalAction.SORT and state.sort_decision is None:
        return "sort_undecided", "sort final « tri » : la décision d'un archiviste est attendue"
    if ev.assessment.phase is not Phase.DUE:
        phase = labels.phase(ev.assessment.phase)
        return "no_longer_due", f"n'est plus échu selon ses règles actuelles (phase : {phase})"
    damaged = _damaged_document(uow, dossier)
    if damaged is not None:
        return "content_damaged", (
            f"contenu endommagé (document « {damaged} ») : à réparer par gedsae audit"
        )
    return None


def _outside(uow: UnitOfWork, agreement: Agreement, dossier: Dossier) -> str:
    service = uow.repo.get_service(dossier.organisation_id, dossier.service_id)
    name = service.seda_identifier if service else dossier.service_id
    covered = ", ".join(sorted(agreement.services))
    return f"service {name} hors de l'accord {agreement.name} (services couverts : {covered})"


def _damaged_document(uow: UnitOfWork, dossier: Dossier) -> str | None:
    for doc in uow.repo.documents_in(dossier.id):
        current = uow.repo.get_version(doc.id, doc.current_version)
        if current is not None and current.damage is not None:
            return doc.metadata.title
    return None
