"""The transfer loop (versement): push a prepared SIP, poll, hand the reply to the judgement.

Each transfer is a persisted state machine keyed by its SEDA ``MessageIdentifier``::

    prepared → sent → acknowledged → accepted | accepted_with_warnings | rejected
        error_sending    the push failed (retryable ones get ``next_attempt_at``)
        error_polling    asking for the acknowledgement or the reply failed
        error_reply      the reply could not be trusted (``reply_mismatch``, unreadable…)

Sending the same MessageIdentifier again never makes a second row: once the repository has the
package we only poll; before that the push is repeated, and the repository's ``Idempotency-Key``
handling (``connectors.sae_http``) keeps it single on that side too. What a reply does to the
transfer and its dossiers: ``ged.services.transfer_judgement``; how each change is recorded:
``ged.services.transfer_state``. Every state change is written to the operation log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from connectors.base import (
    Acknowledged,
    Connector,
    ConnectorError,
    NotReady,
    Replied,
    Submission,
    SubmissionRefused,
)
from ged.domain.access import Principal
from ged.services import lifecycle
from ged.services.context import Context
from ged.services.ports import POSITIVE_TRANSFER_STATES, TransferRecord, TransferState
from ged.services.transfer_judgement import judge, return_to_due
from ged.services.transfer_state import (
    ReceivedReply,
    cleared,
    failed,
    failure,
    heard,
    log,
    store,
)
from ged.services.transfers import PreparedTransfer
from kernel.errors import ConflictError, GedsaeError, InvalidError, NotFoundError
from kernel.paging import Page

# a push in progress holds its row this long; a process killed mid-push is resumed after it
PUSH_LEASE_SECONDS = 600.0
MAX_TRANSFERS_PAGE = 1000  # a listing page of transfers may be larger than other lists
# the connector's codes for a reply that arrived but cannot be trusted or read
REPLY_ERRORS = frozenset({"reply_mismatch", "reply_unreadable", "reply_unexpected"})
AWAITING_REPLY = frozenset(
    {
        TransferState.SENT,
        TransferState.ACKNOWLEDGED,
        TransferState.ERROR_POLLING,
        TransferState.ERROR_REPLY,
    }
)
_ALREADY_SENT = AWAITING_REPLY | POSITIVE_TRANSFER_STATES
# states in which the next step is a push: never sent, or a push that failed (or was killed)
TO_SEND = frozenset({TransferState.PREPARED, TransferState.ERROR_SENDING})
SENDERS = lifecycle.SENDERS


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
    actor.ensure_role(*SENDERS)
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
        manifest_sha256=prepared.manifest_sha256,
    )
    if annotate is not None:
        fresh = annotate(fresh)
    with ctx.uow() as uow:
        inserted = uow.transfers.claim(fresh)
        existing = None if inserted else uow.transfers.get(fresh.message_identifier)
        if inserted:
            log(uow, actor, fresh, None, {"dossiers": list(fresh.dossiers)})
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
            lifecycle.return_to_due(
                ctx, actor, dossier_id, message_identifier=record.message_identifier
            )
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
            manifest_digest=_manifest_digest(record),
        )
    except SubmissionRefused as exc:
        reasons = exc.reasons or (str(exc),)
        rejected = failed(attempt, TransferState.REJECTED, exc, ctx.clock(), retry=False)
        done = store(
            ctx, actor, record, replace(rejected, reasons=reasons), exchanges=heard(connector, seen)
        )
        return_to_due(ctx, actor, done)
        return done
    except ConnectorError as exc:
        failure = failed(attempt, TransferState.ERROR_SENDING, exc, ctx.clock())
        return store(ctx, actor, record, failure, exchanges=heard(connector, seen))
    sent = replace(
        cleared(attempt),
        next_attempt_at=ctx.clock(),  # first poll on the scheduler's next pass
        state=TransferState.SENT,
        remote_reference=submission.remote_reference,
        locators=dict(submission.locators),
        acknowledged=submission.acknowledged,
    )
    extra = {"duplicate": submission.duplicate}
    return store(ctx, actor, record, sent, exchanges=heard(connector, seen), extra=extra)


def _sip_path(record: TransferRecord) -> Path:
    return Path(record.sip_path)


def _manifest_digest(record: TransferRecord) -> tuple[str, str] | None:
    """(algorithm, hex) of the manifest, for remotes that check it before ingesting (Vitam's
    ``X-Manifest-Digest-*``, our repository's): a manifest altered on the way is refused."""
    return None if record.manifest_sha256 is None else ("SHA-256", record.manifest_sha256)


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
    actor.ensure_role(*SENDERS)
    record = get_transfer(ctx, actor, message_identifier)
    if record.state not in AWAITING_REPLY:
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
        failure = failed(replace(record, attempts=record.attempts + 1), state, exc, ctx.clock())
        return store(ctx, actor, record, failure, exchanges=heard(connector, seen))
    if isinstance(result, Replied):
        reply = ReceivedReply(result.raw)
        exchanges = heard(connector, seen)
        return judge(ctx, actor, record, result.outcome, reply, exchanges=exchanges, purge=purge)
    return _waiting(ctx, actor, record, result, heard(connector, seen))


def _waiting(
    ctx: Context,
    actor: Principal,
    record: TransferRecord,
    result: NotReady | Acknowledged,
    exchanges: tuple[dict[str, Any], ...],
) -> TransferRecord:
    """No reply yet: asked again after the delay the connector suggests."""
    acknowledged = record.acknowledged or isinstance(result, Acknowledged)
    state = TransferState.ACKNOWLEDGED if acknowledged else TransferState.SENT
    later = ctx.clock() + timedelta(seconds=result.retry_after)
    waiting = replace(
        cleared(record), state=state, acknowledged=acknowledged, next_attempt_at=later
    )
    return store(ctx, actor, record, waiting, exchanges=exchanges)


def unusable(
    ctx: Context, actor: Principal, record: TransferRecord, exc: GedsaeError
) -> TransferRecord:
    """The step could not even start: the transfer's agreement or connector cannot be used any
    more (a configuration error). Said on the transfer, tried again until the deadline."""
    code = exc.issues[0].code if isinstance(exc, InvalidError) and exc.issues else exc.code
    state = TransferState.ERROR_SENDING if record.state in TO_SEND else TransferState.ERROR_POLLING
    attempt = replace(record, attempts=record.attempts + 1)
    return store(ctx, actor, record, failure(attempt, state, code, exc.detail, ctx.clock()))


def give_up(ctx: Context, actor: Principal, record: TransferRecord) -> TransferRecord:
    """Nothing conclusive by the agreement's deadline: stop trying and say so, with the last
    error; dossiers stay ``transferring`` (the repository may hold the package) until someone
    decides."""
    actor.ensure_role(*lifecycle.RUNNERS)
    never_sent = record.state in TO_SEND
    last = f" (dernière erreur : {record.last_error_code} : {record.last_error_message})"
    stopped = replace(
        record,
        state=TransferState.ERROR_SENDING if never_sent else TransferState.ERROR_POLLING,
        next_attempt_at=None,
        last_error_code="gave_up",
        last_error_message=(
            ("paquet non remis" if never_sent else "aucune réponse du dépôt")
            + f" avant l'échéance ({record.give_up_at:%Y-%m-%d %H:%M} UTC)"
            + (last if record.last_error_code else "")
            + " : vérifier auprès du service d'archives, puis relancer ou abandonner"
        ),
        updated_at=ctx.clock(),
    )
    with ctx.uow() as uow:
        uow.transfers.save(stopped)
        log(uow, actor, stopped, record.state, {"gave_up": True})
        uow.commit()
    return stopped


def list_transfers(
    ctx: Context,
    actor: Principal,
    state: TransferState | None = None,
    page: Page | None = None,
) -> list[TransferRecord]:
    """The organisation's transfers, newest first, a page at a time (the first 200 by default)."""
    actor.ensure_role(*SENDERS)
    page = page or Page(200, max_limit=MAX_TRANSFERS_PAGE)
    own = None if actor.has(*lifecycle.RUNNERS) else actor.id
    with ctx.uow() as uow:
        return uow.transfers.listing(actor.organisation_id, state, page, created_by=own)


# -- reading ------------------------------------------------------------------------------------
def get_transfer(ctx: Context, actor: Principal, message_identifier: str) -> TransferRecord:
    """The organisation's transfer; an application client's own only (another is not found)."""
    actor.ensure_role(*SENDERS)
    with ctx.uow() as uow:
        record = uow.transfers.get(message_identifier)
    if record is None or not sees(actor, record):
        raise TransferNotFound(f"Transfert {message_identifier} introuvable")
    return record


def sees(actor: Principal, record: TransferRecord) -> bool:
    """People who run transfers see every transfer of their organisation; an application client
    (``Role.APPLICATION``) sees those it started."""
    if record.organisation_id != actor.organisation_id:
        return False
    return actor.has(*lifecycle.RUNNERS) or record.created_by == actor.id


class TransferReplyAbsent(NotFoundError):
    code = "transfer_reply_absent"
    title = "Aucune réponse reçue pour ce transfert"


def transfer_reply(ctx: Context, actor: Principal, message_identifier: str) -> bytes:
    """The raw ArchiveTransferReply the transfer was judged on, byte for byte."""
    record = get_transfer(ctx, actor, message_identifier)
    with ctx.uow() as uow:
        data = uow.transfers.get_reply(record.message_identifier)
    if data is None:
        raise TransferReplyAbsent(f"Aucune réponse reçue pour le transfert {message_identifier}")
    return data


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
