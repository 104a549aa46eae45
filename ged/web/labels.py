"""The template filters of the GED's pages: its French vocabulary (``ged.presentation.labels``)
under the names the templates use, so that no code, English word or ISO date reaches a page
(dates and sizes: the kernel's filters, ``kernel.french.FILTERS``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ged.presentation.labels import (
    CATEGORIES,
    CONNECTOR_KINDS,
    DOSSIER_STATUS,
    EXTRACTION,
    ITEM_OUTCOMES,
    ITEM_STATUS,
    NO_DUE_REASONS,
    PROPOSAL_STATUS,
    ROLES,
    RULE_ORIGINS,
    RULE_STATUS,
    SIP_LAYOUTS,
    TOKEN_STATES,
    TRANSFER_STATES,
    duration,
    file_format,
    final_action,
    label,
    month,
    phase,
)


def _of(table: dict[str, str] | Any) -> Callable[[object], str]:
    return lambda code: label(table, code)


FILTERS: dict[str, Callable[..., str]] = {
    "phase": phase,
    "final_action": final_action,
    "file_format": file_format,
    "duration": duration,
    "role": _of(ROLES),
    "transfer_state": _of(TRANSFER_STATES),
    "extraction": _of(EXTRACTION),
    "dossier_status": _of(DOSSIER_STATUS),
    "category": _of(CATEGORIES),
    "rule_origin": _of(RULE_ORIGINS),
    "no_due_reason": _of(NO_DUE_REASONS),
    "month": month,
    "rule_status": _of(RULE_STATUS),
    "proposal_status": _of(PROPOSAL_STATUS),
    "item_status": _of(ITEM_STATUS),
    "item_outcome": _of(ITEM_OUTCOMES),
    "connector_kind": _of(CONNECTOR_KINDS),
    "sip_layout": _of(SIP_LAYOUTS),
    "token_state": _of(TOKEN_STATES),
}
