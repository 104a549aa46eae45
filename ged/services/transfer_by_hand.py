"""A reply recorded by hand: the repository answered outside any connector (on paper, by mail),
and an archivist uploads its ArchiveTransferReply XML itself.

Nobody declares a transfer accepted: the XML is parsed (no network, no entities) and checked
exactly as a polled reply would be — a SEDA ``ArchiveTransferReply`` (2.1 to 2.3, or any dialect
``seda.replies`` reads) that cites this transfer's MessageIdentifier and, when positive, names
each dossier's archive identifier. A reply that fails a check is refused with every reason (422)
and changes nothing. Only an archivist may record one; the state change is logged with the
archivist, and the raw reply is kept with its digest, as for a polled one.
"""

from __future__ import annotations

from ged.domain.access import Principal
from ged.domain.model import Role
from ged.presentation import labels
from ged.services.context import Context
from ged.services.ports import TransferRecord
from ged.services.transfer_judgement import POSITIVE, judge
from ged.services.transfer_loop import AWAITING_REPLY, get_transfer
from ged.services.transfer_replies import archives_by_dossier, untrusted
from ged.services.transfer_state import ReceivedReply
from kernel.errors import ConflictError
from seda.errors import SedaError
from seda.replies import ReplyOutcome, parse_reply

MAX_REPLY_BYTES = 64 * 1024**2


class TransferNotAwaitingReply(ConflictError):
    code = "transfer_not_awaiting_reply"
    title = "Ce transfert n'attend pas de réponse"


def record_reply_by_hand(
    ctx: Context, actor: Principal, message_identifier: str, data: bytes, *, purge: bool = False
) -> TransferRecord:
    """Acts on the uploaded reply as on a polled one; ``purge`` as the agreement says."""
    actor.ensure_role(Role.ARCHIVIST)
    record = get_transfer(ctx, actor, message_identifier)
    if record.state not in AWAITING_REPLY:
        state = labels.label(labels.TRANSFER_STATES, record.state.value)
        raise TransferNotAwaitingReply(
            f"Le transfert {message_identifier} est « {state} » : il n'attend plus de réponse"
        )
    outcome = checked_reply(data, record)
    return judge(ctx, actor, record, outcome, ReceivedReply(data, actor.id), purge=purge)


def checked_reply(data: bytes, record: TransferRecord) -> ReplyOutcome:
    """The reply, once every check a polled reply passes has passed; ``UntrustedReply`` else."""
    if len(data) > MAX_REPLY_BYTES:
        raise untrusted("reply_too_large", f"réponse de plus de {MAX_REPLY_BYTES} octets")
    mid = record.message_identifier
    try:
        outcome = parse_reply(data, transfer_identifier=mid, seda_only=True)
    except SedaError as exc:
        raise untrusted("reply_unreadable", f"réponse SEDA illisible : {exc}") from exc
    if outcome.message_type != "ArchiveTransferReply":
        raise untrusted(
            "reply_unexpected", f"ArchiveTransferReply attendu, {outcome.message_type} reçu"
        )
    if outcome.transfer_identifier != mid:
        raise untrusted(
            "reply_mismatch", f"la réponse concerne {outcome.transfer_identifier}, pas {mid}"
        )
    if outcome.outcome in POSITIVE:
        archives_by_dossier(record.dossiers, outcome)  # names each dossier's archive, or 422
    return outcome
