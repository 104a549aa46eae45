"""Recording a transfer's state: every change saved with what was heard, in the operation log,
with its webhook deliveries queued (``ged.services.webhooks``), in ONE transaction (the row,
the raw reply, the log entry and the notifications are never apart).

A failed step gets ``next_attempt_at`` with an exponential back-off of 30 s to 1 h (a longer
``Retry-After`` of the remote wins), never past the transfer's deadline, or none when trying
again cannot help. A refused token or TLS handshake and a configuration error are tried again
too: the operator may fix them while the transfer waits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from connectors.base import (
    Connector,
    ConnectorError,
    CredentialsRefused,
    Exchange,
    Misconfiguration,
    RemoteUnavailable,
    TlsRefused,
)
from ged.domain.access import Principal
from ged.services.context import Context
from ged.services.ports import TransferRecord, TransferState, UnitOfWork
from ged.services.webhooks import enqueue_transfer_change

BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
# refused for a reason the operator can fix while the transfer waits (a renewed token, a trusted
# certificate, a corrected setting): tried again with back-off until the transfer's deadline
FIXABLE = (CredentialsRefused, TlsRefused, Misconfiguration)


@dataclass(frozen=True)
class ReceivedReply:
    """The raw ArchiveTransferReply a transfer is judged on, and who recorded it by hand (None
    when a connector collected it)."""

    data: bytes
    recorded_by: str | None = None


def backoff(
    attempts: int, retry_after: float | None = None, *, base: float = BACKOFF_BASE_SECONDS
) -> float:
    """Exponential delay before the next try, capped; the remote's Retry-After wins if longer."""
    delay = min(BACKOFF_CAP_SECONDS, base * float(2 ** min(max(0, attempts - 1), 32)))
    return max(delay, min(retry_after or 0.0, BACKOFF_CAP_SECONDS))


def failed(
    record: TransferRecord,
    state: TransferState,
    exc: ConnectorError,
    now: datetime,
    *,
    retry: bool | None = None,
) -> TransferRecord:
    """The record after a connector's failure; tried again when the same call may succeed,
    or once the operator has fixed what was refused (``FIXABLE``)."""
    retryable = (exc.retryable or isinstance(exc, FIXABLE)) if retry is None else retry
    after = exc.retry_after if isinstance(exc, RemoteUnavailable) else None
    return failure(record, state, exc.code, str(exc), now, retry=retryable, retry_after=after)


def failure(
    record: TransferRecord,
    state: TransferState,
    code: str,
    message: str,
    now: datetime,
    *,
    retry: bool = True,
    retry_after: float | None = None,
) -> TransferRecord:
    """Next try after the back-off, never past the transfer's deadline (the scheduler gives up
    there and says so)."""
    next_at = None
    if retry:
        next_at = now + timedelta(seconds=backoff(record.attempts, retry_after))
        if record.give_up_at is not None:
            next_at = min(next_at, record.give_up_at)
    return replace(
        record,
        state=state,
        last_error_code=code,
        last_error_message=message,
        next_attempt_at=next_at,
    )


def cleared(record: TransferRecord) -> TransferRecord:
    return replace(record, last_error_code=None, last_error_message=None, next_attempt_at=None)


def heard(connector: Connector, seen: int) -> tuple[dict[str, Any], ...]:
    """The connector's exchanges since the first ``seen`` ones, as the transfer keeps them."""
    return tuple(_exchange(e) for e in connector.history[seen:])


def _exchange(exchange: Exchange) -> dict[str, Any]:
    fields = asdict(exchange)
    fields["started_at"] = exchange.started_at.isoformat()
    fields["request_headers"] = dict(exchange.request_headers)
    fields["response_headers"] = dict(exchange.response_headers)
    return fields


def store(
    ctx: Context,
    actor: Principal,
    before: TransferRecord,
    after: TransferRecord,
    *,
    exchanges: Sequence[dict[str, Any]] = (),
    extra: dict[str, Any] | None = None,
    reply: ReceivedReply | None = None,
) -> TransferRecord:
    now = ctx.clock()
    stored = replace(after, history=after.history + tuple(exchanges), updated_at=now)
    details = dict(extra or {})
    if reply is not None:
        about = _about(reply, now)
        stored = replace(stored, outcome={**(stored.outcome or {}), "reply": about})
        details |= {"reply_sha256": about["sha256"], "recorded_by": reply.recorded_by}
    with ctx.uow() as uow:
        uow.transfers.save(stored)
        if reply is not None:
            uow.transfers.save_reply(stored.message_identifier, reply.data, now)
        if before.state is not stored.state:
            log(uow, actor, stored, before.state, details)
        uow.commit()
    return stored


def _about(reply: ReceivedReply, now: datetime) -> dict[str, Any]:
    return {
        "sha256": hashlib.sha256(reply.data).hexdigest(),
        "size": len(reply.data),
        "received_at": now.isoformat(),
        "recorded_by": reply.recorded_by,
    }


def log(
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
    enqueue_transfer_change(uow, record, previous)
    uow.log(
        actor.id,
        "transfer.state",
        "transfer",
        record.message_identifier,
        record.organisation_id,
        details,
    )
