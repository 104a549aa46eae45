"""The Management of a dossier's unit (ged.services.transfer_rules): holds (SEDA 2.2+), the
categories a bordereau cannot carry, « tri », and the agreement's identifiers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ged.domain.lifecycle import (
    BindingTarget,
    DossierFacts,
    EffectiveRule,
    Hold,
    LifecycleState,
    Phase,
    SortDecision,
    assess,
)
from ged.domain.retention import FinalAction, RetentionRule, StartEvent
from ged.services.lifecycle import Evaluated
from ged.services.transfer_rule_map import (
    RuleMap,
    RuleNotMapped,
    RuleProblems,
    RulesNotTransferable,
)
from ged.services.transfer_rules import dossier_management
from kernel.retention import Duration, RuleCategory
from seda import model as m
from seda.versions import AnyVersion, SedaVersion

DAY = date(2026, 1, 15)
FACTS = DossierFacts("D1", "O", "S", "N", date(2000, 1, 1), date(2005, 6, 30))
KEEP = RetentionRule(
    "AG-01", RuleCategory.APPRAISAL, "Délibérations", Duration(years=10),
    StartEvent.dossier_closing(), FinalAction.KEEP,
)  # fmt: skip
SORT = RetentionRule(
    "AG-05", RuleCategory.APPRAISAL, "Préparation", Duration(years=5), None, FinalAction.SORT
)
HOLD_RULE = RetentionRule("GEL-01", RuleCategory.HOLD, "Contentieux", None)


def evaluated(
    *rules: RetentionRule,
    holds: tuple[Hold, ...] = (),
    state: LifecycleState | None = None,
    facts: DossierFacts = FACTS,
) -> Evaluated:
    effective = {r.category: EffectiveRule(r, BindingTarget.PLAN_NODE, "N") for r in rules}
    active = [h for h in holds if h.active_on(DAY)]
    return Evaluated(
        facts, effective, assess(facts, effective, DAY), active, bool(active), state, holds
    )


def hold(
    rule_id: str | None, starts_on: date = date(2026, 3, 1), ends_on: date | None = None
) -> Hold:
    at = datetime(2026, 1, 10, tzinfo=UTC)
    return Hold(
        "H1", "O", "D1", "recours", "alice", at, starts_on, ends_on, rule_id, 1 if rule_id else None
    )


def management(
    ev: Evaluated, version: AnyVersion = SedaVersion.V2_2, rules: RuleMap | None = None
) -> m.Management:
    problems = RuleProblems([])
    found = dossier_management(ev, DAY, version, rules or RuleMap(), problems)
    problems.raise_if_any("GEDSAE-1")
    return found


def refusal(
    ev: Evaluated, version: AnyVersion = SedaVersion.V2_2, rules: RuleMap | None = None
) -> list[tuple[str, str | None]]:
    with pytest.raises((RuleNotMapped, RulesNotTransferable)) as caught:
        management(ev, version, rules)
    return [(i.code, i.path) for i in caught.value.issues]


def test_an_appraisal_rule_carries_its_start_date_and_final_action() -> None:
    found = management(evaluated(KEEP))
    assert found.appraisal == m.AppraisalRule(
        (m.Rule("AG-01", date(2005, 6, 30)),), final_action="Keep"
    )


@pytest.mark.parametrize("version", [SedaVersion.V2_2, SedaVersion.V2_3])
def test_a_hold_to_come_is_a_hold_rule_from_seda_2_2(version: SedaVersion) -> None:
    found = management(evaluated(KEEP, holds=(hold("GEL-01", ends_on=date(2027, 3, 1)),)), version)
    assert found.hold == m.HoldRule(
        (
            m.HoldRuleItem(
                "GEL-01", date(2026, 3, 1), hold_end_date=date(2027, 3, 1), hold_reason="recours"
            ),
        )
    )


def test_a_hold_is_refused_in_seda_2_1_rather_than_lost() -> None:
    assert refusal(evaluated(KEEP, holds=(hold("GEL-01"),)), SedaVersion.V2_1) == [
        ("hold_needs_seda_2_2", "D1")
    ]


def test_a_hold_placed_without_a_rule_is_refused_naming_it() -> None:
    assert refusal(evaluated(KEEP, holds=(hold(None),))) == [("hold_without_rule", "H1")]


def test_an_ended_hold_is_history_not_a_rule() -> None:
    ended = hold("GEL-01", starts_on=date(2020, 1, 1), ends_on=date(2021, 1, 1))
    assert management(evaluated(KEEP, holds=(ended,))).hold is None


def test_tri_carries_the_archivists_decision() -> None:
    state = LifecycleState(
        "D1",
        "O",
        "S",
        Phase.DUE,
        DAY,
        "AG-05",
        1,
        FinalAction.SORT,
        sort_decision=SortDecision.KEEP,
    )
    found = management(evaluated(SORT, state=state))
    assert found.appraisal is not None and found.appraisal.final_action == "Keep"


def test_an_undecided_tri_stops_the_transfer() -> None:
    assert refusal(evaluated(SORT)) == [("sort_undecided", "D1")]


def test_storage_dissemination_and_reuse_rules_are_written_where_bound() -> None:
    storage = RetentionRule(
        "STO-1", RuleCategory.STORAGE, "Courant", Duration(years=2), None, FinalAction.COPY
    )
    dissemination = RetentionRule(
        "DIF-1", RuleCategory.DISSEMINATION, "Diffusion", Duration(years=1)
    )
    reuse = RetentionRule("REU-1", RuleCategory.REUSE, "Réutilisation", Duration(years=3))
    found = management(evaluated(KEEP, storage, dissemination, reuse))
    assert found.storage == m.StorageRule(
        (m.Rule("STO-1", date(2005, 6, 30)),), final_action="Copy"
    )
    assert found.dissemination == m.DisseminationRule((m.Rule("DIF-1", date(2005, 6, 30)),))
    assert found.reuse == m.ReuseRule((m.Rule("REU-1", date(2005, 6, 30)),))


def test_what_the_bordereau_cannot_carry_is_refused_not_dropped() -> None:
    storage = RetentionRule("STO-1", RuleCategory.STORAGE, "Courant", Duration(years=2))
    secret = RetentionRule("CLA-1", RuleCategory.CLASSIFICATION, "Secret", Duration(years=50))
    assert refusal(evaluated(KEEP, storage, secret)) == [
        ("classification_unsupported", "CLA-1"),
        ("storage_final_action_missing", "STO-1"),
    ]


def test_the_agreement_gives_the_repositorys_identifiers_and_every_rule_needs_one() -> None:
    access = RetentionRule("AG-01-ACC", RuleCategory.ACCESS, "Délibérations", Duration())
    mapped = management(
        evaluated(KEEP, access), rules=RuleMap({"AG-01": "APP-7", "AG-01-ACC": "ACC-1"})
    )
    assert mapped.appraisal is not None and mapped.appraisal.rules[0].rule_id == "APP-7"
    assert mapped.access is not None and mapped.access.rules[0].rule_id == "ACC-1"
    issues = refusal(evaluated(KEEP, access), rules=RuleMap({"AG-01": "APP-7"}))
    assert issues == [("rule_unmapped", "AG-01-ACC")]
