"""Durations of the SEDA management rules and their date arithmetic (kernel.retention)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import InvalidError
from kernel.retention import (
    MAX_DURATION_DAYS,
    Deadline,
    Duration,
    InvalidDuration,
    NoEndDate,
    RuleCategory,
    deadline,
    end_date,
)

# --- categories --------------------------------------------------------------------------------


def test_the_seven_categories_carry_the_seda_names() -> None:
    assert [c.value for c in RuleCategory] == [
        "AppraisalRule",
        "AccessRule",
        "StorageRule",
        "DisseminationRule",
        "ReuseRule",
        "ClassificationRule",
        "HoldRule",
    ]


def test_every_category_has_a_french_label() -> None:
    labels = [c.label_fr for c in RuleCategory]
    assert all(labels) and len(set(labels)) == len(labels)
    assert RuleCategory.ACCESS.label_fr == "Délai de communicabilité"


# --- durations: Vitam form ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        ("80", "YEAR", Duration(years=80)),
        ("4", "MONTH", Duration(months=4)),
        ("15000", "DAY", Duration(days=15000)),
        ("10", "Year", Duration(years=10)),
        ("0", "DAY", Duration()),
        ("unLimiTEd", "YEAR", Duration.unlimited_duration()),
        ("999", "YEAR", Duration(years=999)),
        ("11988", "MONTH", Duration(years=999)),
        ("359640", "DAY", Duration(days=359640)),
    ],
)
def test_vitam_durations_are_read(amount: str, unit: str, expected: Duration) -> None:
    assert Duration.from_vitam(amount, unit) == expected


@pytest.mark.parametrize(
    ("amount", "unit", "code"),
    [
        ("80", "DECADE", "unknown_unit"),
        ("80", "SECOND", "unknown_unit"),
        ("-80", "YEAR", "negative_duration"),
        ("UNKNOWN", "YEAR", "bad_duration"),
        ("5.5", "YEAR", "bad_duration"),
        ("1000", "YEAR", "duration_too_long"),
        ("90000", "YEAR", "duration_too_long"),
        ("11989", "MONTH", "duration_too_long"),
        ("359641", "DAY", "duration_too_long"),
        ("600000", "DAY", "duration_too_long"),
    ],
)
def test_vitam_durations_out_of_bounds_are_refused(amount: str, unit: str, code: str) -> None:
    with pytest.raises(InvalidDuration) as caught:
        Duration.from_vitam(amount, unit)
    assert caught.value.issues[0].code == code
    assert isinstance(caught.value, InvalidError)


# --- durations: French and ISO forms -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 ans", Duration(years=5)),
        ("10 ans", Duration(years=10)),
        ("1 an", Duration(years=1)),
        ("1 mois", Duration(months=1)),
        ("30 jours", Duration(days=30)),
        ("1 an et 6 mois", Duration(years=1, months=6)),
        ("2 ans, 3 mois et 4 jours", Duration(years=2, months=3, days=4)),
        ("5ans", Duration(years=5)),
        ("10 Années", Duration(years=10)),
        ("illimitée", Duration.unlimited_duration()),
        ("Illimité", Duration.unlimited_duration()),
        ("unlimited", Duration.unlimited_duration()),
        ("P5Y", Duration(years=5)),
        ("P1Y6M", Duration(years=1, months=6)),
        ("p30d", Duration(days=30)),
        ("P2W", Duration(days=14)),
    ],
)
def test_french_and_iso_durations_are_read(text: str, expected: Duration) -> None:
    assert Duration.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "bad_duration"),
        ("P", "bad_duration"),
        ("durée de la carrière", "bad_duration"),
        ("5 décennies", "unknown_unit"),
        ("5", "unknown_unit"),
        ("-5 ans", "negative_duration"),
        ("-P5Y", "negative_duration"),
        ("1000 ans", "duration_too_long"),
    ],
)
def test_unreadable_durations_are_refused_with_a_reason(text: str, code: str) -> None:
    with pytest.raises(InvalidDuration) as caught:
        Duration.parse(text)
    assert caught.value.issues[0].code == code


def test_a_bare_number_is_read_in_the_unit_the_caller_names() -> None:
    assert Duration.parse("5", bare_number_unit="year") == Duration(years=5)


def test_months_beyond_a_year_are_carried_into_years() -> None:
    assert Duration(months=18) == Duration(years=1, months=6)
    assert Duration(months=18).total_months == 18


def test_a_duration_is_never_negative_nor_unlimited_with_a_length() -> None:
    with pytest.raises(InvalidDuration):
        Duration(days=-1)
    with pytest.raises(InvalidDuration):
        Duration(years=1, unlimited=True)


def test_written_forms() -> None:
    assert Duration(years=1, months=6).to_iso() == "P1Y6M"
    assert Duration().to_iso() == "P0D"
    assert Duration.unlimited_duration().to_iso() is None
    assert Duration(years=1).to_french() == "1 an"
    assert Duration(years=2, days=1).to_french() == "2 ans 1 jour"
    assert Duration.unlimited_duration().to_french() == "illimitée"


durations = st.builds(
    Duration,
    years=st.integers(0, 300),
    months=st.integers(0, 11),
    days=st.integers(0, 3000),
)


@given(durations)
def test_written_forms_read_back(duration: Duration) -> None:
    assert Duration.parse(duration.to_french()) == duration
    iso = duration.to_iso()
    assert iso is not None and Duration.parse(iso) == duration


# --- end dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (date(2024, 1, 31), Duration(months=1), date(2024, 2, 29)),  # leap year
        (date(2023, 1, 31), Duration(months=1), date(2023, 2, 28)),
        (date(2024, 3, 31), Duration(months=1), date(2024, 4, 30)),
        (date(2024, 8, 31), Duration(months=6), date(2025, 2, 28)),
        (date(2024, 2, 29), Duration(years=1), date(2025, 2, 28)),
        (date(2024, 2, 29), Duration(years=4), date(2028, 2, 29)),
        (date(2024, 2, 29), Duration(years=100), date(2124, 2, 29)),
        (date(2000, 2, 29), Duration(years=100), date(2100, 2, 28)),  # 2100 is not leap
        (date(2024, 2, 28), Duration(days=1), date(2024, 2, 29)),
        (date(2023, 2, 28), Duration(days=1), date(2023, 3, 1)),
        (date(2024, 12, 31), Duration(days=1), date(2025, 1, 1)),
        (date(2024, 1, 15), Duration(years=10), date(2034, 1, 15)),
        (date(1950, 6, 12), Duration(years=80), date(2030, 6, 12)),
    ],
)
def test_end_dates_respect_month_ends_and_leap_days(
    start: date, duration: Duration, expected: date
) -> None:
    assert end_date(start, duration) == expected


def test_years_and_months_are_added_together_as_xsd_and_vitam_do() -> None:
    # 29 Feb 2024 + 13 months lands in March, where the 29th exists: no clamp to the 28th
    assert end_date(date(2024, 2, 29), Duration(years=1, months=1)) == date(2025, 3, 29)


def test_days_come_after_years_and_months() -> None:
    # 31 Jan + 1 month = 29 Feb (2024), then + 1 day = 1 Mar; days first would give 1 Mar + 1
    # month = 1 Apr
    assert end_date(date(2024, 1, 31), Duration(months=1, days=1)) == date(2024, 3, 1)


def test_an_unlimited_duration_has_no_end_date() -> None:
    assert end_date(date(2024, 1, 1), Duration.unlimited_duration()) is None
    assert deadline(date(2024, 1, 1), Duration.unlimited_duration()) == Deadline(
        None, NoEndDate.UNLIMITED
    )


def test_a_missing_start_date_gives_no_end_date_and_says_why() -> None:
    assert end_date(None, Duration(years=5)) is None
    assert deadline(None, Duration(years=5)).reason is NoEndDate.MISSING_START_DATE


def test_a_hold_without_duration_gives_no_end_date_and_says_why() -> None:
    assert deadline(date(2024, 1, 1), None).reason is NoEndDate.NO_DURATION


def test_an_end_date_past_the_calendar_is_reported_not_raised() -> None:
    result = deadline(date(9500, 1, 1), Duration(years=999))
    assert result == Deadline(None, NoEndDate.BEYOND_CALENDAR)


starts = st.dates(min_value=date(1800, 1, 1), max_value=date(2500, 12, 31))


@given(starts, durations, durations)
def test_end_date_is_monotone_in_the_duration(start: date, a: Duration, b: Duration) -> None:
    shorter = Duration(min(a.years, b.years), min(a.months, b.months), min(a.days, b.days))
    longer = Duration(max(a.years, b.years), max(a.months, b.months), max(a.days, b.days))
    first, second = end_date(start, shorter), end_date(start, longer)
    assert first is not None and second is not None
    assert start <= first <= second


@given(starts, st.integers(0, 300), st.integers(0, 11))
def test_day_of_month_is_kept_or_clamped_to_the_month_end(
    start: date, years: int, months: int
) -> None:
    result = end_date(start, Duration(years=years, months=months))
    assert result is not None
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert 1 <= result.day <= last_day
    assert result.day == start.day or (start.day > last_day and result.day == last_day)
    assert (result.year * 12 + result.month) - (
        start.year * 12 + start.month
    ) == years * 12 + months


@given(starts, st.integers(0, MAX_DURATION_DAYS))
def test_days_are_calendar_days(start: date, days: int) -> None:
    result = end_date(start, Duration(days=days))
    assert result is not None and result - start == timedelta(days=days)


@given(st.one_of(st.none(), starts))
def test_unlimited_never_ends(start: date | None) -> None:
    assert end_date(start, Duration.unlimited_duration()) is None
