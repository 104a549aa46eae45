"""How long the storage keeps an archived object from deletion (S3 Object Lock, compliance mode).

The date is derived from the archive's rules as SEDA 2.x ``Management`` states them
(``AppraisalRule``: ``Rule`` + ``StartDate``, ``FinalAction``) and the durations of the tenant's
rules referential (Vitam's ``RuleDuration``/``RuleMeasurement``):

* a unit whose final action is ``Destroy`` is kept until the end of its DUA, the latest
  ``StartDate + duration`` of its appraisal rules (``kernel.retention.end_date``, the XML Schema
  date arithmetic Vitam uses): the day it may lawfully be eliminated, and not before;
* a unit with no end (``Keep``, or a rule without a duration, a start date or a referential to
  find it in) is kept at least ``keep_minimum`` (the offer's ``object_lock_keep``) from the day it
  is stored. ``Keep`` means forever, which S3 cannot express; an archive that is kept is never
  eliminated, so a long minimum costs nothing, and compliance mode lets it be extended later,
  never shortened.

An object several units reference (or several archives, the storage being content-addressed)
is kept until the latest of their dates. A DUA already over when the archive is accepted locks
nothing (S3 refuses a date in the past): the archive may be eliminated at once, as its rules say. The lock is a floor, not the decision: an elimination
still needs the archivist's decision once the date is past.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache

from kernel.retention import Duration, end_date
from kernel.rules_referential import parse_vitam_csv
from sae.model import CatalogueObject, CatalogueUnit, FileKind, UnitRules
from sae.ports import Database

DESTROY = "Destroy"

# rule identifier → its duration in the tenant's referential (None: a rule without length)
Durations = Mapping[str, Duration | None]


def dua_end(rules: UnitRules, durations: Durations) -> date | None:
    """The end of the unit's DUA when it is to be destroyed then; None when there is no end."""
    if rules.final_action != DESTROY or not rules.appraisal:
        return None
    ends = [end_date(ref.start_date, durations.get(ref.rule_id)) for ref in rules.appraisal]
    if any(end is None for end in ends):
        return None
    return max(end for end in ends if end is not None)


def retain_until(ends: Iterable[date | None], keep_minimum: Duration, today: date) -> date:
    """The latest of ``ends``, an end unknown (None) counting as ``today + keep_minimum``."""
    floor = end_date(today, keep_minimum) or date.max
    return max((floor if end is None else end for end in ends), default=floor)


def ends_by_object(
    units: Iterable[CatalogueUnit], objects: Iterable[CatalogueObject], durations: Durations
) -> dict[str, list[date | None]]:
    """SHA-256 of each stored object → the DUA ends of the units that reference it; an object
    no unit references has no end."""
    sha256_of = {obj.object_id: obj.sha256 for obj in objects}
    found: dict[str, list[date | None]] = {sha256: [] for sha256 in sha256_of.values()}
    for unit in units:
        end = dua_end(unit.rules, durations)
        for object_id in unit.object_ids:
            if object_id in sha256_of:
                found[sha256_of[object_id]].append(end)
    return {sha256: ends or [None] for sha256, ends in found.items()}


def rule_durations(db: Database, tenant: str) -> dict[str, Duration | None]:
    """The durations of the tenant's rules referential, by rule identifier (none imported:
    empty, so that every rule has an unknown end)."""
    with db.reading(tenant) as uow:
        files = uow.setup.files()
    rules = next((f for f in files if f.kind is FileKind.RULES and not f.name), None)
    return {} if rules is None else dict(_durations(rules.content))


@lru_cache(maxsize=64)
def _durations(content: bytes) -> tuple[tuple[str, Duration | None], ...]:
    """Parsed once per referential (the same one serves many acceptances)."""
    return tuple((r.identifier, r.duration) for r in parse_vitam_csv(io.BytesIO(content)))
