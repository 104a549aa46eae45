"""The date the storage keeps an archived object locked until, from its archive's rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kernel.retention import Duration
from sae.model import CatalogueObject, CatalogueUnit, RuleRef, UnitRules
from sae.storage.retention import dua_end, ends_by_object, retain_until

DURATIONS = {"R5": Duration(years=5), "R10": Duration(years=10), "RH": None}
TEN_YEARS = Duration(years=10)


def destroy(*refs: RuleRef) -> UnitRules:
    return UnitRules(appraisal=refs, final_action="Destroy")


def unit(unit_id: str, rules: UnitRules, *object_ids: str) -> CatalogueUnit:
    return CatalogueUnit(
        archive_id=f"AU-{unit_id}", organisation="ARCH", transfer_id="T", message_identifier="M",
        unit_id=unit_id, parent_archive_id=None, position=0, description_level=None, title="",
        description="", start_date=None, end_date=None, originating_agency=None,
        archived_at=datetime(2026, 1, 1, tzinfo=UTC), object_ids=object_ids, rules=rules,
    )  # fmt: skip


def obj(object_id: str, sha256: str) -> CatalogueObject:
    return CatalogueObject("T", object_id, None, object_id, None, sha256, "", 1)


def test_a_unit_to_destroy_is_kept_until_the_end_of_its_dua() -> None:
    assert dua_end(destroy(RuleRef("R5", date(2020, 2, 29))), DURATIONS) == date(2025, 2, 28)


def test_a_unit_with_several_appraisal_rules_is_kept_until_the_latest_end() -> None:
    rules = destroy(RuleRef("R5", date(2020, 1, 1)), RuleRef("R10", date(2019, 6, 1)))
    assert dua_end(rules, DURATIONS) == date(2029, 6, 1)


def test_a_unit_to_keep_has_no_end() -> None:
    rules = UnitRules(appraisal=(RuleRef("R5", date(2020, 1, 1)),), final_action="Keep")
    assert dua_end(rules, DURATIONS) is None


def test_a_rule_without_start_date_duration_or_referential_entry_has_no_end() -> None:
    assert dua_end(destroy(RuleRef("R5")), DURATIONS) is None
    assert dua_end(destroy(RuleRef("RH", date(2020, 1, 1))), DURATIONS) is None
    assert dua_end(destroy(RuleRef("UNKNOWN", date(2020, 1, 1))), DURATIONS) is None
    assert dua_end(destroy(RuleRef("R5", date(2020, 1, 1))), {}) is None


def test_an_unknown_end_counts_as_the_offers_minimum_from_today() -> None:
    assert retain_until([None], TEN_YEARS, date(2026, 3, 15)) == date(2036, 3, 15)
    assert retain_until([], TEN_YEARS, date(2026, 3, 15)) == date(2036, 3, 15)


def test_the_latest_end_wins_even_over_the_minimum() -> None:
    ends = [date(2030, 1, 1), None, date(2080, 1, 1)]
    assert retain_until(ends, TEN_YEARS, date(2026, 3, 15)) == date(2080, 1, 1)
    assert retain_until([date(2030, 1, 1)], TEN_YEARS, date(2026, 3, 15)) == date(2030, 1, 1)


def test_an_object_two_units_reference_gets_both_their_ends() -> None:
    units = [
        unit("U1", destroy(RuleRef("R5", date(2020, 1, 1))), "BDO-1", "BDO-2"),
        unit("U2", UnitRules(final_action="Keep"), "BDO-2"),
    ]
    objects = [obj("BDO-1", "a" * 64), obj("BDO-2", "b" * 64), obj("BDO-3", "c" * 64)]

    ends = ends_by_object(units, objects, DURATIONS)

    assert ends == {
        "a" * 64: [date(2025, 1, 1)],
        "b" * 64: [date(2025, 1, 1), None],
        "c" * 64: [None],
    }
