"""The template filters of the web pages: the shared French vocabulary
(``ged.presentation.labels``) under the names the templates use, so that no code, English word
or ISO date reaches a page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ged.presentation.labels import (
    CATEGORIES,
    DOSSIER_STATUS,
    EXTRACTION,
    NO_DUE_REASONS,
    ROLES,
    RULE_ORIGINS,
    TRANSFER_STATES,
    day,
    duration,
    file_format,
    final_action,
    label,
    moment,
    number,
    phase,
    size,
)


def _of(table: dict[str, str] | Any) -> Callable[[object], str]:
    return lambda code: label(table, code)


FILTERS: dict[str, Callable[..., str]] = {
    "phase": phase,
    "final_action": final_action,
    "file_format": file_format,
    "duration": duration,
    "day": day,
    "moment": moment,
    "size": size,
    "number": number,
    "role": _of(ROLES),
    "transfer_state": _of(TRANSFER_STATES),
    "extraction": _of(EXTRACTION),
    "dossier_status": _of(DOSSIER_STATUS),
    "category": _of(CATEGORIES),
    "rule_origin": _of(RULE_ORIGINS),
    "no_due_reason": _of(NO_DUE_REASONS),
}
