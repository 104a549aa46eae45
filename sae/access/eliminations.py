"""Elimination in the repository (Code du patrimoine, articles L212-2 and R212-14; SEDA 2.x
``AuthorizationOriginatingAgencyRequest`` → ``…RequestReply``, then
``ArchiveDestructionNotification``).

An archivist has the repository find the archives whose DUA is over and whose final action is
Destroy (``AppraisalRule`` of each unit — its own, else that of the nearest unit above it that has one,
else the bordereau's —, its duration from the tenant's rules referential; a unit is proposed
only when everything below it is due too, and only its topmost such unit).
One request per producer (the transferring agency of each archive's transfer, in the SEDA
version of that transfer) waits in the producers' mailbox, which the GED reads (docs/exchanges.md). The producer's answer is recorded
(one answer per request, from the producer it was addressed to). Where the archivist names a
control authority (R212-14: the Archives départementales for a commune), an
``AuthorizationControlAuthorityRequest`` is made too; the archivist sends it and records its
``…RequestReply``. Once the producer (and the control authority) agreed, an archivist's visa
destroys the archives (a tombstone kept of each, ``sae.access.deletion``) and the
``ArchiveDestructionNotification`` goes to the producer's mailbox (and stays readable by the
archivists); either refusal ends it.
Each step and its log entry are committed in ONE transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Final

from kernel.errors import ConflictError, ForbiddenError
from kernel.oplog import LogSpec
from kernel.retention import RuleCategory
from sae.access.communicability import Durations, communicability, rule_durations
from sae.access.deletion import delete_archives, discard
from sae.access.deliveries import ExchangeMessageInvalid
from sae.access.mailbox import producer_of
from sae.model import (
    GRANTED,
    CatalogueUnit,
    Elimination,
    EliminationState,
    MailboxMessage,
    UnitRules,
)
from sae.ports import Database, EliminationNotFound, UnitOfWork
from sae.storage.offers import StorageOffers
from seda.elimination import (
    ArchiveDestructionNotification,
    AuthorizationControlAuthorityRequest,
    AuthorizationControlAuthorityRequestReply,
    AuthorizationOriginatingAgencyRequest,
    AuthorizationOriginatingAgencyRequestReply,
    UnitToDestroy,
)
from seda.errors import SedaError
from seda.messages import build_message, parse_message
from seda.versions import SedaVersion

REASON: Final = "Élimination : durée d'utilité administrative échue, sort final destruction"
OPEN: Final = (
    EliminationState.AWAITING_PRODUCER,
    EliminationState.AWAITING_CONTROL,
    EliminationState.AGREED,
)
CONTROL_SUFFIX: Final = "-CTRL"  # the control request's identifier: the producer's, suffixed


class AuthorizationAlreadyAnswered(ConflictError):
    code = "authorization_already_answered"
    title = "Demande d'autorisation déjà répondue"


class AnotherProducer(ForbiddenError):
    code = "another_producer"
    title = "Demande adressée à un autre service producteur"


class EliminationNotAgreed(ConflictError):
    code = "elimination_not_agreed"
    title = "Élimination sans accord du service producteur"


def propose_eliminations(
    db: Database,
    tenant: str,
    archivist: str,
    now: datetime,
    control_authority: str | None = None,
) -> list[Elimination]:
    """One elimination per producer of the archives due for destruction not proposed yet; with
    a ``control_authority``, each also needs its visa (``AuthorizationControlAuthorityRequest``,
    fetched by the archivist for that authority, its reply recorded by
    ``record_control_reply``)."""
    with db.unit_of_work(tenant) as uow:
        durations = rule_durations(uow.setup.files(), RuleCategory.APPRAISAL)
        proposed = {i for e in uow.eliminations.listing() if e.state in OPEN for i in e.unit_ids}
        due = [u for u in due_units(uow.catalogue.units(), durations, now.date())
               if u.archive_id not in proposed]  # fmt: skip
        groups: dict[tuple[str, SedaVersion], list[CatalogueUnit]] = defaultdict(list)
        for unit in due:
            groups[producer_of(uow, unit)].append(unit)
        made = [
            _propose(uow, to, units, archivist, now, control_authority)
            for to, units in groups.items()
        ]
        uow.commit()
    return made


def due_units(
    units: Iterable[CatalogueUnit], durations: Durations, day: date
) -> list[CatalogueUnit]:
    """The topmost units due for destruction on ``day`` whose every descendant is too."""
    found = list(units)
    children: dict[str | None, list[CatalogueUnit]] = defaultdict(list)
    for unit in found:
        children[unit.parent_archive_id].append(unit)
    by_id = {u.archive_id: u for u in found}
    whole: dict[str, bool] = {}

    def rules_of(unit: CatalogueUnit) -> UnitRules:
        """Its own rules, else the nearest unit above it that has some, else the bordereau's."""
        parent = by_id.get(unit.parent_archive_id or "")
        return rules_of(parent) if unit.rules.inherited and parent is not None else unit.rules

    def due(unit: CatalogueUnit) -> bool:
        if unit.archive_id not in whole:
            rules = rules_of(unit)
            ends = communicability(rules.appraisal, durations)
            own = rules.final_action == "Destroy" and bool(rules.appraisal) and ends.open_on(day)
            whole[unit.archive_id] = own and all(due(c) for c in children[unit.archive_id])
        return whole[unit.archive_id]

    return [
        u
        for u in found
        if due(u) and not (u.parent_archive_id in by_id and due(by_id[u.parent_archive_id]))
    ]


def _propose(
    uow: UnitOfWork,
    to: tuple[str, SedaVersion],
    units: list[CatalogueUnit],
    archivist: str,
    now: datetime,
    control_authority: str | None,
) -> Elimination:
    agency, version = to
    mid = f"ELIM-{uuid.uuid4()}"
    described = tuple(_described(u) for u in units)
    request = AuthorizationOriginatingAgencyRequest(
        mid, now, uow.tenant, agency, uow.tenant, REASON, now.date(), described
    )
    data = build_message(version, request)
    control = None
    if control_authority is not None:
        asked = AuthorizationControlAuthorityRequest(
            mid + CONTROL_SUFFIX, now, uow.tenant, control_authority, uow.tenant, REASON,
            now.date(), described,
        )  # fmt: skip
        control = build_message(version, asked)
    elimination = Elimination(
        str(uuid.uuid4()), mid, agency, tuple(u.archive_id for u in units), now, archivist,
        control_authority=control_authority, control_request=control,
    )  # fmt: skip
    uow.eliminations.add(elimination)
    uow.mailbox.post(MailboxMessage(str(uuid.uuid4()), type(request).__name__, mid, data, now))
    _log(uow, archivist, "elimination.proposed", elimination)
    return elimination


def _described(unit: CatalogueUnit) -> UnitToDestroy:
    rule = unit.rules.appraisal[0].rule_id if unit.rules.appraisal else None
    return UnitToDestroy(
        unit.archive_id, unit.title or None, None, _day(unit.start_date), _day(unit.end_date), rule
    )


def _day(text: str | None) -> date | None:
    try:
        return None if not text else date.fromisoformat(text[:10])
    except ValueError:
        return None


def record_authorization_reply(
    db: Database, tenant: str, actor: str, data: bytes, now: datetime
) -> Elimination:
    """The producer's answer to an authorization request, recorded once."""
    _, reply = _read_reply(data)
    with db.unit_of_work(tenant) as uow:
        found = uow.eliminations.by_request(reply.request_identifier)
        if found is None:
            raise EliminationNotFound(f"Demande d'autorisation {reply.request_identifier} inconnue")
        if reply.originating_agency != found.originating_agency:
            raise AnotherProducer(
                f"La demande {reply.request_identifier} est adressée à {found.originating_agency}"
            )
        if found.reply is not None:
            if found.reply == data:
                return found
            raise AuthorizationAlreadyAnswered(
                f"La demande {reply.request_identifier} a déjà reçu une réponse"
            )
        agreed = reply.reply_code == GRANTED
        answered = replace(found, reply=data)
        answered = replace(answered, state=_state(answered, producer_agreed=agreed))
        uow.eliminations.update(answered)
        _log(uow, actor, "elimination.agreed" if agreed else "elimination.refused", answered)
        uow.commit()
    return answered


def record_control_reply(
    db: Database, tenant: str, actor: str, data: bytes, now: datetime
) -> Elimination:
    """The control authority's answer (brought by an archivist), recorded once."""
    reply = _read_control_reply(data)
    with db.unit_of_work(tenant) as uow:
        found = uow.eliminations.by_request(reply.request_identifier.removesuffix(CONTROL_SUFFIX))
        if found is None or found.control_authority is None:
            raise EliminationNotFound(f"Demande de visa {reply.request_identifier} inconnue")
        if reply.control_authority != found.control_authority:
            raise AnotherProducer(
                f"La demande {reply.request_identifier} est adressée à {found.control_authority}"
            )
        if found.control_reply is not None:
            if found.control_reply == data:
                return found
            raise AuthorizationAlreadyAnswered(
                f"La demande {reply.request_identifier} a déjà reçu une réponse"
            )
        granted = reply.reply_code == GRANTED
        answered = replace(found, control_reply=data, control_granted=granted)
        producer = _producer_agreed(found)
        answered = replace(answered, state=_state(answered, producer_agreed=producer))
        uow.eliminations.update(answered)
        action = "elimination.control_granted" if granted else "elimination.control_refused"
        _log(uow, actor, action, answered)
        uow.commit()
    return answered


def _producer_agreed(found: Elimination) -> bool | None:
    if found.reply is None:
        return None
    return _read_reply(found.reply)[1].reply_code == GRANTED


def _state(found: Elimination, *, producer_agreed: bool | None) -> EliminationState:
    """Refused as soon as either refuses; agreed once both have (or the producer alone, when
    no control authority is asked)."""
    if producer_agreed is False or found.control_granted is False:
        return EliminationState.REFUSED
    if producer_agreed is None:
        return EliminationState.AWAITING_PRODUCER
    if found.control_authority is not None and found.control_granted is None:
        return EliminationState.AWAITING_CONTROL
    return EliminationState.AGREED


def _read_control_reply(data: bytes) -> AuthorizationControlAuthorityRequestReply:
    try:
        _, message = parse_message(data)
    except SedaError as exc:
        raise ExchangeMessageInvalid(f"Message SEDA illisible : {exc}") from exc
    if not isinstance(message, AuthorizationControlAuthorityRequestReply):
        raise ExchangeMessageInvalid("AuthorizationControlAuthorityRequestReply attendu")
    return message


def _read_reply(data: bytes) -> tuple[SedaVersion, AuthorizationOriginatingAgencyRequestReply]:
    """The producer's reply, SEDA 2.x (the version the notification is written in)."""
    try:
        version, message = parse_message(data)
    except SedaError as exc:
        raise ExchangeMessageInvalid(f"Message SEDA illisible : {exc}") from exc
    if not isinstance(message, AuthorizationOriginatingAgencyRequestReply) or not isinstance(
        version, SedaVersion
    ):
        raise ExchangeMessageInvalid("AuthorizationOriginatingAgencyRequestReply SEDA 2.x attendu")
    return version, message


def approve_elimination(
    db: Database,
    offers: StorageOffers,
    packages: Path,
    tenant: str,
    archivist: str,
    elimination_id: str,
    now: datetime,
) -> Elimination:
    """The archivist's visa: the archives destroyed (tombstones kept), the destruction
    notification kept; refused unless the producer agreed."""
    with db.unit_of_work(tenant) as uow:
        found = uow.eliminations.get(elimination_id)
        if found.state is not EliminationState.AGREED or found.reply is None:
            missing = (
                "le visa de l'autorité de contrôle"
                if found.state is EliminationState.AWAITING_CONTROL
                else "l'accord du service producteur"
            )
            raise EliminationNotAgreed(f"L'élimination {elimination_id} n'a pas {missing}")
        nodes, released = delete_archives(
            uow, found.unit_ids, "elimination", found.message_identifier, archivist, now
        )
        version, reply = _read_reply(found.reply)
        notification = ArchiveDestructionNotification(
            f"DEST-{uuid.uuid4()}", now, tenant, found.originating_agency,
            reply.message_identifier,
            tuple(UnitToDestroy(n.unit.archive_id) for n in nodes if n.unit.archive_id in found.unit_ids),
        )  # fmt: skip
        done = replace(
            found,
            state=EliminationState.DESTROYED,
            approved_by=archivist,
            destroyed_at=now,
            notification=build_message(version, notification),
        )
        uow.eliminations.update(done)
        assert done.notification is not None
        uow.mailbox.post(
            MailboxMessage(
                str(uuid.uuid4()), type(notification).__name__,
                notification.message_identifier, done.notification, now,
            )
        )  # fmt: skip
        _log(uow, archivist, "elimination.destroyed", done)
        uow.commit()
    discard(db, offers, packages, tenant, released)
    return done


def list_eliminations(db: Database, tenant: str) -> list[Elimination]:
    with db.reading(tenant) as uow:
        return uow.eliminations.listing()


def get_elimination(db: Database, tenant: str, elimination_id: str) -> Elimination:
    with db.reading(tenant) as uow:
        return uow.eliminations.get(elimination_id)


def _log(uow: UnitOfWork, actor: str, action: str, elimination: Elimination) -> None:
    uow.log.append(
        LogSpec(
            actor=actor,
            action=action,
            object_type="elimination",
            object_id=elimination.message_identifier,
            organisation_id=uow.tenant,
            details={
                "originating_agency": elimination.originating_agency,
                "units": list(elimination.unit_ids),
                "state": str(elimination.state),
            },
        )
    )
