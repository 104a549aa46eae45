"""The lifecycle engine: effective rules, phases, business events, sorting, transfers, forecast.

``run_lifecycle(as_of)`` walks the organisation's dossiers in identifier order, by batches of one
transaction each, computes each dossier's phase on ``as_of`` from its facts and effective rules
(``ged.domain.lifecycle``) and records only what changed, logging every phase transition with
the rule and the rule version it used. Running it twice for the same day changes nothing the
second time. A day after today is refused: the recorded phases say where each dossier stands
now, and a date to come would make dossiers due (then transferable, or proposed for
elimination) before their DUA is over. What a date to come would change is a what-if:
``dry_run`` computes the same transitions and writes nothing (``forecast_due`` counts by month).
The clock is injected: the services read ``ctx.clock`` and take ``as_of`` so that tests travel
in time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from ged.domain.access import Principal
from ged.domain.lifecycle import (
    Assessment,
    Binding,
    BindingTarget,
    DossierEvent,
    DossierFacts,
    EffectiveRule,
    ForecastRow,
    Hold,
    LifecycleState,
    Phase,
    SortDecision,
    WrongPhase,
    assess,
    ensure_can_sort,
    ensure_can_transfer,
    ensure_transferring,
    event_key,
    forecast,
    next_state,
    resolve_rules,
    rule_deadline,
    start_date,
    with_phase,
)
from ged.domain.model import Dossier, Role
from ged.domain.retention import RetentionRule
from ged.services.context import Context
from ged.services.filing import load_dossier
from ged.services.ports import UnitOfWork
from kernel.errors import InvalidError, Issue, NotFoundError
from kernel.retention import Deadline, RuleCategory

RUNNERS = (Role.RECORDS_OFFICER, Role.ARCHIVIST, Role.ADMIN)
BATCH = 500


# -- the referential and the evaluation of a batch --------------------------------------------
@dataclass(frozen=True)
class Referential:
    """What is shared by every dossier of an organisation: current rules, the plan's tree and
    the bindings on plan nodes and document types."""

    rules: dict[str, RetentionRule]
    parents: dict[str, str | None]
    plan_bindings: dict[str, list[Binding]]
    type_bindings: dict[str, list[Binding]]

    def effective(
        self, facts: DossierFacts, dossier_bindings: Sequence[Binding]
    ) -> dict[RuleCategory, EffectiveRule]:
        chain = [(node, self.plan_bindings.get(node, [])) for node in self._chain(facts)]
        types = [
            b for kind in sorted(facts.document_types) for b in self.type_bindings.get(kind, [])
        ]
        return resolve_rules(self.rules, dossier_bindings, chain, types)

    def _chain(self, facts: DossierFacts) -> Iterator[str]:
        node, seen = facts.plan_node_id, set()
        while node is not None and node not in seen:  # a cycle in the plan must not hang us
            seen.add(node)
            yield node
            node = self.parents.get(node)


def load_referential(uow: UnitOfWork, org_id: str) -> Referential:
    plan: dict[str, list[Binding]] = {}
    types: dict[str, list[Binding]] = {}
    for b in uow.lifecycle.list_bindings(org_id, BindingTarget.PLAN_NODE):
        plan.setdefault(b.target_id, []).append(b)
    for b in uow.lifecycle.list_bindings(org_id, BindingTarget.DOCUMENT_TYPE):
        types.setdefault(b.target_id, []).append(b)
    parents = {n.id: n.parent_id for n in uow.repo.list_plan_nodes(org_id)}
    bound = {b.rule_id for found in (plan, types) for bs in found.values() for b in bs}
    return Referential(uow.lifecycle.current_rules(org_id, bound), parents, plan, types)


@dataclass(frozen=True)
class Evaluated:
    facts: DossierFacts
    effective: dict[RuleCategory, EffectiveRule]
    assessment: Assessment
    holds: list[Hold]  # active on the day evaluated
    held: bool
    previous: LifecycleState | None
    unlifted: tuple[Hold, ...] = ()  # every hold not lifted, those to come included


def evaluate(
    uow: UnitOfWork, ref: Referential, dossiers: Sequence[Dossier], as_of: date
) -> list[Evaluated]:
    """Facts, effective rules, assessment and holds of ``dossiers`` in a few queries."""
    lc = uow.lifecycle
    ids = [d.id for d in dossiers]
    events, last, kinds = lc.events_for(ids), lc.last_document_dates(ids), lc.document_types(ids)
    holds, states = lc.holds_for(ids), lc.states_for(ids)
    bound: dict[str, list[Binding]] = {}
    if dossiers:
        org = dossiers[0].organisation_id
        for b in lc.list_bindings(org, BindingTarget.DOSSIER, ids):
            bound.setdefault(b.target_id, []).append(b)
        missing = {b.rule_id for bs in bound.values() for b in bs} - ref.rules.keys()
        if missing:  # overrides use rules the plan does not: fetch them for this batch only
            ref = replace(ref, rules={**ref.rules, **lc.current_rules(org, missing)})
    found = []
    for d in dossiers:
        facts = DossierFacts(
            d.id,
            d.organisation_id,
            d.service_id,
            d.plan_node_id,
            d.opened_on,
            d.closed_on,
            last.get(d.id),
            events.get(d.id, {}),
            kinds.get(d.id, frozenset()),
        )
        effective = ref.effective(facts, bound.get(d.id, []))
        active = [h for h in holds.get(d.id, []) if h.active_on(as_of)]
        assessment = assess(facts, effective, as_of)
        unlifted = tuple(holds.get(d.id, []))
        found.append(
            Evaluated(
                facts, effective, assessment, active, bool(active), states.get(d.id), unlifted
            )
        )
    return found


# -- the engine -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transition:
    dossier_id: str
    before: Phase | None
    after: Phase


@dataclass
class RunReport:
    as_of: date
    examined: int = 0
    transitions: list[Transition] = field(default_factory=list)
    held_back: int = 0  # held dossiers whose rules would have moved them
    dry_run: bool = False  # what would change: nothing was written


class AsOfInFuture(InvalidError):
    code = "as_of_in_future"
    title = "Date de calcul postérieure à aujourd'hui"


def run_lifecycle(
    ctx: Context,
    actor: Principal,
    as_of: date | None = None,
    *,
    batch: int = BATCH,
    dry_run: bool = False,
) -> RunReport:
    """Records each dossier's phase on ``as_of`` (today by default; never a day to come), or,
    with ``dry_run``, only reports what would change."""
    actor.ensure_role(*RUNNERS)
    day = _run_day(ctx, as_of, dry_run)
    org = actor.organisation_id
    with ctx.uow() as uow:
        ref = load_referential(uow, org)
    report, after = RunReport(day, dry_run=dry_run), ""
    while True:
        with ctx.uow() as uow:
            dossiers = uow.lifecycle.dossier_batch(org, after, batch)
            for evaluated in evaluate(uow, ref, dossiers, day):
                if dry_run:
                    decide(evaluated, day, report)
                else:
                    record(uow, actor, evaluated, day, report)
            if not dry_run:
                uow.commit()
        if len(dossiers) < batch:
            return report
        after = dossiers[-1].id


def _run_day(ctx: Context, as_of: date | None, dry_run: bool) -> date:
    today = ctx.clock().date()
    day = as_of or today
    if day > today and not dry_run:
        message = (
            f"La date de calcul ({day.isoformat()}) est postérieure à aujourd'hui "
            f"({today.isoformat()}) : les phases enregistrées ne changent qu'à leur date ; pour "
            "savoir ce qui changerait, demandez une simulation (--dry-run) ou une prévision "
            "(lifecycle forecast)"
        )
        raise AsOfInFuture(message, issues=[Issue("as_of_in_future", message, path="as_of")])
    return day


def decide(ev: Evaluated, day: date, report: RunReport | None = None) -> LifecycleState:
    """The state the engine gives ``ev`` on ``day``, counted in ``report``; nothing written."""
    state = next_state(ev.previous, ev.facts, ev.assessment, ev.held, day)
    if report is not None:
        report.examined += 1
        previous = ev.previous
        if ev.held and previous and not previous.phase.reached_by_action:
            report.held_back += previous.phase is not ev.assessment.phase
        before = previous.phase if previous else None
        if before is not state.phase:
            report.transitions.append(Transition(state.dossier_id, before, state.phase))
    return state


def record(
    uow: UnitOfWork, actor: Principal, ev: Evaluated, day: date, report: RunReport | None = None
) -> LifecycleState:
    """Stores the state the engine decides for ``ev`` when it differs from the stored one."""
    state = decide(ev, day, report)
    if state == ev.previous:
        return state
    uow.lifecycle.save_state(state, new=ev.previous is None)
    before = ev.previous.phase if ev.previous else None
    if before is not state.phase:
        details = {
            "from": before.value if before else None,
            "to": state.phase.value,
            "as_of": day.isoformat(),
            "rule_id": state.rule_id,
            "rule_version": state.rule_version,
            "due_on": state.due_on.isoformat() if state.due_on else None,
        }
        uow.log(
            actor.id, "lifecycle.phase", "dossier", state.dossier_id, state.organisation_id, details
        )
    return state


def refresh(
    uow: UnitOfWork, actor: Principal, dossier: Dossier, day: date
) -> tuple[LifecycleState, Evaluated]:
    """Brings one dossier's recorded state up to ``day`` (holds respected) before an action."""
    ref = load_referential(uow, dossier.organisation_id)
    ev = evaluate(uow, ref, [dossier], day)[0]
    return record(uow, actor, ev, day), ev


# -- reading a dossier's lifecycle ------------------------------------------------------------
@dataclass(frozen=True)
class RuleView:
    category: RuleCategory
    effective: EffectiveRule
    starts_on: date | None
    end: Deadline


@dataclass(frozen=True)
class DossierLifecycle:
    dossier: Dossier
    state: LifecycleState | None
    computed: Assessment
    rules: list[RuleView]
    holds: list[Hold]

    @property
    def access(self) -> RuleView | None:
        """The AccessRule: its end is the date the dossier becomes communicable."""
        return next((r for r in self.rules if r.category is RuleCategory.ACCESS), None)


def dossier_lifecycle(
    ctx: Context, actor: Principal, dossier_id: str, as_of: date | None = None
) -> DossierLifecycle:
    """The recorded phase, the phase the rules give today, every effective rule with where it
    comes from, and the active holds. Visible to whoever may read the dossier."""
    day = as_of or ctx.clock().date()
    with ctx.uow() as uow:
        dossier = load_dossier(uow, actor, dossier_id)
        ref = load_referential(uow, dossier.organisation_id)
        ev = evaluate(uow, ref, [dossier], day)[0]
    views = [
        RuleView(
            cat, eff, start_date(eff.rule.start_event, ev.facts), rule_deadline(eff.rule, ev.facts)
        )
        for cat, eff in sorted(ev.effective.items())
    ]
    return DossierLifecycle(dossier, ev.previous, ev.assessment, views, ev.holds)


def phase_counts(ctx: Context, actor: Principal) -> dict[str, int]:
    with ctx.uow() as uow:
        return uow.lifecycle.phase_counts(actor.organisation_id, actor.visible_services())


def list_in_phase(
    ctx: Context, actor: Principal, phase: Phase, limit: int = 200
) -> list[LifecycleState]:
    actor.ensure_role(*RUNNERS)
    with ctx.uow() as uow:
        return uow.lifecycle.states_in_phase(actor.organisation_id, phase, min(limit, 10_000))


# -- business events --------------------------------------------------------------------------
def record_event(ctx: Context, actor: Principal, dossier_id: str, name: str, on: date) -> None:
    """The date of a named business event (« date de la séance », « fin de l'exercice »…) from
    which a rule of the dossier counts."""
    key = event_key(name)
    if not key or len(name) > 500:
        message = "Nom d'événement vide ou trop long"
        raise InvalidError(message, issues=[Issue("bad_event_name", message, path="name")])
    with ctx.uow() as uow:
        dossier = load_dossier(uow, actor, dossier_id)
        actor.ensure_files(dossier.organisation_id, dossier.service_id, "Dossier")
        clean = " ".join(name.split())
        uow.lifecycle.set_event(dossier.id, key, clean, on, ctx.clock(), actor.id)
        details = {"name": clean, "on": on.isoformat()}
        uow.log(actor.id, "dossier.event", "dossier", dossier.id, dossier.organisation_id, details)
        uow.commit()


def list_events(ctx: Context, actor: Principal, dossier_id: str) -> list[DossierEvent]:
    """The business events recorded on a dossier, by date; visible to whoever reads it."""
    with ctx.uow() as uow:
        dossier = load_dossier(uow, actor, dossier_id)
        return uow.lifecycle.events_of(dossier.id)


def recorded_phases(
    ctx: Context, actor: Principal, dossiers: Sequence[Dossier]
) -> dict[str, Phase]:
    """The phase the engine last recorded for each of ``dossiers`` (read by ``actor``); a
    dossier the engine has not yet seen has none."""
    with ctx.uow() as uow:
        states = uow.lifecycle.states_for([d.id for d in dossiers])
    return {d.id: states[d.id].phase for d in dossiers if d.id in states}


# -- sorting and transfers --------------------------------------------------------------------
def sort_dossier(
    ctx: Context, actor: Principal, dossier_id: str, decision: SortDecision, note: str = ""
) -> LifecycleState:
    """An archivist's decision on a dossier whose final action is Sort (tri)."""
    actor.ensure_role(Role.ARCHIVIST)
    day = ctx.clock().date()
    with ctx.uow() as uow:
        dossier = lock_for_action(uow, actor, dossier_id)
        state, _ = refresh(uow, actor, dossier, day)
        ensure_can_sort(state)
        sorted_state = replace(state, sort_decision=decision, sorted_by=actor.id)
        uow.lifecycle.save_state(sorted_state, new=False)
        details = {
            "decision": decision.value,
            "note": note,
            "rule_id": state.rule_id,
            "rule_version": state.rule_version,
        }
        uow.log(actor.id, "lifecycle.sort", "dossier", dossier.id, dossier.organisation_id, details)
        uow.commit()
    return sorted_state


def start_transfer(
    ctx: Context, actor: Principal, dossier_id: str, reference: str = ""
) -> LifecycleState:
    """A due dossier to keep leaves for the archival repository (transferring)."""
    actor.ensure_role(*RUNNERS)
    day = ctx.clock().date()
    with ctx.uow() as uow:
        dossier = lock_for_action(uow, actor, dossier_id)
        state, ev = refresh(uow, actor, dossier, day)
        ensure_can_transfer(state, ev.held)
        moved = with_phase(state, Phase.TRANSFERRING, day, transfer_reference=reference or None)
        _save_move(uow, actor, state, moved, {"reference": reference})
        uow.commit()
    return moved


def accept_transfer(
    ctx: Context,
    actor: Principal,
    dossier_id: str,
    *,
    message_identifier: str,
    archive_identifiers: Sequence[str],
) -> LifecycleState:
    """transferring → permanent, on a positive ArchiveTransferReply that the transfer loop has
    verified (it cites ``message_identifier`` and names this dossier's ``archive_identifiers``).
    No route or command calls it: a client can never declare a transfer accepted. Replaying the
    same reply changes nothing."""
    actor.ensure_role(*RUNNERS)
    if not archive_identifiers:
        raise InvalidError(
            "Réponse positive sans identifiant d'archive",
            issues=[Issue("archive_identifier_missing", "aucun identifiant d'archive")],
        )
    day = ctx.clock().date()
    with ctx.uow() as uow:
        state = _transfer_state(uow, actor, dossier_id, message_identifier)
        if state.phase is Phase.PERMANENT:
            return state
        ensure_transferring(state)
        moved = with_phase(state, Phase.PERMANENT, day, transfer_verified=True)
        details = {"accepted": True, "archive_identifiers": list(archive_identifiers)}
        _save_move(uow, actor, state, moved, {"reference": message_identifier, **details})
        uow.commit()
    return moved


def return_to_due(
    ctx: Context, actor: Principal, dossier_id: str, *, message_identifier: str
) -> LifecycleState:
    """transferring → due: the repository rejected the transfer, or it never left."""
    actor.ensure_role(*RUNNERS)
    day = ctx.clock().date()
    with ctx.uow() as uow:
        state = _transfer_state(uow, actor, dossier_id, message_identifier)
        ensure_transferring(state)
        moved = with_phase(state, Phase.DUE, day, transfer_verified=False)
        details = {"accepted": False, "reference": message_identifier}
        _save_move(uow, actor, state, moved, details)
        uow.commit()
    return moved


def _transfer_state(
    uow: UnitOfWork, actor: Principal, dossier_id: str, message_identifier: str
) -> LifecycleState:
    """The dossier's state, locked, when ``message_identifier`` is its current transfer."""
    dossier = lock_for_action(uow, actor, dossier_id)
    state = uow.lifecycle.get_state(dossier.id)
    if state is None:
        raise NotFoundError("Aucun cycle de vie enregistré pour ce dossier")
    if state.transfer_reference != message_identifier:
        raise WrongPhase(
            f"Le dossier {dossier.id} n'est pas en cours de versement sous {message_identifier}"
        )
    return state


def lock_for_action(uow: UnitOfWork, actor: Principal, dossier_id: str) -> Dossier:
    """Reads the dossier under its row lock: hold placement and content removal take the same
    lock, so they never interleave."""
    load_dossier(uow, actor, dossier_id)
    dossier = uow.lifecycle.lock_dossier(dossier_id)
    if dossier is None:
        raise NotFoundError("Dossier introuvable")
    return dossier


def _save_move(
    uow: UnitOfWork,
    actor: Principal,
    before: LifecycleState,
    after: LifecycleState,
    extra: dict[str, object],
) -> None:
    uow.lifecycle.save_state(after, new=False)
    details = {
        "from": before.phase.value,
        "to": after.phase.value,
        "rule_id": after.rule_id,
        "rule_version": after.rule_version,
        **extra,
    }
    uow.log(
        actor.id, "lifecycle.phase", "dossier", after.dossier_id, after.organisation_id, details
    )


# -- forecast ---------------------------------------------------------------------------------
def forecast_due(
    ctx: Context, actor: Principal, months: int, as_of: date | None = None
) -> list[ForecastRow]:
    """What becomes due in the next ``months`` months, by month, final action and service."""
    actor.ensure_role(*RUNNERS)
    day = as_of or ctx.clock().date()
    org = actor.organisation_id
    entries = []
    with ctx.uow() as uow:
        ref = load_referential(uow, org)
        after = ""
        while True:
            dossiers = uow.lifecycle.dossier_batch(org, after, BATCH)
            for ev in evaluate(uow, ref, dossiers, day):
                if ev.assessment.due_on is not None:
                    action = ev.assessment.final_action
                    entries.append((ev.facts.service_id, ev.assessment.due_on, action, ev.held))
            if len(dossiers) < BATCH:
                break
            after = dossiers[-1].id
    return forecast(entries, day, months)


def service_names(ctx: Context, actor: Principal) -> dict[str, str]:
    with ctx.uow() as uow:
        return {s.id: s.name for s in uow.repo.list_services(actor.organisation_id)}
