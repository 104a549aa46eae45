"""Acting on a repository's ArchiveTransferReply (SEDA 2.x, §3.2.2), however it arrived.

A reply is acted on only when it cites this transfer's MessageIdentifier; a positive one only
when it names each dossier's archive identifier (``ged.services.transfer_replies``). Then, and
only then, the dossiers become ``permanent`` and, if the agreement says so, their local content
is purged. A negative reply keeps every reason and returns the dossiers to ``due``, ready for a
corrected transfer under a new MessageIdentifier. The raw reply is kept with the transfer's
state, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from ged.domain.access import Principal
from ged.domain.lifecycle import Phase
from ged.services import eliminations, lifecycle
from ged.services.context import Context
from ged.services.ports import TransferRecord, TransferState
from ged.services.transfer_replies import (
    ArchivesByDossier,
    UntrustedReply,
    archives_by_dossier,
    listed,
    outcome_record,
    rejection_reasons,
)
from ged.services.transfer_state import ReceivedReply, cleared, store
from seda.replies import Outcome, ReplyOutcome

POSITIVE = {
    Outcome.ACCEPTED: TransferState.ACCEPTED,
    Outcome.ACCEPTED_WITH_WARNINGS: TransferState.ACCEPTED_WITH_WARNINGS,
}


def judge(
    ctx: Context,
    actor: Principal,
    record: TransferRecord,
    outcome: ReplyOutcome,
    reply: ReceivedReply,
    *,
    exchanges: Sequence[dict[str, Any]] = (),
    purge: bool = False,
) -> TransferRecord:
    """The transfer's state once ``outcome`` (parsed from ``reply``) is taken into account."""
    judged = replace(cleared(record), outcome=outcome_record(outcome), acknowledged=True)
    if outcome.transfer_identifier != record.message_identifier:
        mismatch = replace(
            cleared(record),
            outcome=judged.outcome,
            state=TransferState.ERROR_REPLY,
            last_error_code="reply_mismatch",
            last_error_message=(
                f"la réponse concerne {outcome.transfer_identifier}, "
                f"pas {record.message_identifier}"
            ),
        )
        return store(ctx, actor, record, mismatch, exchanges=exchanges, reply=reply)
    positive = POSITIVE.get(outcome.outcome)
    if positive is None:
        return _rejected(ctx, actor, record, judged, outcome, reply, exchanges)
    try:
        archives = archives_by_dossier(record.dossiers, outcome)
    except UntrustedReply as exc:
        untrusted = replace(
            judged,
            state=TransferState.ERROR_REPLY,
            last_error_code=exc.issues[0].code,
            last_error_message=exc.detail,
        )
        return store(ctx, actor, record, untrusted, exchanges=exchanges, reply=reply)
    accepted = replace(judged, state=positive, outcome=outcome_record(outcome, archives))
    extra = {"archives": listed(archives)}
    done = store(ctx, actor, record, accepted, exchanges=exchanges, extra=extra, reply=reply)
    _make_permanent(ctx, actor, done, archives)
    if purge:
        _purge(ctx, actor, done)
    return done


def _rejected(
    ctx: Context,
    actor: Principal,
    record: TransferRecord,
    judged: TransferRecord,
    outcome: ReplyOutcome,
    reply: ReceivedReply,
    exchanges: Sequence[dict[str, Any]],
) -> TransferRecord:
    reasons = rejection_reasons(outcome)
    rejected = replace(judged, state=TransferState.REJECTED, reasons=reasons)
    extra = {"reasons": list(reasons)}
    done = store(ctx, actor, record, rejected, exchanges=exchanges, extra=extra, reply=reply)
    return_to_due(ctx, actor, done)
    return done


def _make_permanent(
    ctx: Context, actor: Principal, record: TransferRecord, archives: ArchivesByDossier
) -> None:
    for dossier_id in record.dossiers:
        lifecycle.accept_transfer(
            ctx,
            actor,
            dossier_id,
            message_identifier=record.message_identifier,
            archive_identifiers=archives[dossier_id],
        )


def return_to_due(ctx: Context, actor: Principal, record: TransferRecord) -> None:
    """Only dossiers still transferring move: a replay of the same reply changes nothing."""
    for dossier_id in record.dossiers:
        if _phase(ctx, dossier_id) is Phase.TRANSFERRING:
            lifecycle.return_to_due(
                ctx, actor, dossier_id, message_identifier=record.message_identifier
            )


def _purge(ctx: Context, actor: Principal, record: TransferRecord) -> None:
    for dossier_id in record.dossiers:
        with ctx.uow() as uow:
            purged = uow.lifecycle.get_tombstone(dossier_id) is not None
        if not purged:
            eliminations.purge_transferred(ctx, actor, dossier_id)


def _phase(ctx: Context, dossier_id: str) -> Phase | None:
    with ctx.uow() as uow:
        state = uow.lifecycle.get_state(dossier_id)
    return None if state is None else state.phase
