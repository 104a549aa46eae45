"""What a form shows when a service refuses its input: each issue's message beside the field
it names (``Issue.path``), the others above the form, so that none is lost (RGAA 11.10: errors
are tied to their field)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, time

from ged.presentation.labels import PARIS
from kernel.errors import InvalidError, Issue

FORM = ""  # the key of the messages that belong to no field of the form


def field_errors(
    exc: InvalidError, fields: Collection[str], renamed: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Messages by form field: ``fields`` are the form's field names, ``renamed`` maps a
    service's path to the field that carries it when they differ (``note`` → ``motif``)."""
    renamed = renamed or {}
    found: dict[str, list[str]] = {}
    for issue in exc.issues or [Issue(exc.code, exc.detail)]:
        name = renamed.get(issue.path or "", issue.path or FORM)
        found.setdefault(name if name in fields else FORM, []).append(issue.message)
    return found


def end_of_day(value: str, path: str) -> datetime | None:
    """The last second, in Paris, of the day a date field gives (``AAAA-MM-JJ``): what is
    « valable jusqu'au 31 janvier 2027 » ends then. None when the field is empty."""
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        message = "Date attendue sous la forme AAAA-MM-JJ"
        raise InvalidError(message, issues=[Issue("bad_date", message, path=path)]) from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=PARIS)
