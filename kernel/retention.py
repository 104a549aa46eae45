"""Durations of the SEDA 2.x management rules and the date arithmetic that applies them.

The seven rule categories of ``seda-2.x-management.xsd`` and their durations as Vitam's rules
referential carries them (RuleDuration, RuleMeasurement), or as ISO 8601 and French wording
read them. Shared by the GED (its retention rules, ``ged.domain.retention``) and the archival
repository (its rules referential, ``kernel.rules_referential``).

End dates. ``end_date(start, duration)`` adds years and months *together* as a number of months,
clamping the day to the last day of the target month once, then adds the days. So 31 Jan + 1 month
is 28 Feb (29 in a leap year), 29 Feb + 1 year is 28 Feb, 29 Feb 2024 + 1 year 1 month is
29 Mar 2025. This is the algorithm of XML Schema 1.1 Part 2, appendix E ("adding durations to
dateTimes"), which SEDA's xs:duration inherits; it is also what java.time's ``Period`` does and
hence what Vitam computes (``startDate.plus(RuleDuration, RuleMeasurement's ChronoUnit)`` on a
``LocalDate`` when it derives a rule's EndDate): for Vitam's single-unit rules both agree. Clamping
after the years and again after the months would give 28 Mar in the last example; we follow the
standard so that our dates match the archival repository's.

Limits: Vitam refuses durations over 999 years, 999 × 12 months or 999 × 12 × 30 days (its
``YEAR_LIMIT``/``MONTH_LIMIT``/``DAY_LIMIT``); a composite duration is measured the same way
(360-day years, 30-day months) so each single-unit limit is exactly Vitam's.
"""

from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from kernel.errors import InvalidError, Issue

MAX_DURATION_DAYS = 999 * 12 * 30  # Vitam's DAY_LIMIT; YEAR and MONTH limits are the same span


class RuleCategory(enum.StrEnum):
    """The seven SEDA 2.x management-rule categories; values are the SEDA element names."""

    APPRAISAL = "AppraisalRule"
    ACCESS = "AccessRule"
    STORAGE = "StorageRule"
    DISSEMINATION = "DisseminationRule"
    REUSE = "ReuseRule"
    CLASSIFICATION = "ClassificationRule"
    HOLD = "HoldRule"

    @property
    def label_fr(self) -> str:
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS = {
    RuleCategory.APPRAISAL: "Durée d'utilité administrative (sort final)",
    RuleCategory.ACCESS: "Délai de communicabilité",
    RuleCategory.STORAGE: "Durée d'utilité courante",
    RuleCategory.DISSEMINATION: "Délai de diffusion",
    RuleCategory.REUSE: "Durée de réutilisation",
    RuleCategory.CLASSIFICATION: "Durée de classification",
    RuleCategory.HOLD: "Gel",
}


class InvalidDuration(InvalidError):
    """A duration could not be read; ``issues[0].code`` says why (stable snake_case)."""


def _refuse(code: str, message: str) -> InvalidDuration:
    return InvalidDuration(message, issues=[Issue(code=code, message=message)])


@dataclass(frozen=True)
class Duration:
    """Years, months and days (months ≥ 12 are carried into years), or unlimited."""

    years: int = 0
    months: int = 0
    days: int = 0
    unlimited: bool = False

    def __post_init__(self) -> None:
        if min(self.years, self.months, self.days) < 0:
            raise _refuse("negative_duration", "Une durée ne peut pas être négative")
        if self.unlimited and (self.years or self.months or self.days):
            raise _refuse("bad_duration", "Une durée illimitée n'a ni années, ni mois, ni jours")
        if self.months >= 12:
            object.__setattr__(self, "years", self.years + self.months // 12)
            object.__setattr__(self, "months", self.months % 12)
        if self.span_days() > MAX_DURATION_DAYS:
            raise _refuse("duration_too_long", "Une durée ne peut pas dépasser 999 ans")

    @classmethod
    def unlimited_duration(cls) -> Duration:
        return cls(unlimited=True)

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def span_days(self) -> int:
        """Length in Vitam's units (360-day years, 30-day months), used only for limits."""
        return (self.years * 12 + self.months) * 30 + self.days

    @classmethod
    def from_vitam(cls, rule_duration: str, rule_measurement: str) -> Duration:
        """RuleDuration (integer or 'unlimited', any case) with RuleMeasurement YEAR/MONTH/DAY."""
        value = rule_duration.strip()
        if value.casefold() == "unlimited":
            return cls.unlimited_duration()
        unit = _VITAM_UNITS.get(rule_measurement.strip().upper())
        if unit is None:
            raise _refuse("unknown_unit", f"Unité inconnue : « {rule_measurement} »")
        return cls._of(_integer(value), unit)

    @classmethod
    def parse(cls, text: str, *, bare_number_unit: str | None = None) -> Duration:
        """ISO 8601 ('P5Y', 'P1Y6M', 'P30D'), 'unlimited', or French ('5 ans', '1 an et 6 mois',
        '30 jours', 'illimitée'). A bare integer is read in ``bare_number_unit`` (e.g. 'year'),
        or refused when none is given."""
        value = " ".join(text.split())
        if not value:
            raise _refuse("bad_duration", "Durée vide")
        folded = fold(value)
        if folded in _UNLIMITED_WORDS:
            return cls.unlimited_duration()
        if value[:1] in "Pp-" and _ISO.fullmatch(value.lstrip("-").upper()):
            return cls._from_iso(value)
        if re.fullmatch(r"[+-]?\d+", value):
            if bare_number_unit is None:
                raise _refuse("unknown_unit", f"Unité manquante dans « {text} »")
            return cls._of(_integer(value), bare_number_unit)
        return cls._from_words(folded, text)

    @classmethod
    def _of(cls, amount: int, unit: str) -> Duration:
        if amount < 0:
            raise _refuse("negative_duration", f"Durée négative : {amount}")
        if unit == "year":
            return cls(years=amount)
        return cls(months=amount) if unit == "month" else cls(days=amount)

    @classmethod
    def _from_iso(cls, value: str) -> Duration:
        if value.startswith("-"):
            raise _refuse("negative_duration", f"Durée négative : « {value} »")
        match = _ISO.fullmatch(value.upper())
        assert match is not None  # checked by the caller
        if not any(match.groups()):
            raise _refuse("bad_duration", f"Durée ISO 8601 vide : « {value} »")
        years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
        return cls(years=years, months=months, days=days + 7 * weeks)

    @classmethod
    def _from_words(cls, folded: str, original: str) -> Duration:
        parts = [p for p in re.split(r"\s*(?:,|\bet\b|\band\b)\s*|\s+(?=[+-]?\d)", folded) if p]
        amounts = {"year": 0, "month": 0, "day": 0}
        for part in parts:
            match = re.fullmatch(r"([+-]?\d+)\s*([a-z()]+)", part)
            if match is None:
                raise _refuse("bad_duration", f"Durée illisible : « {original} »")
            unit = _WORD_UNITS.get(match.group(2))
            if unit is None:
                raise _refuse("unknown_unit", f"Unité inconnue dans « {original} »")
            amount = _integer(match.group(1))
            if amount < 0:
                raise _refuse("negative_duration", f"Durée négative : « {original} »")
            amounts[unit[0]] += amount * unit[1]
        return cls(years=amounts["year"], months=amounts["month"], days=amounts["day"])

    def to_iso(self) -> str | None:
        """ISO 8601 form ('P5Y', 'P1Y6M'); None when unlimited (ISO has no such duration)."""
        if self.unlimited:
            return None
        parts = [(self.years, "Y"), (self.months, "M"), (self.days, "D")]
        body = "".join(f"{n}{u}" for n, u in parts if n)
        return "P" + (body or "0D")

    def to_french(self) -> str:
        if self.unlimited:
            return "illimitée"
        words = []
        if self.years or not (self.months or self.days):
            words.append(f"{self.years} an" + ("s" if self.years > 1 else ""))
        if self.months:
            words.append(f"{self.months} mois")
        if self.days:
            words.append(f"{self.days} jour" + ("s" if self.days > 1 else ""))
        return " ".join(words)


_ISO = re.compile(r"P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?")
_VITAM_UNITS = {"YEAR": "year", "MONTH": "month", "DAY": "day"}
_UNLIMITED_WORDS = {"unlimited", "illimite", "illimitee", "illimites", "illimitees", "infinie"}
_WORD_UNITS: dict[str, tuple[str, int]] = {
    **dict.fromkeys(["an", "ans", "an(s)", "annee", "annees", "year", "years"], ("year", 1)),
    **dict.fromkeys(["mois", "month", "months"], ("month", 1)),
    **dict.fromkeys(["semaine", "semaines", "week", "weeks"], ("day", 7)),
    **dict.fromkeys(["jour", "jours", "jour(s)", "j", "day", "days"], ("day", 1)),
}


def _integer(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise _refuse("bad_duration", f"« {value} » n'est pas un nombre entier") from None


def fold(text: str) -> str:
    """Lower case without accents: 'Illimitée' and 'illimitee' are the same word."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class NoEndDate(enum.StrEnum):
    """Why a rule has no end date; stable codes for the lifecycle engine and the API."""

    UNLIMITED = "unlimited"
    NO_DURATION = "no_duration"
    MISSING_START_DATE = "missing_start_date"
    BEYOND_CALENDAR = "beyond_calendar"


@dataclass(frozen=True)
class Deadline:
    """An end date, or the reason there is none."""

    date: date | None
    reason: NoEndDate | None = None


def deadline(start: date | None, duration: Duration | None) -> Deadline:
    """The end date of ``duration`` counted from ``start``, or why it cannot be computed."""
    if duration is None:
        return Deadline(None, NoEndDate.NO_DURATION)
    if duration.unlimited:
        return Deadline(None, NoEndDate.UNLIMITED)
    if start is None:
        return Deadline(None, NoEndDate.MISSING_START_DATE)
    try:
        return Deadline(_add(start, duration))
    except (ValueError, OverflowError):
        return Deadline(None, NoEndDate.BEYOND_CALENDAR)


def end_date(start: date | None, duration: Duration | None) -> date | None:
    """``deadline(start, duration).date``: None when unlimited, without start date or length."""
    return deadline(start, duration).date


def _add(start: date, duration: Duration) -> date:
    months = start.month - 1 + duration.total_months
    year, month = start.year + months // 12, months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=duration.days)
