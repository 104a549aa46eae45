"""Pages show French words, dates and sizes, never codes (ged.web.labels)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

import pytest

from ged.domain.lifecycle import BindingTarget, NoDueDate, Phase
from ged.domain.model import DossierStatus, ExtractionStatus, Role
from ged.domain.retention import Duration, FinalAction, RuleCategory, StartEventKind
from ged.services.ports import TransferState
from ged.web import labels

SAME_IN_FRENCH = {"agent"}


def test_dates_read_as_french_administrative_text() -> None:
    assert labels.day(date(2026, 12, 6)) == "6 décembre 2026"
    assert labels.day(date(2027, 1, 1)) == "1er janvier 2027"
    assert labels.day(None) == ""


def test_a_moment_is_shown_in_paris_time() -> None:
    new_year_in_paris = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert labels.day(new_year_in_paris) == "1er janvier 2027"
    assert labels.moment(datetime(2026, 7, 14, 8, 5, tzinfo=UTC)) == "14 juillet 2026 à 10 h 05"


@pytest.mark.parametrize(
    ("octets", "shown"),
    [
        (0, "0 octet"),
        (1, "1 octet"),
        (512, "512 octets"),
        (1536, "1,5 Ko"),
        (12 * 1024**2, "12 Mo"),
        (int(1.1 * 1024**3), "1,1 Go"),
        (1024**2, "1 Mo"),
    ],
)
def test_sizes_are_in_french_units_with_a_decimal_comma(octets: int, shown: str) -> None:
    assert labels.size(octets) == shown


def test_durations_say_immediate_rather_than_zero_years() -> None:
    assert labels.duration(Duration()) == "immédiat"
    assert labels.duration(Duration(years=5)) == "5 ans"
    assert labels.duration(Duration.unlimited_duration()) == "illimitée"


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        (labels.PHASES, Phase),
        (labels.FINAL_ACTIONS, FinalAction),
        (labels.TRANSFER_STATES, TransferState),
        (labels.ROLES, Role),
        (labels.EXTRACTION, ExtractionStatus),
        (labels.DOSSIER_STATUS, DossierStatus),
        (labels.CATEGORIES, RuleCategory),
        (labels.RULE_ORIGINS, BindingTarget),
        (labels.NO_DUE_REASONS, NoDueDate),
        (labels.START_EVENTS, StartEventKind),
    ],
)
def test_every_code_that_can_reach_a_page_has_a_french_label(
    table: dict[str, str], codes: type[StrEnum]
) -> None:
    for code in codes:
        assert table.get(code), code
        assert table[code] != code.value or code.value in SAME_IN_FRENCH, code


def test_an_unknown_code_shows_as_unknown_rather_than_itself() -> None:
    assert labels.phase("limbo") == "inconnu"
    assert labels.final_action(FinalAction.KEEP) == "conservation définitive"
