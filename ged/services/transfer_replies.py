"""What the GED makes of a repository's ArchiveTransferReply (SEDA 2.x, §3.2.2): whether a
positive one can be trusted, and which archive identifier belongs to which dossier.

Invariant: a dossier becomes ``permanent`` (and its content may be purged) only when a positive
reply that cites our MessageIdentifier names the archive identifier the repository gave it. The
transfer's manifest has one top-level unit per dossier, the n-th being ``AU_D<n>``
(``ged.services.transfers.dossier_unit_id``); the reply's units are traced back to dossiers:

1. by that unit id, which Vitam and our own repository keep on every unit they list (flat), and
   As@lae on its top-level units;
2. else by the order of the top-level units carrying an identifier, one per dossier (the
   manifest's order, kept by As@lae);
3. else, for a transfer of one dossier, every identifier of the reply is that dossier's.

Anything else (no identifier, or identifiers that cannot be told apart) is ``UntrustedReply``.

Nothing the reply says is dropped: every ``Comment`` (As@lae gives its reasons only there) and
every ``Operation/Event`` in full (Vitam names the refused agency, profile or rule only in
``EventDetailData``) are kept on the transfer, and the reasons of a rejection quote them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from ged.services.ports import POSITIVE_TRANSFER_STATES, UnitOfWork
from ged.services.transfers import dossier_unit_id
from kernel.errors import InvalidError, Issue
from seda.replies import ReplyEvent, ReplyOutcome

ArchivesByDossier = dict[str, tuple[str, ...]]


class UntrustedReply(InvalidError):
    """The reply cannot be acted on: ``issues[0].code`` says why (stable codes)."""

    code = "reply_untrusted"
    title = "Réponse du service d'archives non probante"


def untrusted(code: str, message: str) -> UntrustedReply:
    return UntrustedReply(message, issues=[Issue(code, message)])


def archives_by_dossier(dossiers: Sequence[str], outcome: ReplyOutcome) -> ArchivesByDossier:
    """Each dossier's archive identifiers, as the positive ``outcome`` gives them."""
    if not outcome.archive_identifiers and not outcome.units:
        raise untrusted(
            "archive_identifier_missing",
            "réponse positive qui ne nomme aucun identifiant d'archive",
        )
    found = (
        _by_reference(dossiers, outcome)
        or _by_position(dossiers, outcome)
        or _single(dossiers, outcome)
    )
    if found is None:
        raise untrusted(
            "archive_identifiers_unmapped",
            f"réponse positive dont les identifiants d'archive ne se rapportent pas un à un "
            f"aux {len(dossiers)} dossiers du versement",
        )
    return found


def _by_reference(dossiers: Sequence[str], outcome: ReplyOutcome) -> ArchivesByDossier | None:
    named = {u.reference: u.identifier for u in outcome.units if u.reference}
    wanted = [dossier_unit_id(n) for n in range(1, len(dossiers) + 1)]
    if not all(unit in named for unit in wanted):
        return None
    return {d: (named[unit],) for d, unit in zip(dossiers, wanted, strict=True)}


def _by_position(dossiers: Sequence[str], outcome: ReplyOutcome) -> ArchivesByDossier | None:
    top = [u.identifier for u in outcome.units if u.top_level]
    if len(top) != len(dossiers):
        return None
    return {d: (identifier,) for d, identifier in zip(dossiers, top, strict=True)}


def _single(dossiers: Sequence[str], outcome: ReplyOutcome) -> ArchivesByDossier | None:
    identifiers = outcome.archive_identifiers or tuple(u.identifier for u in outcome.units)
    if len(dossiers) != 1 or not identifiers:
        return None
    return {dossiers[0]: identifiers}


def rejection_reasons(outcome: ReplyOutcome) -> tuple[str, ...]:
    """Why the repository refused: every event that did not succeed, with its detail data (else
    the reply code), then every comment no such event already says."""
    failed = [e for e in outcome.operation if e.outcome.strip().upper() not in ("OK", "")]
    said = [_event_reason(e) for e in failed] or [f"ReplyCode {outcome.reply_code or 'absent'}"]
    known = {_flat(e.outcome_detail_message) for e in failed}
    notes = [f"Commentaire : {_flat(c)}" for c in outcome.comments if _flat(c) not in known]
    return tuple(said + notes)


def _event_reason(event: ReplyEvent) -> str:
    said = f"{event.type_code} {event.outcome} : {_flat(event.outcome_detail_message)}".strip()
    data = _flat(event.detail_data)
    return f"{said} — {data}" if data else said


def _flat(text: str) -> str:
    return " ".join(text.split())


def outcome_record(
    outcome: ReplyOutcome, archives: ArchivesByDossier | None = None
) -> dict[str, Any]:
    """The reply as the transfer keeps it (JSON): identifiers, comments, every event in full."""
    return {
        "outcome": outcome.outcome.value,
        "reply_code": outcome.reply_code,
        "dialect": outcome.dialect,
        "reply_identifier": outcome.reply_identifier,
        "transfer_identifier": outcome.transfer_identifier,
        "archive_identifiers": list(outcome.archive_identifiers),
        "dossier_archives": None if archives is None else listed(archives),
        "comments": list(outcome.comments),
        "events": [asdict(e) for e in outcome.operation],
    }


def listed(archives: ArchivesByDossier) -> dict[str, list[str]]:
    return {dossier: list(identifiers) for dossier, identifiers in archives.items()}


def verified_archives(
    uow: UnitOfWork, organisation_id: str, dossier_id: str, reference: str | None
) -> list[str]:
    """The archive identifiers the verified positive reply of transfer ``reference`` gave the
    dossier (empty when there is none: the lifecycle state alone is not enough)."""
    found = uow.transfers.get(reference) if reference else None
    if (
        found is None
        or found.organisation_id != organisation_id
        or found.state not in POSITIVE_TRANSFER_STATES
    ):
        return []
    archives = (found.outcome or {}).get("dossier_archives") or {}
    return list(archives.get(dossier_id) or [])
