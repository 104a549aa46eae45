"""What the archival repository says to the producer (docs/exchanges.md, the mailbox), read
through the agreement's connector and kept (``incoming_messages``):

- ``AuthorizationOriginatingAgencyRequest``: before eliminating archives whose DUA is over and
  final action Destroy, the repository asks the producer. The request waits for an archivist of
  the GED, who answers yes or no (``answer_authorization``) with an
  ``AuthorizationOriginatingAgencyRequestReply`` (ReplyCode ``000`` agreed, ``300`` refused,
  the archivist's comment); one answer only.
- ``ArchiveModificationNotification``: the repository changed an archive's metadata or rules;
  recorded, with what changed, in the history of each dossier concerned.
- ``ArchiveDestructionNotification``: the repository destroyed archives the producer had agreed
  to eliminate; recorded in the history of each dossier concerned.

The dossiers concerned are found from the archive identifiers the verified transfer replies
gave them. Reading the mailbox again changes nothing: a message is kept once per organisation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from connectors.exchanges import Exchanges, Incoming
from ged.domain.access import Principal
from ged.domain.model import Role
from ged.services.archive_exchanges import (
    REQUESTERS,
    exchanges_for,
    seda_version,
    translated,
)
from ged.services.context import Context, new_id
from ged.services.incoming_ports import (
    AUTHORIZATION_REQUEST,
    DESTRUCTION_NOTICE,
    MODIFICATION_NOTICE,
    IncomingMessage,
    IncomingState,
)
from ged.services.ports import POSITIVE_TRANSFER_STATES, UnitOfWork
from ged.services.transfer_setup import TransferSetup, organisation_of
from kernel.errors import ConflictError, InvalidError, Issue, NotFoundError
from kernel.paging import Page
from seda.elimination import (
    ArchiveDestructionNotification,
    AuthorizationOriginatingAgencyRequest,
    AuthorizationOriginatingAgencyRequestReply,
)
from seda.errors import SedaError
from seda.messages import build_message, parse_message
from seda.modification import ArchiveModificationNotification

AGREED, REFUSED = "000", "300"
_PAGE = Page(500, 0, max_limit=500)


class IncomingUnreadable(InvalidError):
    code = "incoming_unreadable"
    title = "Message du service d'archives illisible"


class IncomingNotFound(NotFoundError):
    code = "incoming_not_found"
    title = "Message du service d'archives inconnu"


class AlreadyAnswered(ConflictError):
    code = "authorization_already_answered"
    title = "Demande d'autorisation déjà traitée"


def collect_messages(
    setup: TransferSetup, ctx: Context, actor: Principal, agreement_name: str
) -> list[IncomingMessage]:
    """Read the agreement's mailbox; the messages not kept before, now kept and recorded."""
    actor.ensure_role(*REQUESTERS)
    agreement = setup.agreement(agreement_name, organisation_of(ctx, actor.organisation_id))
    with setup.connector_for(agreement) as connector:
        link = exchanges_for(connector, agreement)
        received = translated(lambda: list(_read(link)))
    kept = [_message(ctx, actor, agreement.name, item) for item in received]
    return [m for m in kept if _keep(ctx, actor, m)]


def incoming_messages(
    ctx: Context, actor: Principal, state: IncomingState | None = None
) -> list[IncomingMessage]:
    actor.ensure_role(*REQUESTERS)
    with ctx.uow() as uow:
        return uow.incoming.listing(actor.organisation_id, state)


def answer_authorization(
    setup: TransferSetup,
    ctx: Context,
    actor: Principal,
    message_identifier: str,
    *,
    granted: bool,
    comment: str | None = None,
) -> IncomingMessage:
    """An archivist's yes or no to an authorization request, sent to the repository, then
    kept and recorded on each dossier; a second answer is refused."""
    actor.ensure_role(Role.ARCHIVIST)
    found = _awaiting(ctx, actor, message_identifier)
    agreement = setup.agreement(found.agreement, organisation_of(ctx, actor.organisation_id))
    reply = _reply(ctx, found, granted, comment)
    data = build_message(seda_version(agreement), reply)
    with setup.connector_for(agreement) as connector:
        link = exchanges_for(connector, agreement)
        translated(lambda: link.answer_authorization(message_identifier, data))
    answered = _answered(found, actor, reply, granted, comment)
    with ctx.uow() as uow:
        uow.incoming.save(answered)
        details = {"granted": granted, "comment": comment, "reply": reply.message_identifier}
        _log_on_dossiers(uow, actor, answered, "archives.authorization.answered", details)
        uow.commit()
    return answered


def _read(link: Exchanges) -> Iterator[Incoming]:
    cursor: str | None = None
    while True:
        page = link.mailbox(cursor)
        yield from page.messages
        if page.next is None or page.next == cursor:
            return
        cursor = page.next


def _message(ctx: Context, actor: Principal, agreement: str, item: Incoming) -> IncomingMessage:
    try:
        _, parsed = parse_message(item.raw)
    except SedaError as exc:
        raise _unreadable(item, str(exc)) from exc
    if isinstance(parsed, AuthorizationOriginatingAgencyRequest):
        units, state = tuple(u.identifier for u in parsed.units), IncomingState.AWAITING_ANSWER
    elif isinstance(parsed, ArchiveModificationNotification):
        units, state = parsed.unit_identifiers, IncomingState.RECORDED
    elif isinstance(parsed, ArchiveDestructionNotification):
        units, state = tuple(u.identifier for u in parsed.units), IncomingState.RECORDED
    else:
        raise _unreadable(item, f"{type(parsed).__name__} n'est pas attendu dans la boîte")
    with ctx.uow() as uow:
        dossiers = _dossiers_of(uow, actor.organisation_id, units)
    return IncomingMessage(
        actor.organisation_id, parsed.message_identifier, agreement, type(parsed).__name__,
        ctx.clock(), item.raw, units, dossiers, state,
    )  # fmt: skip


def _unreadable(item: Incoming, why: str) -> IncomingUnreadable:
    message = f"message {item.remote_id} ({item.message_type}) du service d'archives : {why}"
    return IncomingUnreadable(message, issues=[Issue("incoming_unreadable", message)])


def _keep(ctx: Context, actor: Principal, message: IncomingMessage) -> bool:
    with ctx.uow() as uow:
        if not uow.incoming.add(message):
            return False
        action = {
            AUTHORIZATION_REQUEST: "archives.authorization.requested",
            MODIFICATION_NOTICE: "archives.modification.notified",
            DESTRUCTION_NOTICE: "archives.destruction.notified",
        }[message.message_type]
        _, parsed = parse_message(message.raw)
        details = {"comments": list(getattr(parsed, "comments", ()))}
        _log_on_dossiers(uow, actor, message, action, details)
        uow.commit()
    return True


def _log_on_dossiers(
    uow: UnitOfWork, actor: Principal, message: IncomingMessage, action: str, extra: dict[str, Any]
) -> None:
    """The message in the history of each dossier it concerns, and under its own identifier."""
    details = {"message_identifier": message.message_identifier, "units": list(message.units)}
    for dossier_id in message.dossiers:
        uow.log(actor.id, action, "dossier", dossier_id, actor.organisation_id, details | extra)
    uow.log(actor.id, action, "exchange", message.message_identifier, actor.organisation_id,
            details | extra | {"dossiers": list(message.dossiers)})  # fmt: skip


def _dossiers_of(uow: UnitOfWork, organisation_id: str, units: tuple[str, ...]) -> tuple[str, ...]:
    """Our dossiers whose archives are among ``units``, from the verified transfer replies."""
    wanted, found = set(units), []
    for state in POSITIVE_TRANSFER_STATES:
        for record in uow.transfers.listing(organisation_id, state, _PAGE):
            archives = (record.outcome or {}).get("dossier_archives") or {}
            found += [d for d, ids in archives.items() if wanted.intersection(ids)]
    return tuple(sorted(set(found)))


def _awaiting(ctx: Context, actor: Principal, message_identifier: str) -> IncomingMessage:
    with ctx.uow() as uow:
        found = uow.incoming.get(actor.organisation_id, message_identifier)
    if found is None or found.message_type != AUTHORIZATION_REQUEST:
        raise IncomingNotFound(f"Aucune demande d'autorisation {message_identifier}")
    if found.state is not IncomingState.AWAITING_ANSWER:
        raise AlreadyAnswered(
            f"La demande {message_identifier} a déjà reçu une réponse ({found.answer})"
        )
    return found


def _reply(
    ctx: Context, found: IncomingMessage, granted: bool, comment: str | None
) -> AuthorizationOriginatingAgencyRequestReply:
    _, request = parse_message(found.raw)
    assert isinstance(request, AuthorizationOriginatingAgencyRequest)
    return AuthorizationOriginatingAgencyRequestReply(
        f"GEDSAE-AUT-{new_id()}", ctx.clock(), request.message_identifier,
        request.archival_agency, request.originating_agency, AGREED if granted else REFUSED,
        (comment,) if comment else (), request.archival_agreement,
    )  # fmt: skip


def _answered(
    found: IncomingMessage,
    actor: Principal,
    reply: AuthorizationOriginatingAgencyRequestReply,
    granted: bool,
    comment: str | None,
) -> IncomingMessage:
    return replace(
        found,
        state=IncomingState.ANSWERED,
        answer="granted" if granted else "refused",
        comment=comment,
        answered_by=actor.id,
        answered_at=reply.date,
        reply_identifier=reply.message_identifier,
    )
