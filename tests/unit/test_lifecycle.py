"""The lifecycle domain: every phase transition, holds, rule resolution and every refusal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from ged.domain.lifecycle import (
    Binding,
    BindingTarget,
    DossierFacts,
    DossierOnHold,
    EffectiveRule,
    EliminationBlocker,
    Hold,
    InvalidBinding,
    JustificationRequired,
    LifecycleState,
    NoDueDate,
    Phase,
    SortDecision,
    TransferNotVerified,
    WrongFinalAction,
    WrongPhase,
    add_months,
    assess,
    check_binding,
    elimination_blocker,
    ensure_can_purge,
    ensure_can_sort,
    ensure_can_transfer,
    ensure_transferring,
    event_key,
    forecast,
    hold_end,
    next_state,
    require_reason,
    resolve_rules,
    with_phase,
)
from ged.domain.retention import FinalAction, RetentionRule, StartEvent
from kernel.errors import InvalidError
from kernel.retention import Duration, RuleCategory

AT = datetime(2026, 1, 1, tzinfo=UTC)


def appraisal(
    identifier: str = "R1",
    years: int = 5,
    action: FinalAction = FinalAction.DESTROY,
    start: StartEvent | None = None,
    version: int = 1,
    unlimited: bool = False,
) -> RetentionRule:
    duration = Duration.unlimited_duration() if unlimited else Duration(years=years)
    return RetentionRule(
        identifier, RuleCategory.APPRAISAL, identifier, duration, start, action, version=version
    )


def storage(years: int) -> RetentionRule:
    return RetentionRule("S1", RuleCategory.STORAGE, "DUC", Duration(years=years))


def facts(closed_on: date | None = date(2020, 12, 31), **kw: object) -> DossierFacts:
    values: dict[str, object] = {
        "dossier_id": "d1",
        "organisation_id": "o",
        "service_id": "s",
        "plan_node_id": None,
        "opened_on": date(2020, 1, 1),
        "closed_on": closed_on,
        **kw,
    }
    return DossierFacts(**values)  # type: ignore[arg-type]


def effective(*rules: RetentionRule) -> dict[RuleCategory, EffectiveRule]:
    return {r.category: EffectiveRule(r, BindingTarget.PLAN_NODE, "n1") for r in rules}


def state(
    phase: Phase, action: FinalAction | None = FinalAction.DESTROY, **kw: object
) -> LifecycleState:
    values: dict[str, object] = {
        "dossier_id": "d1",
        "organisation_id": "o",
        "service_id": "s",
        "phase": phase,
        "since": date(2023, 1, 1),
        "rule_id": "R1",
        "rule_version": 1,
        "final_action": action,
        **kw,
    }
    return LifecycleState(**values)  # type: ignore[arg-type]


def binding(target: BindingTarget, target_id: str, rule_id: str) -> Binding:
    return Binding("o", target, target_id, RuleCategory.APPRAISAL, rule_id, "", AT, "u")


# -- phases computed by the engine ------------------------------------------------------------
def test_open_dossier_is_current() -> None:
    got = assess(facts(closed_on=None), effective(appraisal()), date(2050, 1, 1))
    assert got.phase is Phase.CURRENT and got.no_due_reason is NoDueDate.OPEN


def test_dossier_closed_after_as_of_is_still_current() -> None:
    got = assess(facts(closed_on=date(2030, 1, 1)), effective(appraisal()), date(2025, 1, 1))
    assert got.phase is Phase.CURRENT


def test_closed_dossier_within_its_active_period_is_current() -> None:
    rules = effective(appraisal(years=10), storage(2))
    assert assess(facts(), rules, date(2022, 12, 30)).phase is Phase.CURRENT
    assert assess(facts(), rules, date(2022, 12, 31)).phase is Phase.INTERMEDIATE


def test_closed_dossier_is_intermediate_while_its_dua_runs_then_due() -> None:
    rules = effective(appraisal(years=5))
    assert assess(facts(), rules, date(2025, 12, 30)).phase is Phase.INTERMEDIATE
    due = assess(facts(), rules, date(2025, 12, 31))
    assert due.phase is Phase.DUE and due.due_on == date(2025, 12, 31)
    assert due.final_action is FinalAction.DESTROY


def test_unlimited_dua_never_becomes_due() -> None:
    got = assess(facts(), effective(appraisal(unlimited=True)), date(2999, 1, 1))
    assert got.phase is Phase.INTERMEDIATE and got.no_due_reason is NoDueDate.UNLIMITED


def test_without_appraisal_rule_a_closed_dossier_stays_intermediate() -> None:
    got = assess(facts(), {}, date(2999, 1, 1))
    assert got.phase is Phase.INTERMEDIATE and got.no_due_reason is NoDueDate.NO_APPRAISAL_RULE


def test_missing_business_event_leaves_no_due_date() -> None:
    rule = appraisal(start=StartEvent.business_event("date de la séance"))
    got = assess(facts(), effective(rule), date(2999, 1, 1))
    assert got.phase is Phase.INTERMEDIATE and got.no_due_reason is NoDueDate.MISSING_START_DATE
    dated = facts(events={event_key("Date de la SEANCE"): date(2019, 3, 1)})
    assert assess(dated, effective(rule), date(2024, 3, 1)).phase is Phase.DUE


def test_last_document_counts_only_once_closed() -> None:
    rule = appraisal(years=1, start=StartEvent.last_document())
    late = facts(last_document_on=date(2021, 6, 30))
    assert assess(late, effective(rule), date(2022, 6, 29)).phase is Phase.INTERMEDIATE
    assert assess(late, effective(rule), date(2022, 6, 30)).phase is Phase.DUE
    open_dossier = facts(closed_on=None, last_document_on=date(2021, 6, 30))
    assert assess(open_dossier, effective(rule), date(2030, 1, 1)).due_on is None


def test_leap_day_closing_ends_on_february_28() -> None:
    got = assess(
        facts(closed_on=date(2024, 2, 29)), effective(appraisal(years=1)), date(2025, 3, 1)
    )
    assert got.due_on == date(2025, 2, 28)


# -- transitions recorded by the engine -------------------------------------------------------
def test_first_evaluation_records_the_rule_version() -> None:
    got = assess(facts(), effective(appraisal(version=3)), date(2021, 1, 1))
    recorded = next_state(None, facts(), got, held=False, as_of=date(2021, 1, 1))
    assert (recorded.phase, recorded.rule_id, recorded.rule_version) == (
        Phase.INTERMEDIATE,
        "R1",
        3,
    )
    assert recorded.since == date(2021, 1, 1)


def test_unchanged_phase_keeps_its_since_date() -> None:
    first = next_state(
        None,
        facts(),
        assess(facts(), effective(appraisal()), date(2021, 1, 1)),
        False,
        date(2021, 1, 1),
    )
    again = next_state(
        first,
        facts(),
        assess(facts(), effective(appraisal()), date(2022, 1, 1)),
        False,
        date(2022, 1, 1),
    )
    assert again == first


def test_held_dossier_never_leaves_its_phase() -> None:
    before = state(Phase.INTERMEDIATE)
    due = assess(facts(), effective(appraisal()), date(2030, 1, 1))
    assert due.phase is Phase.DUE
    assert next_state(before, facts(), due, held=True, as_of=date(2030, 1, 1)) is before
    assert next_state(before, facts(), due, held=False, as_of=date(2030, 1, 1)).phase is Phase.DUE


@pytest.mark.parametrize("phase", [Phase.TRANSFERRING, Phase.PERMANENT, Phase.ELIMINATED])
def test_action_phases_are_never_recomputed(phase: Phase) -> None:
    before = state(phase)
    current = assess(facts(closed_on=None), effective(appraisal()), date(2030, 1, 1))
    assert next_state(before, facts(), current, held=False, as_of=date(2030, 1, 1)) is before


def test_due_goes_back_to_intermediate_when_the_rule_is_lengthened() -> None:
    before = state(Phase.DUE)
    longer = assess(facts(), effective(appraisal(years=50, version=2)), date(2030, 1, 1))
    after = next_state(before, facts(), longer, held=False, as_of=date(2030, 1, 1))
    assert after.phase is Phase.INTERMEDIATE and after.rule_version == 2


def test_sort_decision_survives_a_recomputation_of_the_same_rule_only() -> None:
    sorted_state = state(Phase.DUE, FinalAction.SORT, sort_decision=SortDecision.DESTROY)
    same = assess(facts(), effective(appraisal(action=FinalAction.SORT)), date(2030, 1, 1))
    kept = next_state(sorted_state, facts(), same, held=False, as_of=date(2030, 1, 1))
    assert kept.sort_decision is SortDecision.DESTROY
    assert kept.resolved_action is FinalAction.DESTROY
    other = assess(facts(), effective(appraisal("R2", action=FinalAction.SORT)), date(2030, 1, 1))
    assert next_state(sorted_state, facts(), other, False, date(2030, 1, 1)).sort_decision is None


# -- rule resolution --------------------------------------------------------------------------
def test_dossier_override_beats_plan_which_beats_document_type() -> None:
    rules = {r.identifier: r for r in (appraisal("P"), appraisal("D"), appraisal("T"))}
    chain = [("child", []), ("root", [binding(BindingTarget.PLAN_NODE, "root", "P")])]
    types = [binding(BindingTarget.DOCUMENT_TYPE, "facture", "T")]
    inherited = resolve_rules(rules, [], chain, types)[RuleCategory.APPRAISAL]
    assert (inherited.rule.identifier, inherited.source_id, inherited.inherited) == (
        "P",
        "root",
        True,
    )
    override = resolve_rules(rules, [binding(BindingTarget.DOSSIER, "d1", "D")], chain, types)
    assert override[RuleCategory.APPRAISAL].source is BindingTarget.DOSSIER
    only_type = resolve_rules(rules, [], [], types)[RuleCategory.APPRAISAL]
    assert only_type.source is BindingTarget.DOCUMENT_TYPE


def test_nearest_plan_node_wins() -> None:
    rules = {r.identifier: r for r in (appraisal("NEAR"), appraisal("FAR"))}
    chain = [
        ("child", [binding(BindingTarget.PLAN_NODE, "child", "NEAR")]),
        ("root", [binding(BindingTarget.PLAN_NODE, "root", "FAR")]),
    ]
    got = resolve_rules(rules, [], chain, [])[RuleCategory.APPRAISAL]
    assert got.rule.identifier == "NEAR" and not got.inherited


def test_most_conservative_document_type_wins() -> None:
    rules = {
        r.identifier: r
        for r in (
            appraisal("SHORT", years=2),
            appraisal("LONG_D", years=10),
            appraisal("LONG_K", years=10, action=FinalAction.KEEP),
        )
    }
    types = [binding(BindingTarget.DOCUMENT_TYPE, t, t) for t in ("SHORT", "LONG_D", "LONG_K")]
    assert resolve_rules(rules, [], [], types)[RuleCategory.APPRAISAL].rule.identifier == "LONG_K"


def test_binding_to_a_missing_rule_is_ignored() -> None:
    assert resolve_rules({}, [binding(BindingTarget.DOSSIER, "d1", "GONE")], [], []) == {}


# -- refusals ---------------------------------------------------------------------------------
def test_dossier_override_requires_a_justification() -> None:
    with pytest.raises(JustificationRequired):
        check_binding(BindingTarget.DOSSIER, appraisal(), "  ")
    check_binding(BindingTarget.DOSSIER, appraisal(), "contentieux en cours")
    check_binding(BindingTarget.PLAN_NODE, appraisal(), "")


def test_hold_rules_are_not_bound() -> None:
    hold = RetentionRule("H", RuleCategory.HOLD, "gel", None)
    with pytest.raises(InvalidBinding):
        check_binding(BindingTarget.PLAN_NODE, hold, "")


def test_hold_end_from_rule_date_or_nothing() -> None:
    one_year = RetentionRule("H", RuleCategory.HOLD, "gel", Duration(years=1))
    assert hold_end(one_year, date(2024, 2, 29), None) == date(2025, 2, 28)
    assert (
        hold_end(RetentionRule("H", RuleCategory.HOLD, "gel", None), date(2024, 1, 1), None) is None
    )
    assert hold_end(None, date(2024, 1, 1), date(2024, 6, 1)) == date(2024, 6, 1)
    for rule, end, code in [
        (one_year, date(2026, 1, 1), "end_and_rule"),
        (appraisal(), None, "not_a_hold_rule"),
        (None, date(2023, 1, 1), "hold_ends_before_start"),
    ]:
        with pytest.raises(InvalidError) as refused:
            hold_end(rule, date(2024, 1, 1), end)
        assert refused.value.issues[0].code == code


def test_hold_is_active_between_its_start_and_end_unless_lifted() -> None:
    hold = Hold("h", "o", "d1", "enquête", "u", AT, date(2024, 1, 1), date(2025, 1, 1))
    assert not hold.active_on(date(2023, 12, 31))
    assert hold.active_on(date(2024, 1, 1)) and hold.active_on(date(2024, 12, 31))
    assert not hold.active_on(date(2025, 1, 1))
    assert not replace(hold, lifted_at=AT).active_on(date(2024, 6, 1))


def test_reason_is_required() -> None:
    with pytest.raises(InvalidError):
        require_reason(" ", "Gel")


def test_sort_refusals() -> None:
    with pytest.raises(WrongPhase):
        ensure_can_sort(state(Phase.INTERMEDIATE, FinalAction.SORT))
    with pytest.raises(WrongFinalAction):
        ensure_can_sort(state(Phase.DUE, FinalAction.DESTROY))
    ensure_can_sort(state(Phase.DUE, FinalAction.SORT))


def test_transfer_refusals() -> None:
    with pytest.raises(DossierOnHold):
        ensure_can_transfer(state(Phase.DUE, FinalAction.KEEP), held=True)
    with pytest.raises(WrongPhase):
        ensure_can_transfer(state(Phase.INTERMEDIATE, FinalAction.KEEP), held=False)
    with pytest.raises(WrongFinalAction):
        ensure_can_transfer(state(Phase.DUE, FinalAction.DESTROY), held=False)
    with pytest.raises(WrongFinalAction):  # a Sort must be decided first
        ensure_can_transfer(state(Phase.DUE, FinalAction.SORT), held=False)
    ensure_can_transfer(state(Phase.DUE, FinalAction.KEEP), held=False)
    decided = state(Phase.DUE, FinalAction.SORT, sort_decision=SortDecision.KEEP)
    ensure_can_transfer(decided, held=False)
    with pytest.raises(WrongPhase):
        ensure_transferring(state(Phase.DUE))
    ensure_transferring(state(Phase.TRANSFERRING))


def test_purge_refusals() -> None:
    verified = state(Phase.PERMANENT, FinalAction.KEEP, transfer_verified=True)
    with pytest.raises(DossierOnHold):
        ensure_can_purge(verified, held=True)
    with pytest.raises(WrongPhase):
        ensure_can_purge(state(Phase.TRANSFERRING, transfer_verified=True), held=False)
    with pytest.raises(TransferNotVerified):
        ensure_can_purge(replace(verified, transfer_verified=False), held=False)
    ensure_can_purge(verified, held=False)


def test_elimination_blockers_with_the_hold_first() -> None:
    due = state(Phase.DUE)
    assert elimination_blocker(due, False, "R1", 1) is None
    assert elimination_blocker(due, True, "R1", 1) is EliminationBlocker.HELD
    assert elimination_blocker(state(Phase.INTERMEDIATE), True, "R1", 1) is EliminationBlocker.HELD
    assert elimination_blocker(None, False, "R1", 1) is EliminationBlocker.NOT_DUE
    assert (
        elimination_blocker(state(Phase.ELIMINATED), False, "R1", 1) is EliminationBlocker.NOT_DUE
    )
    keep = state(Phase.DUE, FinalAction.KEEP)
    assert elimination_blocker(keep, False, "R1", 1) is EliminationBlocker.NOT_DESTROY
    assert elimination_blocker(due, False, "R1", 2) is EliminationBlocker.RULE_CHANGED
    sorted_out = state(Phase.DUE, FinalAction.SORT, sort_decision=SortDecision.DESTROY)
    assert elimination_blocker(sorted_out, False, "R1", 1) is None


def test_with_phase_stamps_the_date() -> None:
    moved = with_phase(state(Phase.DUE, FinalAction.KEEP), Phase.TRANSFERRING, date(2031, 5, 1))
    assert (moved.phase, moved.since) == (Phase.TRANSFERRING, date(2031, 5, 1))


# -- forecast ---------------------------------------------------------------------------------
def test_forecast_buckets_by_month_action_and_service() -> None:
    entries = [
        ("s1", date(2026, 2, 1), FinalAction.DESTROY, False),
        ("s1", date(2026, 2, 28), FinalAction.DESTROY, True),
        ("s2", date(2026, 2, 10), FinalAction.KEEP, False),
        ("s1", date(2026, 1, 15), FinalAction.DESTROY, False),  # due on as_of: already due
        ("s1", date(2026, 3, 16), None, False),  # beyond the window
    ]
    rows = forecast(entries, date(2026, 1, 15), 2)
    assert [(r.month, r.final_action, r.service_id, r.count, r.held) for r in rows] == [
        ("2026-02", "Destroy", "s1", 2, 1),
        ("2026-02", "Keep", "s2", 1, 0),
    ]
    assert forecast(entries, date(2026, 1, 15), 3)[-1].final_action == "none"


def test_forecast_refuses_a_silly_horizon() -> None:
    with pytest.raises(InvalidError):
        forecast([], date(2026, 1, 1), 0)


def test_add_months_clamps_month_ends() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 12, 31), 14) == date(2026, 2, 28)
