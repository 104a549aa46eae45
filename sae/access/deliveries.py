"""Communication (SEDA 2.x ``ArchiveDeliveryRequest`` → ``ArchiveDeliveryRequestReply`` and its
DIP), the repository's side of docs/exchanges.md.

A request is checked (official XSD of its version, the repository named as ``ArchivalAgency``,
a ``Requester`` one of the tenant's agreements names) and decided at once: every unit asked
for, and everything below it, must be communicable on that day (``sae.access.communicability``)
or covered by a derogation given to that requester (``sae.access.selection``); else the reply
refuses, naming each unit and why. A request, its reply, the access register's lines (one per
unit communicated, under its rule or its derogation) and the log entry are committed in ONE
transaction. The ``MessageIdentifier`` is the idempotency key: the same request again gets the
same reply, another request under a known identifier is a conflict.

The DIP is built on first demand, from the catalogue read again (it only grows, so the same
units describe the same objects as the reply did).
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from pathlib import Path
from typing import Final, TypeVar

from kernel.errors import ConflictError, InvalidError, Issue
from kernel.oplog import LogSpec
from kernel.paging import Page
from sae.access.communicability import access_durations
from sae.access.dip import Described, describe, write_dip
from sae.access.selection import Selection, Verdict, select, verdicts
from sae.ingest.receive import admit
from sae.ingest.setup import load_setup
from sae.model import GRANTED, REFUSED, AccessRecord, Delivery
from sae.ports import Database, DeliveryNotFound, UnitOfWork
from sae.storage.offers import StorageOffers
from seda.communication import ArchiveDeliveryRequest, ArchiveDeliveryRequestReply
from seda.errors import SedaError
from seda.messages import build_message, parse_message
from seda.versions import SedaVersion
from seda.xsdcheck import xsd_issues

MAX_REQUEST_BYTES: Final = 1024 * 1024
R = TypeVar("R")


class ExchangeMessageInvalid(InvalidError):
    code = "exchange_message_invalid"
    title = "Message d'échange invalide"


class IdempotencyConflict(ConflictError):
    code = "idempotency_conflict"
    title = "Identifiant de message déjà employé par une autre demande"


class ArchivesDeleted(ConflictError):
    code = "archives_deleted"
    title = "Archives supprimées depuis la réponse"


class DeliveryRefused(ConflictError):
    code = "delivery_refused"
    title = "Communication refusée"


def addressed_to(agency: str, tenant: str) -> None:
    """A request names the repository's tenant as its ArchivalAgency, or is refused."""
    if agency != tenant:
        raise ExchangeMessageInvalid(f"ArchivalAgency {agency} : ce n'est pas {tenant}")


def same_request(known: bytes, data: bytes, message_identifier: str) -> bool:
    """A request sent again is the one recorded (answered as before); another one under the
    same MessageIdentifier is a conflict."""
    if known != data:
        raise IdempotencyConflict(
            f"Le MessageIdentifier {message_identifier} désigne une autre demande"
        )
    return True


def read_request(
    data: bytes, key: str, schema_dir: Path, expected: type[R]
) -> tuple[SedaVersion, R]:
    """The request, of type ``expected``, valid against the official XSD of its version and
    sent under its MessageIdentifier; every issue listed."""
    try:
        version, message = parse_message(data)
    except SedaError as exc:
        raise ExchangeMessageInvalid(f"Message SEDA illisible : {exc}") from exc
    if not isinstance(message, expected) or not isinstance(version, SedaVersion):
        raise ExchangeMessageInvalid(f"{expected.__name__} SEDA 2.1, 2.2 ou 2.3 attendu")
    found = xsd_issues(lambda: io.BytesIO(data), len(data), version, schema_dir)
    if found:
        issues = [Issue(i.code, i.message, i.line, i.xpath) for i in found]
        raise ExchangeMessageInvalid("Message non conforme au schéma SEDA", issues=issues)
    if key != getattr(message, "message_identifier", None):
        raise ExchangeMessageInvalid("L'en-tête Idempotency-Key doit valoir le MessageIdentifier")
    return version, message


def receive_delivery_request(
    db: Database, schema_dir: Path, tenant: str, actor: str, key: str, data: bytes, now: datetime
) -> tuple[Delivery, bool]:
    """The delivery decided and recorded, and whether it is new (False: the same request
    again, answered as before)."""
    version, request = read_request(data, key, schema_dir, ArchiveDeliveryRequest)
    addressed_to(request.archival_agency, tenant)
    admit(load_setup(db, tenant), request.requester)
    with db.unit_of_work(tenant) as uow:
        known = uow.deliveries.find(request.message_identifier)
        if known is not None and same_request(known.request, data, request.message_identifier):
            return known, False
        delivery = _decide(uow, version, request, data, actor, now)
        uow.commit()
    return delivery, True


def _decide(
    uow: UnitOfWork,
    version: SedaVersion,
    request: ArchiveDeliveryRequest,
    data: bytes,
    actor: str,
    now: datetime,
) -> Delivery:
    day = now.date()
    selection = select(uow.catalogue, request.unit_identifiers)
    durations = access_durations(uow.setup.files())
    found = verdicts(selection, uow.derogations, durations, request.requester, day)
    reasons = _refusals(selection, found, now)
    reply = _reply(version, request, now, reasons, None if reasons else describe(selection.roots))
    delivery = Delivery(
        str(uuid.uuid4()), request.message_identifier, request.requester,
        request.unit_identifiers, data, now, actor, not reasons, reply,
    )  # fmt: skip
    uow.deliveries.add(delivery)
    if not reasons:
        uow.access_register.add([_record(v, delivery, actor) for v in found])
    uow.log.append(
        LogSpec(
            actor=actor,
            action="delivery.refused" if reasons else "delivery.granted",
            object_type="delivery",
            object_id=request.message_identifier,
            organisation_id=uow.tenant,
            details={
                "requester": request.requester,
                "units": list(request.unit_identifiers),
                "derogation_asked": request.derogation,
                "derogations": sorted({v.derogation.id for v in found if v.derogation}),
                "reasons": reasons,
            },
        )
    )
    return delivery


def _refusals(selection: Selection, found: list[Verdict], now: datetime) -> list[str]:
    reasons = [f"Archive {i} introuvable" for i in selection.unknown]
    for verdict in found:
        if verdict.refused(now.date()):
            unit = verdict.node.unit
            reasons.append(
                f"Archive {unit.archive_id} « {unit.title} » : "
                f"{verdict.communicability.to_french()}, sans dérogation"
            )
    return reasons


def _reply(
    version: SedaVersion,
    request: ArchiveDeliveryRequest,
    now: datetime,
    reasons: list[str],
    described: Described | None,
) -> bytes:
    reply = ArchiveDeliveryRequestReply(
        message_identifier=f"REP-{uuid.uuid4()}",
        date=now,
        request_identifier=request.message_identifier,
        archival_agency=request.archival_agency,
        requester=request.requester,
        unit_identifiers=request.unit_identifiers,
        reply_code=REFUSED if reasons else GRANTED,
        comments=tuple(reasons) or ("Communication accordée",),
        archival_agreement=request.archival_agreement,
        package=None if described is None else described.package,
    )
    return build_message(version, reply)


def _record(verdict: Verdict, delivery: Delivery, actor: str) -> AccessRecord:
    unit = verdict.node.unit
    return AccessRecord(
        at=delivery.received_at,
        actor=actor,
        requester=delivery.requester,
        kind="communication",
        archive_id=unit.archive_id,
        title=unit.title,
        basis=verdict.basis,
        rule_id=verdict.communicability.rule_id,
        derogation_id=None if verdict.derogation is None else verdict.derogation.id,
        delivery=delivery.message_identifier,
    )


def get_delivery(db: Database, tenant: str, message_identifier: str) -> Delivery:
    with db.reading(tenant) as uow:
        found = uow.deliveries.find(message_identifier)
    if found is None:
        raise DeliveryNotFound(f"Demande de communication {message_identifier} introuvable")
    return found


def list_deliveries(db: Database, tenant: str, page: Page) -> list[Delivery]:
    with db.reading(tenant) as uow:
        return uow.deliveries.listing(page)


def delivery_dip(
    db: Database, offers: StorageOffers, dips_dir: Path, tenant: str, message_identifier: str
) -> Path:
    """The DIP of a granted delivery, built once; ``DeliveryRefused`` for a refused one."""
    delivery = get_delivery(db, tenant, message_identifier)
    if not delivery.granted:
        raise DeliveryRefused(f"La demande {message_identifier} a été refusée : pas de DIP")
    dest = dips_dir / tenant / f"{delivery.id}.zip"
    if not dest.is_file():
        with db.reading(tenant) as uow:
            selection = select(uow.catalogue, delivery.unit_ids)
        if selection.unknown:
            raise ArchivesDeleted(
                f"Archives supprimées depuis la réponse : {', '.join(selection.unknown)}"
            )
        write_dip(dest, delivery.reply, describe(selection.roots), offers)
    return dest
