"""A dossier's rules in a SEDA 1.0 bordereau (ged.services.rules_v1 through
ged.services.transfer_rules): the access rule as its AR code with the date its period counts
from (the death once known, for the « 25 ans à compter du décès si ce délai est plus bref »
alternative), the appraisal rule under our code with its start date and duration; what 1.0
cannot carry or lacks is refused, naming the dossier and the rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from ged.domain.communicability import DEATH_EVENT, parse_access_period
from ged.domain.lifecycle import event_key
from ged.domain.retention import RetentionRule
from ged.services.rules_v1 import durations
from ged.services.transfer_rule_map import RuleMap, RuleProblems
from kernel.retention import Duration, RuleCategory
from seda import model as m
from seda.versions import SEDA_1_0
from tests.unit.test_transfer_rules import FACTS, KEEP, evaluated, management, refusal

CLOSED = FACTS.closed_on
DEATH = date(2011, 4, 2)


def access(wording: str, reference: str = "", identifier: str = "EC-01-ACC") -> RetentionRule:
    period = parse_access_period(wording)
    return RetentionRule(
        identifier, RuleCategory.ACCESS, "Registres", period.duration, period.start,
        legal_reference=reference, alternative=period.alternative,
    )  # fmt: skip


CIVIL = access(
    "75 ans à compter de la clôture du dossier, ou 25 ans à compter du décès si ce délai est "
    "plus bref",
    "Code du patrimoine, art. L213-2 I 4° e",
)
WITH_DEATH = replace(FACTS, events={event_key(DEATH_EVENT): DEATH})
LAST_DOCUMENT = date(2005, 5, 12)
DOCUMENTED = replace(FACTS, last_document_on=LAST_DOCUMENT)


def test_an_access_period_is_its_ar_code_counted_from_the_closing() -> None:
    found = management(evaluated(KEEP, CIVIL), SEDA_1_0)
    assert found.access == m.AccessRule((m.Rule("AR054", CLOSED),))


def test_once_the_death_is_known_the_shorter_alternative_is_its_code_from_the_death() -> None:
    found = management(evaluated(KEEP, CIVIL, facts=WITH_DEATH), SEDA_1_0)
    assert found.access == m.AccessRule((m.Rule("AR044", DEATH),))


def test_a_period_from_a_death_not_recorded_is_refused_since_1_0_needs_a_start_date() -> None:
    medical = access("25 ans après le décès", "Code du patrimoine, art. L213-2 I 2°")
    assert refusal(evaluated(KEEP, medical), SEDA_1_0) == [("start_date_unknown", "D1/EC-01-ACC")]
    found = management(evaluated(KEEP, medical, facts=WITH_DEATH), SEDA_1_0)
    assert found.access == m.AccessRule((m.Rule("AR043", DEATH),))


def test_the_agreements_table_chooses_the_code_where_the_period_does_not() -> None:
    private_life = access("délai de 50 ans")
    assert refusal(evaluated(KEEP, private_life, facts=DOCUMENTED), SEDA_1_0) == [
        ("access_code_unknown", "EC-01-ACC")
    ]
    table = RuleMap({"EC-01-ACC": "AR048"})
    chosen = management(evaluated(KEEP, private_life, facts=DOCUMENTED), SEDA_1_0, table)
    assert chosen.access == m.AccessRule((m.Rule("AR048", LAST_DOCUMENT),))


def test_the_appraisal_rule_keeps_our_code_its_start_date_and_final_action() -> None:
    free = access("communicable immédiatement")
    found = management(evaluated(KEEP, free, facts=DOCUMENTED), SEDA_1_0)
    assert found.access == m.AccessRule((m.Rule("AR038", LAST_DOCUMENT),))
    assert found.appraisal == m.AppraisalRule((m.Rule("AG-01", CLOSED),), final_action="Keep")
    problems = RuleProblems([])
    assert durations([KEEP, CIVIL], problems).appraisal == {"AG-01": "P10Y"}
    assert problems.issues == []


def test_an_unlimited_appraisal_duration_has_no_1_0_equivalent() -> None:
    forever = replace(KEEP, duration=Duration.unlimited_duration())
    problems = RuleProblems([])
    assert durations([forever], problems).appraisal == {}
    assert [(i.code, i.path) for i in problems.issues] == [("duration_not_representable", "AG-01")]


def test_a_dossier_without_an_access_rule_is_refused_in_1_0() -> None:
    assert refusal(evaluated(KEEP), SEDA_1_0) == [("seda1_access_rule_missing", "D1")]


def test_seda_1_0_carries_only_the_appraisal_and_access_rules() -> None:
    reuse = RetentionRule("REU-1", RuleCategory.REUSE, "Réutilisation", Duration(years=3))
    assert refusal(evaluated(KEEP, CIVIL, reuse), SEDA_1_0) == [("seda1_rule_unsupported", "REU-1")]
