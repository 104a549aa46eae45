"""The day an archive becomes communicable in the repository, from its access rules and the
durations of the tenant's rules referential (no database, no clock: the day is given)."""

from __future__ import annotations

from datetime import date

from kernel.retention import Duration
from sae.access.communicability import Communicability, communicability
from sae.model import RuleRef

DURATIONS = {
    "ACC-LIBRE": Duration(),
    "ACC-25": Duration(years=25),
    "ACC-50": Duration(years=50),
    "ACC-SECRET": Duration.unlimited_duration(),
    "ACC-SANS": None,
}
DAY = date(2026, 3, 2)


def test_an_archive_no_access_rule_binds_is_communicable_at_once() -> None:
    found = communicability([], DURATIONS)
    assert found == Communicability()
    assert found.open_on(DAY)
    assert found.to_french() == "communicable immédiatement"


def test_a_rule_of_no_duration_needs_no_start_date() -> None:
    found = communicability([RuleRef("ACC-LIBRE")], DURATIONS)
    assert found == Communicability(rule_id="ACC-LIBRE")
    assert found.open_on(DAY)


def test_the_latest_end_of_its_rules_is_the_day_it_opens() -> None:
    rules = [RuleRef("ACC-25", date(2000, 5, 1)), RuleRef("ACC-50", date(1990, 1, 1))]
    found = communicability(rules, DURATIONS)
    assert found == Communicability(date(2040, 1, 1), "ACC-50")
    assert not found.open_on(DAY)
    assert found.open_on(date(2040, 1, 1))


def test_what_cannot_be_computed_is_not_communicable_and_says_why() -> None:
    cases = {
        "ACC-INCONNUE": "règle ACC-INCONNUE inconnue",
        "ACC-SECRET": "règle ACC-SECRET : durée illimitée",
        "ACC-SANS": "règle ACC-SANS : durée inconnue",
        "ACC-25": "règle ACC-25 : date de départ inconnue",
    }
    for rule_id, why in cases.items():
        found = communicability([RuleRef(rule_id)], DURATIONS)
        assert found.blocked == why, rule_id
        assert not found.open_on(date(9999, 12, 31))
        assert found.to_french() == f"non communicable ({why})"
