"""The transfer loop (versement, issue 5 item 1): push a prepared SIP, poll, act on the reply.

Each transfer is a persisted state machine keyed by its SEDA ``MessageIdentifier``::

    prepared → sent → acknowledged → accepted | accepted_with_warnings | rejected
        error_sending    the push failed (retryable ones get ``next_attempt_at``)
        error_polling    asking for the acknowledgement or the reply failed
        error_reply      the reply could not be trusted (``reply_mismatch``, unreadable…)

Sending the same MessageIdentifier again never makes a second row: once the repository has the
package we only poll; before that the push is repeated, and the repository's ``Idempotency-Key``
handling (``connectors.sae_http``) keeps it single on that side too. Dossiers become
``permanent`` only on a positive ``ArchiveTransferReply`` whose ``MessageRequestIdentifier`` is
this transfer's (SEDA 2.x ArchiveTransferReply); only then may local content be purged. A
rejection keeps every reason and returns the dossiers to ``due``, ready for a corrected transfer
under a new MessageIdentifier. Every state change is written to the operation log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import (
    Acknowledged,
    Connector,
    ConnectorError,
    Exchange,
    NotReady,
    PollResult,
    RemoteUnavailable,
    Submission,
    SubmissionRefused,
)
from ged.domain.access import Principal
from ged.domain.errors import ConflictError, NotFoundError
from ged.domain.lifecycle import Phase
from ged.domain.paging import Page
from ged.services import eliminations, lifecycle
from ged.services.context import Context
from ged.services.ports import TransferRecord, TransferState, UnitOfWork
from ged.services.transfers import PreparedTransfer
from seda.replies import Outcome, ReplyOutcome

# a push in progress holds its row this long; a process killed mid-push is resumed after it
PUSH_LEASE_SECONDS = 600.0
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
MAX_TRANSFERS_PAGE = 1000  # a listing page of transfers may be larger than other lists
# the connector's codes for a reply that arrived but cannot be trusted or read
REPLY_ERRORS = frozenset({"reply_mismatch", "reply_unreadable", "reply_unexpected"})
_POLLABLE = frozenset(
    {
        TransferState.SENT,
        TransferState.ACKNOWLEDGED,
        TransferState.ERROR_POLLING,
        TransferState.ERROR_REPLY,
    }
)
_POSITIVE = {
    Outcome.ACCEPTED: TransferState.ACCEPTED,
    Outcome.ACCEPTED_WITH_WARNINGS: TransferState.ACCEPTED_WITH_WARNINGS,
}
_ALREADY_SENT = _POLLABLE | frozenset(_POSITIVE.values())


class TransferNotFound(NotFoundError):
    code = "transfer_not_found"
    title = "Transfert introuvable"


class TransferAlreadyRejected(ConflictError):
    code = "transfer_already_rejected"
    title = "Transfert rejeté : préparer un nouveau transfert corrigé"


class TransferMismatch(ConflictError):
    """The same MessageIdentifier with another package or another repository."""

    code = "transfer_mismatch"
    title = "Identifiant de message déjà employé pour un autre envoi"


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Exponential delay before the next try, capped; the remote's Retry-After wins if longer."""
    delay = min(
        BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * float(2 ** min(max(0, attempts - 1), 32))
    )
    return max(delay, min(retry_after or 0.0, BACKOFF_CAP_SECONDS))


# -- sending ------------------------------------------------------------------------------------
def send_transfer(
    ctx: Context,
    actor: Principal,
    prepared: PreparedTransfer,
    connector: Connector,
    *,
    transferring_agency: str,
    annotate: Callable[[TransferRecord], TransferRecord] | None = None,
) -> TransferRecord:
    """Pushes the SIP; a resend of the same MessageIdentifier reuses its row.

    ``annotate`` completes a new row before it is written (agreement, signatures, deadline), so
    that a process killed during the push leaves a row the scheduler can resume."""
    actor.ensure_role(*lifecycle.RUNNERS)
    record = _claim(ctx, actor, prepared, connector, transferring_agency, annotate)
    if record.state in _ALREADY_SENT:
        return record
    if record.state is TransferState.REJECTED:
        raise TransferAlreadyRejected("Ce transfert a été rejeté ; préparez-en un nouveau")
    return _push(ctx, actor, record, connector)


def _claim(
    ctx: Context,
    actor: Principal,
    prepared: PreparedTransfer,
    connector: Connector,
    agency: str,
    annotate: Callable[[TransferRecord], TransferRecord] | None,
) -> TransferRecord:
    now = ctx.clock()
    fresh = TransferRecord(
        message_identifier=prepared.message_identifier,
        organisation_id=actor.organisation_id,
        dossiers=prepared.dossiers,
        connector=connector.name,
        transferring_agency=agency,
        state=TransferState.PREPARED,
        sip_path=str(prepared.sip),
        sip_sha256=prepared.sha256,
        created_at=now,
        updated_at=now,
        created_by=actor.id,
        next_attempt_at=now + timedelta(seconds=PUSH_LEASE_SECONDS),
    )
    if annotate is not None:
        fresh = annotate(fresh)
    with ctx.uow() as uow:
        inserted = uow.transfers.claim(fresh)
        existing = None if inserted else uow.transfers.get(fresh.message_identifier)
        if inserted:
            _log(uow, actor, fresh, None, {"dossiers": list(fresh.dossiers)})
        uow.commit()
    if existing is not None:
        _ensure_same(existing, fresh, actor)
        return existing
    _start_lifecycle(ctx, actor, fresh)
    return fresh


def _ensure_same(existing: TransferRecord, fresh: TransferRecord, actor: Principal) -> None:
    if existing.organisation_id != actor.organisation_id:
        raise TransferNotFound("Transfert introuvable")
    if existing.sip_sha256 != fresh.sip_sha256 or existing.connector != fresh.connector:
        raise TransferMismatch(
            f"{fresh.message_identifier} a déjà été envoyé avec un autre paquet ou vers un "
            "autre dépôt"
        )


def _start_lifecycle(ctx: Context, actor: Principal, record: TransferRecord) -> None:
    """Every dossier moves to ``transferring``, or none does and the row goes away."""
    moved: list[str] = []
    try:
        for dossier_id in record.dossiers:
            lifecycle.start_transfer(ctx, actor, dossier_id, record.message_identifier)
            moved.append(dossier_id)
    except Exception:
        for dossier_id in moved:
            lifecycle.record_transfer_reply(ctx, actor, dossier_id, accepted=False)
        with ctx.uow() as uow:
            uow.transfers.delete(record.message_identifier)
            uow.log(
                actor.id,
                "transfer.abandon",
                "transfer",
                record.message_identifier,
                record.organisation_id,
                {"dossiers": list(record.dossiers)},
            )
            uow.commit()
        raise


def _push(
    ctx: Context, actor: Principal, record: TransferRecord, connector: Connector
) -> TransferRecord:
    seen = len(connector.history)
    attempt = replace(record, attempts=record.attempts + 1)
    try:
        submission = connector.submit(
            _sip_path(record),
            message_identifier=record.message_identifier,
            transferring_agency=record.transferring_agency,
            manifest_digest=None,
        )
    except SubmissionRefused as exc:
        reasons = exc.reasons or (str(exc),)
        rejected = _failed(attempt, TransferState.REJECTED, exc, ctx.clock(), retry=False)
        done = _store(ctx, actor, record, replace(rejected, reasons=reasons), connector, seen)
        _return_to_due(ctx, actor, done)
        return done
    except ConnectorError as exc:
        failed = _failed(attempt, TransferState.ERROR_SENDING, exc, ctx.clock())
        return _store(ctx, actor, record, failed, connector, seen)
    sent = replace(
        _cleared(attempt),
        next_attempt_at=ctx.clock(),  # first poll on the scheduler's next pass
        state=TransferState.SENT,
        remote_reference=submission.remote_reference,
        locators=dict(submission.locators),
        acknowledged=submission.acknowledged,
    )
    return _store(ctx, actor, record, sent, connector, seen, {"duplicate": submission.duplicate})


def _sip_path(record: TransferRecord) -> Path:
    return Path(record.sip_path)


# -- polling and acting on the reply ----------------------------------------------------------
def poll_transfer(
    ctx: Context,
    actor: Principal,
    message_identifier: str,
    connector: Connector,
    *,
    purge: bool = False,
) -> TransferRecord:
    """Asks the repository how the transfer stands and acts on a verified reply.

    ``purge`` removes the dossiers' local content after a verified positive reply only.
    """
    actor.ensure_role(*lifecycle.RUNNERS)
    record = get_transfer(ctx, actor, message_identifier)
    if record.state not in _POLLABLE:
        return record
    if record.connector != connector.name:
        raise TransferMismatch(f"{message_identifier} a été envoyé par {record.connector}")
    seen = len(connector.history)
    try:
        result = connector.poll(_submission(record))
    except ConnectorError as exc:
        state = (
            TransferState.ERROR_REPLY if exc.code in REPLY_ERRORS else TransferState.ERROR_POLLING
        )
        failed = _failed(replace(record, attempts=record.attempts + 1), state, exc, ctx.clock())
        return _store(ctx, actor, record, failed, connector, seen)
    return _act(ctx, actor, record, result, connector, seen, purge)


def _act(
    ctx: Context,
    actor: Principal,
    record: TransferRecord,
    result: PollResult,
    connector: Connector,
    seen: int,
    purge: bool,
) -> TransferRecord:
    now = ctx.clock()
    if isinstance(result, NotReady | Acknowledged):
        acknowledged = record.acknowledged or isinstance(result, Acknowledged)
        state = TransferState.ACKNOWLEDGED if acknowledged else TransferState.SENT
        later = now + timedelta(seconds=result.retry_after)
        waiting = replace(
            _cleared(record), state=state, acknowledged=acknowledged, next_attempt_at=later
        )
        return _store(ctx, actor, record, waiting, connector, seen)
    outcome = result.outcome
    if outcome.transfer_identifier != record.message_identifier:
        mismatch = ConnectorError(
            f"la réponse concerne {outcome.transfer_identifier}, pas {record.message_identifier}",
            code="reply_mismatch",
        )
        failed = _failed(record, TransferState.ERROR_REPLY, mismatch, now, retry=False)
        return _store(
            ctx, actor, record, replace(failed, outcome=_outcome(outcome)), connector, seen
        )
    return _replied(ctx, actor, record, outcome, connector, seen, purge)


def _replied(
    ctx: Context,
    actor: Principal,
    record: TransferRecord,
    outcome: ReplyOutcome,
    connector: Connector,
    seen: int,
    purge: bool,
) -> TransferRecord:
    judged = replace(_cleared(record), outcome=_outcome(outcome), acknowledged=True)
    positive = _POSITIVE.get(outcome.outcome)
    if positive is None:
        reasons = _reasons(outcome)
        done = _store(
            ctx,
            actor,
            record,
            replace(judged, state=TransferState.REJECTED, reasons=reasons),
            connector,
            seen,
            {"reasons": list(reasons)},
        )
        _return_to_due(ctx, actor, done)
        return done
    done = _store(
        ctx,
        actor,
        record,
        replace(judged, state=positive),
        connector,
        seen,
        {"archive_identifiers": list(outcome.archive_identifiers)},
    )
    _make_permanent(ctx, actor, done, outcome)
    if purge:
        _purge(ctx, actor, done)
    return done


def _make_permanent(
    ctx: Context, actor: Principal, record: TransferRecord, outcome: ReplyOutcome
) -> None:
    reference = " ".join(outcome.archive_identifiers) or record.remote_reference or ""
    for dossier_id in record.dossiers:
        lifecycle.record_transfer_reply(
            ctx, actor, dossier_id, accepted=True, verified=True, reference=reference
        )


def _return_to_due(ctx: Context, actor: Principal, record: TransferRecord) -> None:
    """Only dossiers still transferring move: a replay of the same reply changes nothing."""
    for dossier_id in record.dossiers:
        if _phase(ctx, dossier_id) is Phase.TRANSFERRING:
            lifecycle.record_transfer_reply(
                ctx, actor, dossier_id, accepted=False, reference=record.message_identifier
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


def give_up(ctx: Context, actor: Principal, record: TransferRecord) -> TransferRecord:
    """No reply by the agreement's deadline: stop polling and say so; dossiers stay
    ``transferring`` (the repository may still hold the package) until someone decides."""
    actor.ensure_role(*lifecycle.RUNNERS)
    stopped = replace(
        record,
        state=TransferState.ERROR_POLLING,
        next_attempt_at=None,
        last_error_code="gave_up",
        last_error_message=(
            f"aucune réponse du dépôt avant l'échéance ({record.give_up_at}) : "
            "vérifier auprès du service d'archives, puis relancer ou abandonner"
        ),
        updated_at=ctx.clock(),
    )
    with ctx.uow() as uow:
        uow.transfers.save(stopped)
        _log(uow, actor, stopped, record.state, {"gave_up": True})
        uow.commit()
    return stopped


def list_transfers(
    ctx: Context,
    actor: Principal,
    state: TransferState | None = None,
    page: Page | None = None,
) -> list[TransferRecord]:
    """The organisation's transfers, newest first, a page at a time (the first 200 by default)."""
    actor.ensure_role(*lifecycle.RUNNERS)
    page = page or Page(200, max_limit=MAX_TRANSFERS_PAGE)
    with ctx.uow() as uow:
        return uow.transfers.listing(actor.organisation_id, state, page)


# -- reading ------------------------------------------------------------------------------------
def get_transfer(ctx: Context, actor: Principal, message_identifier: str) -> TransferRecord:
    actor.ensure_role(*lifecycle.RUNNERS)
    with ctx.uow() as uow:
        record = uow.transfers.get(message_identifier)
    if record is None or record.organisation_id != actor.organisation_id:
        raise TransferNotFound(f"Transfert {message_identifier} introuvable")
    return record


def transfers_due(ctx: Context, actor: Principal) -> list[TransferRecord]:
    """Transfers whose retry or next poll is due now, for a scheduler to work through."""
    with ctx.uow() as uow:
        return uow.transfers.due(actor.organisation_id, ctx.clock())


# -- helpers ------------------------------------------------------------------------------------
def _submission(record: TransferRecord) -> Submission:
    return Submission(
        connector=record.connector,
        message_identifier=record.message_identifier,
        remote_reference=record.remote_reference or "",
        acknowledged=record.acknowledged,
        locators=dict(record.locators),
    )


def _failed(
    record: TransferRecord,
    state: TransferState,
    exc: ConnectorError,
    now: datetime,
    *,
    retry: bool | None = None,
) -> TransferRecord:
    retryable = exc.retryable if retry is None else retry
    after = exc.retry_after if isinstance(exc, RemoteUnavailable) else None
    next_at = now + timedelta(seconds=backoff(record.attempts, after)) if retryable else None
    return replace(
        record,
        state=state,
        last_error_code=exc.code,
        last_error_message=str(exc),
        next_attempt_at=next_at,
    )


def _cleared(record: TransferRecord) -> TransferRecord:
    return replace(record, last_error_code=None, last_error_message=None, next_attempt_at=None)


def _reasons(outcome: ReplyOutcome) -> tuple[str, ...]:
    """Every event that did not succeed, else the reply code itself."""
    failed = [e for e in outcome.events if e[1].upper() not in ("OK", "")] or list(outcome.events)
    reasons = tuple(f"{code} {status} : {detail}".strip() for code, status, detail in failed)
    return reasons or (f"ReplyCode {outcome.reply_code or 'absent'}",)


def _outcome(outcome: ReplyOutcome) -> dict[str, Any]:
    return {
        "outcome": outcome.outcome.value,
        "reply_code": outcome.reply_code,
        "dialect": outcome.dialect,
        "reply_identifier": outcome.reply_identifier,
        "transfer_identifier": outcome.transfer_identifier,
        "archive_identifiers": list(outcome.archive_identifiers),
        "events": [list(e) for e in outcome.events],
    }


def _exchange(exchange: Exchange) -> dict[str, Any]:
    fields = asdict(exchange)
    fields["started_at"] = exchange.started_at.isoformat()
    fields["request_headers"] = dict(exchange.request_headers)
    fields["response_headers"] = dict(exchange.response_headers)
    return fields


def _store(
    ctx: Context,
    actor: Principal,
    before: TransferRecord,
    after: TransferRecord,
    connector: Connector,
    seen: int,
    extra: dict[str, Any] | None = None,
) -> TransferRecord:
    heard = tuple(_exchange(e) for e in connector.history[seen:])
    stored = replace(after, history=after.history + heard, updated_at=ctx.clock())
    with ctx.uow() as uow:
        uow.transfers.save(stored)
        if before.state is not stored.state:
            _log(uow, actor, stored, before.state, extra or {})
        uow.commit()
    return stored


def _log(
    uow: UnitOfWork,
    actor: Principal,
    record: TransferRecord,
    previous: TransferState | None,
    extra: dict[str, Any],
) -> None:
    details = {
        "from": None if previous is None else previous.value,
        "to": record.state.value,
        "connector": record.connector,
        "attempts": record.attempts,
        "error_code": record.last_error_code,
        "error_message": record.last_error_message,
        **extra,
    }
    uow.log(
        actor.id,
        "transfer.state",
        "transfer",
        record.message_identifier,
        record.organisation_id,
        details,
    )
