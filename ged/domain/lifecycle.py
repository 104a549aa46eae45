"""The lifecycle of a dossier: phases, rule bindings, holds, and the refusals that guard them.

Phases follow the French "three ages" of records (Code du patrimoine L211-4, circulaire
DAF/DPACI/RES/2009/018): ``current`` while the dossier is open or within its active period
(a StorageRule, "durée d'utilité courante"), ``intermediate`` once closed while its DUA (the
AppraisalRule) runs, ``due`` when the DUA is over and its final action waits, then either
``transferring`` → ``permanent`` (transferred to, and accepted by, the archival repository) or
``eliminated`` (destroyed after a visa, R212-14). The last three are reached only by explicit
actions; the engine never computes them.

A dossier under an active hold (a HoldRule or a manual hold) never leaves its phase, and cannot
be transferred, eliminated or purged.

Rules reach a dossier by bindings: on the dossier itself (an override, which needs a
justification), on its classification-plan node or the nearest ancestor that has one, or on the
document types of its documents. When several document types bind different rules of one
category, the most conservative wins: the longest duration (unlimited first), then Keep over
Sort over Destroy.

Plain classes, no I/O: the services load facts and store what these functions decide.
"""

from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from ged.domain.retention import FinalAction, RetentionRule, StartEvent, StartEventKind
from kernel.errors import ConflictError, InvalidError, Issue
from kernel.retention import Deadline, NoEndDate, RuleCategory, deadline


class Phase(enum.StrEnum):
    CURRENT = "current"
    INTERMEDIATE = "intermediate"
    DUE = "due"
    TRANSFERRING = "transferring"
    PERMANENT = "permanent"
    ELIMINATED = "eliminated"

    @property
    def reached_by_action(self) -> bool:
        """Phases set by an action (transfer, elimination), never recomputed by the engine."""
        return self in _ACTION_PHASES


_ACTION_PHASES = frozenset({Phase.TRANSFERRING, Phase.PERMANENT, Phase.ELIMINATED})
ACTION_PHASES = tuple(p.value for p in _ACTION_PHASES)


class BindingTarget(enum.StrEnum):
    DOSSIER = "dossier"
    PLAN_NODE = "plan_node"
    DOCUMENT_TYPE = "document_type"


class SortDecision(enum.StrEnum):
    """An archivist's decision on a dossier whose final action is Sort (tri)."""

    KEEP = "keep"
    DESTROY = "destroy"


class NoDueDate(enum.StrEnum):
    """Why a closed dossier has no DUA end; stable codes shown by the API."""

    NO_APPRAISAL_RULE = "no_appraisal_rule"
    UNLIMITED = NoEndDate.UNLIMITED.value
    NO_DURATION = NoEndDate.NO_DURATION.value
    MISSING_START_DATE = NoEndDate.MISSING_START_DATE.value
    BEYOND_CALENDAR = NoEndDate.BEYOND_CALENDAR.value
    OPEN = "open"


# -- refusals ---------------------------------------------------------------------------------
class DossierOnHold(ConflictError):
    code = "dossier_on_hold"
    title = "Le dossier est gelé"


class WrongPhase(ConflictError):
    code = "wrong_phase"
    title = "Action impossible dans la phase actuelle du dossier"


class WrongFinalAction(ConflictError):
    code = "wrong_final_action"
    title = "Le sort final du dossier ne permet pas cette action"


class TransferNotVerified(ConflictError):
    code = "transfer_not_verified"
    title = "Réponse du service d'archives non vérifiée"


class JustificationRequired(InvalidError):
    code = "justification_required"


class InvalidBinding(InvalidError):
    code = "invalid_binding"


# -- bindings and effective rules -------------------------------------------------------------
@dataclass(frozen=True)
class Binding:
    organisation_id: str
    target: BindingTarget
    target_id: str
    category: RuleCategory
    rule_id: str
    justification: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class EffectiveRule:
    """A rule that applies to a dossier and where it comes from: ``source_id`` is the dossier,
    the plan node carrying the binding (``inherited`` when it is an ancestor of the dossier's
    node) or the document type."""

    rule: RetentionRule
    source: BindingTarget
    source_id: str
    inherited: bool = False
    justification: str = ""


def check_binding(target: BindingTarget, rule: RetentionRule, justification: str) -> None:
    if rule.category is RuleCategory.HOLD:
        message = "Une règle de gel se pose comme un gel (holds), pas comme un rattachement"
        issues = [Issue("hold_rule_binding", message, path="rule_id")]
        raise InvalidBinding("Rattachement refusé", issues=issues)
    if target is BindingTarget.DOSSIER and not justification.strip():
        message = "Une dérogation sur un dossier doit être justifiée"
        raise JustificationRequired(
            message, issues=[Issue("justification_required", message, path="justification")]
        )


def resolve_rules(
    rules: Mapping[str, RetentionRule],
    dossier_bindings: Iterable[Binding],
    plan_chain: Sequence[tuple[str, Sequence[Binding]]],
    type_bindings: Iterable[Binding],
) -> dict[RuleCategory, EffectiveRule]:
    """Effective rule per category: dossier override, else the nearest plan node (``plan_chain``
    goes from the dossier's node up to the root), else the most conservative document type."""
    found: dict[RuleCategory, EffectiveRule] = {}
    for b in dossier_bindings:
        if b.rule_id in rules:
            found[b.category] = EffectiveRule(
                rules[b.rule_id], b.target, b.target_id, justification=b.justification
            )
    for depth, (node_id, bindings) in enumerate(plan_chain):
        for b in bindings:
            if b.category not in found and b.rule_id in rules:
                found[b.category] = EffectiveRule(rules[b.rule_id], b.target, node_id, depth > 0)
    by_type: dict[RuleCategory, list[EffectiveRule]] = {}
    for b in type_bindings:
        if b.category not in found and b.rule_id in rules:
            by_type.setdefault(b.category, []).append(
                EffectiveRule(rules[b.rule_id], b.target, b.target_id)
            )
    for category, candidates in by_type.items():
        found[category] = max(candidates, key=lambda e: (_weight(e.rule), e.source_id))
    return found


_ACTION_WEIGHT = {FinalAction.DESTROY: 0, FinalAction.SORT: 1, FinalAction.KEEP: 2}


def _weight(rule: RetentionRule) -> tuple[int, int]:
    duration = rule.duration
    length = 10**9 if duration is None or duration.unlimited else duration.span_days()
    action = _ACTION_WEIGHT.get(rule.final_action, 1) if rule.final_action else 1
    return length, action


# -- facts, assessment, transitions -----------------------------------------------------------
def event_key(name: str) -> str:
    """A business event's name compared without case, accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


@dataclass(frozen=True)
class DossierEvent:
    """A business event recorded on a dossier (« date de la séance », « date du décès ») from
    which a rule naming it counts."""

    dossier_id: str
    name: str
    on: date
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class DossierFacts:
    """What the engine needs to know of a dossier."""

    dossier_id: str
    organisation_id: str
    service_id: str
    plan_node_id: str | None
    opened_on: date
    closed_on: date | None
    last_document_on: date | None = None
    events: Mapping[str, date] = field(default_factory=dict)  # event_key -> date
    document_types: frozenset[str] = frozenset()


def start_date(event: StartEvent | None, facts: DossierFacts) -> date | None:
    """What a rule counts from; a rule that does not say counts from the closing (Vitam's
    referential never says: the start date comes with each unit)."""
    if event is None or event.kind is StartEventKind.DOSSIER_CLOSING:
        return facts.closed_on
    if event.kind is StartEventKind.LAST_DOCUMENT:
        return facts.last_document_on if facts.closed_on else None
    return facts.events.get(event_key(event.name or ""))


def rule_deadline(rule: RetentionRule, facts: DossierFacts) -> Deadline:
    """When ``rule`` ends for the dossier. A rule with an alternative (L213-2, I, 4°: « ou 25
    ans à compter du décès si ce délai est plus bref ») ends at the earlier of the ends that can
    be computed; with only one of them known, at that one, which is never earlier than the true
    end: a dossier is never said communicable before the law allows."""
    end = deadline(start_date(rule.start_event, facts), rule.duration)
    alternative = rule.alternative
    if alternative is None:
        return end
    other = deadline(start_date(alternative.start_event, facts), alternative.duration)
    known = [d.date for d in (end, other) if d.date is not None]
    return Deadline(min(known)) if known else end


@dataclass(frozen=True)
class Assessment:
    """The phase a dossier's facts and rules give on a date, before holds are considered."""

    phase: Phase
    appraisal: EffectiveRule | None
    due_on: date | None
    no_due_reason: NoDueDate | None
    current_until: date | None = None

    @property
    def final_action(self) -> FinalAction | None:
        return self.appraisal.rule.final_action if self.appraisal else None


def assess(
    facts: DossierFacts, effective: Mapping[RuleCategory, EffectiveRule], as_of: date
) -> Assessment:
    appraisal = effective.get(RuleCategory.APPRAISAL)
    due_on, reason = _due(facts, appraisal)
    if facts.closed_on is None or facts.closed_on > as_of:
        return Assessment(Phase.CURRENT, appraisal, due_on, reason or NoDueDate.OPEN)
    current_until = _current_until(facts, effective.get(RuleCategory.STORAGE))
    if due_on is not None and due_on <= as_of:
        return Assessment(Phase.DUE, appraisal, due_on, None, current_until)
    if current_until is not None and as_of < current_until:
        return Assessment(Phase.CURRENT, appraisal, due_on, reason, current_until)
    return Assessment(Phase.INTERMEDIATE, appraisal, due_on, reason, current_until)


def _due(
    facts: DossierFacts, appraisal: EffectiveRule | None
) -> tuple[date | None, NoDueDate | None]:
    if appraisal is None:
        return None, NoDueDate.NO_APPRAISAL_RULE
    end = rule_deadline(appraisal.rule, facts)
    if end.date is not None:
        return end.date, None
    if facts.closed_on is None and end.reason is NoEndDate.MISSING_START_DATE:
        return None, NoDueDate.OPEN
    return None, NoDueDate((end.reason or NoEndDate.NO_DURATION).value)


def _current_until(facts: DossierFacts, storage: EffectiveRule | None) -> date | None:
    return None if storage is None else rule_deadline(storage.rule, facts).date


@dataclass(frozen=True)
class LifecycleState:
    """What the engine recorded for a dossier: every decision names the rule version used."""

    dossier_id: str
    organisation_id: str
    service_id: str
    phase: Phase
    since: date
    rule_id: str | None = None
    rule_version: int | None = None
    final_action: FinalAction | None = None
    due_on: date | None = None
    no_due_reason: NoDueDate | None = None
    sort_decision: SortDecision | None = None
    sorted_by: str | None = None
    transfer_reference: str | None = None
    transfer_verified: bool = False

    @property
    def resolved_action(self) -> FinalAction | None:
        """Keep or Destroy once a Sort has been decided; the rule's action otherwise."""
        if self.final_action is FinalAction.SORT and self.sort_decision is not None:
            return FinalAction(self.sort_decision.value.capitalize())
        return self.final_action


def next_state(
    previous: LifecycleState | None,
    facts: DossierFacts,
    assessment: Assessment,
    held: bool,
    as_of: date,
) -> LifecycleState:
    """The state to record after an engine pass. Action phases are left alone; a held dossier
    keeps its phase (and the rule it was assessed with) until the hold ends."""
    if previous is not None and (previous.phase.reached_by_action or held):
        return previous
    rule = assessment.appraisal.rule if assessment.appraisal else None
    keep_sort = previous is not None and rule is not None and previous.rule_id == rule.identifier
    phase = assessment.phase
    changed = previous is None or previous.phase is not phase
    return LifecycleState(
        dossier_id=facts.dossier_id,
        organisation_id=facts.organisation_id,
        service_id=facts.service_id,
        phase=phase,
        since=as_of if changed or previous is None else previous.since,
        rule_id=rule.identifier if rule else None,
        rule_version=rule.version if rule else None,
        final_action=rule.final_action if rule else None,
        due_on=assessment.due_on,
        no_due_reason=assessment.no_due_reason,
        sort_decision=previous.sort_decision if keep_sort and previous else None,
        sorted_by=previous.sorted_by if keep_sort and previous else None,
    )


# -- holds ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Hold:
    """A legal hold (gel) on a dossier: from a HoldRule (its version recorded) or manual."""

    id: str
    organisation_id: str
    dossier_id: str
    reason: str
    placed_by: str
    placed_at: datetime
    starts_on: date
    ends_on: date | None = None
    rule_id: str | None = None
    rule_version: int | None = None
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str = ""

    def active_on(self, day: date) -> bool:
        if self.lifted_at is not None or day < self.starts_on:
            return False
        return self.ends_on is None or day < self.ends_on


def hold_end(rule: RetentionRule | None, starts_on: date, ends_on: date | None) -> date | None:
    """The end of a hold: the HoldRule's duration counted from its start, or the date given;
    both at once are contradictory."""
    if rule is None:
        if ends_on is not None and ends_on <= starts_on:
            raise _invalid_hold("hold_ends_before_start", "La fin du gel précède son début")
        return ends_on
    if rule.category is not RuleCategory.HOLD:
        raise _invalid_hold("not_a_hold_rule", f"La règle {rule.identifier} n'est pas un gel")
    if ends_on is not None:
        raise _invalid_hold("end_and_rule", "Une règle de gel fixe déjà la fin du gel")
    return deadline(starts_on, rule.duration).date


def _invalid_hold(code: str, message: str) -> InvalidError:
    return InvalidError(message, issues=[Issue(code, message)])


def require_reason(reason: str, what: str, path: str = "reason") -> None:
    """``path`` names the field that carries the reason (``reason``, or ``note`` for a visa)."""
    if not reason.strip():
        message = f"{what} : un motif est obligatoire"
        raise InvalidError(message, issues=[Issue("reason_required", message, path=path)])


# -- guards of the actions --------------------------------------------------------------------
def ensure_not_held(state: LifecycleState, held: bool) -> None:
    if held:
        raise DossierOnHold(f"Le dossier {state.dossier_id} est gelé : aucune action de sort")


def ensure_can_sort(state: LifecycleState) -> None:
    if state.phase is not Phase.DUE:
        raise WrongPhase(f"Seul un dossier échu se trie (phase actuelle : {state.phase})")
    if state.final_action is not FinalAction.SORT:
        raise WrongFinalAction(f"Le sort final du dossier est {state.final_action}, pas le tri")


def ensure_can_transfer(state: LifecycleState, held: bool) -> None:
    ensure_not_held(state, held)
    if state.phase is not Phase.DUE:
        raise WrongPhase(f"Seul un dossier échu se verse (phase actuelle : {state.phase})")
    if state.resolved_action is not FinalAction.KEEP:
        raise WrongFinalAction(f"Sort final {state.resolved_action} : pas de versement")


def ensure_transferring(state: LifecycleState) -> None:
    if state.phase is not Phase.TRANSFERRING:
        raise WrongPhase(f"Aucun versement en cours (phase actuelle : {state.phase})")


def ensure_can_purge(state: LifecycleState, held: bool) -> None:
    ensure_not_held(state, held)
    if state.phase is not Phase.PERMANENT:
        raise WrongPhase("Seul un dossier versé et accepté peut être purgé")
    if not state.transfer_verified:
        raise TransferNotVerified("L'acceptation du versement n'a pas été vérifiée")


class EliminationBlocker(enum.StrEnum):
    """Why an item of an approved proposal is not eliminated; stable codes."""

    HELD = "held"
    NOT_DUE = "not_due"
    NOT_DESTROY = "not_destroy"
    RULE_CHANGED = "rule_changed"


def elimination_blocker(
    state: LifecycleState | None, held: bool, rule_id: str | None, rule_version: int | None
) -> EliminationBlocker | None:
    """None when the dossier may be eliminated under the visa given for ``rule_id`` at
    ``rule_version``; the hold is checked first: a hold always wins."""
    if held:
        return EliminationBlocker.HELD
    if state is None or state.phase is not Phase.DUE:
        return EliminationBlocker.NOT_DUE
    if state.resolved_action is not FinalAction.DESTROY:
        return EliminationBlocker.NOT_DESTROY
    if (state.rule_id, state.rule_version) != (rule_id, rule_version):
        return EliminationBlocker.RULE_CHANGED
    return None


# -- eliminations -----------------------------------------------------------------------------
class ProposalStatus(enum.StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTED = "executed"


class ItemStatus(enum.StrEnum):
    PENDING = "pending"
    ELIMINATED = "eliminated"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class EliminationProposal:
    id: str
    organisation_id: str
    status: ProposalStatus
    created_by: str
    created_at: datetime
    as_of: date
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str = ""
    executed_by: str | None = None
    executed_at: datetime | None = None


@dataclass(frozen=True)
class ProposalItem:
    proposal_id: str
    dossier_id: str
    service_id: str
    title: str
    reference: str
    rule_id: str
    rule_version: int
    final_action: FinalAction
    due_on: date | None
    status: ItemStatus = ItemStatus.PENDING
    outcome: str = ""


@dataclass(frozen=True)
class Tombstone:
    """What stays of a dossier whose content was removed: identifiers, digests, the rule and
    its version, the visa and the dates."""

    dossier_id: str
    organisation_id: str
    kind: str  # eliminated | transferred
    title: str
    reference: str
    service_id: str
    rule_id: str | None
    rule_version: int | None
    proposal_id: str | None
    approved_by: str | None
    approved_at: datetime | None
    removed_by: str
    removed_at: datetime
    documents: list[dict[str, Any]]
    digests: list[str]


# -- forecast ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ForecastRow:
    month: str  # YYYY-MM
    final_action: str  # Keep | Destroy | Sort | none
    service_id: str
    count: int
    held: int


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def forecast(
    entries: Iterable[tuple[str, date, FinalAction | None, bool]], as_of: date, months: int
) -> list[ForecastRow]:
    """(service, due date, action, held) → rows for what becomes due after ``as_of`` and up to
    ``months`` months later, by month of the due date, action and service."""
    if months < 1 or months > 1200:
        message = "Le nombre de mois doit être compris entre 1 et 1200"
        raise InvalidError(message, issues=[Issue("bad_months", message, path="months")])
    end = add_months(as_of, months)
    buckets: dict[tuple[str, str, str], list[int]] = {}
    for service_id, due_on, action, held in entries:
        if as_of < due_on <= end:
            key = (due_on.strftime("%Y-%m"), action.value if action else "none", service_id)
            counts = buckets.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += held
    return [ForecastRow(m, a, s, c[0], c[1]) for (m, a, s), c in sorted(buckets.items())]


def with_phase(state: LifecycleState, phase: Phase, on: date, **changes: object) -> LifecycleState:
    return replace(state, phase=phase, since=on, **changes)  # type: ignore[arg-type]
