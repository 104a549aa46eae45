"""When an archive becomes communicable (Code du patrimoine, articles L213-1 and L213-2): at
once when no access rule binds it; else at the latest end of its access rules, each counted
from its ``StartDate`` (SEDA 2.x ``AccessRule``) by the duration the tenant's rules referential
gives it (Vitam's rules CSV: ``RuleDuration`` and ``RuleMeasurement``).

A unit is bound by its own access rules and by those of every unit above it (Vitam's
inheritance: a rule of a parent applies to its children, a child's rules add to it). What
cannot be computed is not communicable, and says why: a rule the referential does not hold, an
unlimited one, a start date missing. A rule of no duration needs no start date.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from kernel.french import day
from kernel.retention import Duration, NoEndDate, RuleCategory, deadline
from kernel.rules_referential import parse_vitam_csv
from sae.model import FileKind, RuleRef, TenantFile

Durations = Mapping[str, Duration | None]  # access rule id → its duration
_WHY: Final = {
    NoEndDate.UNLIMITED: "durée illimitée",
    NoEndDate.NO_DURATION: "durée inconnue",
    NoEndDate.MISSING_START_DATE: "date de départ inconnue",
    NoEndDate.BEYOND_CALENDAR: "échéance hors calendrier",
}


@dataclass(frozen=True)
class Communicability:
    """From which day a unit may be communicated (``None``: at once), under which rule (none
    when no rule binds it); or,
    when no day can be computed, why (``blocked``, in French)."""

    on: date | None = None
    rule_id: str | None = None
    blocked: str | None = None

    def open_on(self, day: date) -> bool:
        return self.blocked is None and (self.on is None or self.on <= day)

    def to_french(self) -> str:
        if self.blocked is not None:
            return f"non communicable ({self.blocked})"
        if self.on is None:
            return "communicable immédiatement"
        return f"communicable à partir du {day(self.on)} (règle {self.rule_id})"


def access_durations(files: Iterable[TenantFile]) -> dict[str, Duration | None]:
    """The access rules of the tenant's rules referential and their durations; none without
    one (every access rule is then unknown)."""
    return rule_durations(files, RuleCategory.ACCESS)


def rule_durations(
    files: Iterable[TenantFile], category: RuleCategory
) -> dict[str, Duration | None]:
    """The rules of ``category`` in the tenant's rules referential and their durations."""
    found = next((f for f in files if f.kind is FileKind.RULES), None)
    if found is None:
        return {}
    rules = parse_vitam_csv(io.BytesIO(found.content))
    return {r.identifier: r.duration for r in rules if r.category is category}


def communicability(rules: Iterable[RuleRef], durations: Durations) -> Communicability:
    """The day the latest of ``rules`` ends, or why it cannot be known."""
    latest = Communicability()
    for rule in rules:
        if rule.rule_id not in durations:
            return Communicability(rule_id=rule.rule_id, blocked=f"règle {rule.rule_id} inconnue")
        duration = durations[rule.rule_id]
        if duration is not None and duration == Duration():
            if latest.rule_id is None:  # « communicable immédiatement »: no start date needed
                latest = Communicability(rule_id=rule.rule_id)
            continue
        end = deadline(rule.start_date, duration)
        if end.date is None:
            why = _WHY[end.reason] if end.reason else "échéance inconnue"
            return Communicability(rule_id=rule.rule_id, blocked=f"règle {rule.rule_id} : {why}")
        if latest.on is None or end.date > latest.on:
            latest = Communicability(end.date, rule.rule_id)
    return latest
