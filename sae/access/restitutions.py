"""Restitution (SEDA 2.x ``ArchiveRestitutionRequest`` → ``ArchiveRestitutionRequestReply``,
then the producer's ``Acknowledgement``): the repository's side of docs/exchanges.md.

The producer (``OriginatingAgency``, an agency one of the tenant's agreements names) asks its
archives back, e.g. when it leaves a mutualised service. The request is decided at once: every
unit named must be held, and have come in a transfer of that agency (communicability does not
apply: they are the producer's own; another producer's archives are refused). The
reply describes each unit and object (SHA-512, size); the package is the reply as
``manifest.xml`` and every object beside it, built on disk as a DIP is.

Nothing is deleted before the producer's ``Acknowledgement`` of the reply: the GED sends it only
once it has verified every digest of the package. Then, in ONE transaction, each unit (and
everything below it) leaves the catalogue, a tombstone is kept for each, the restitution is
marked complete and the log says so; then the objects no other archive holds go
(``sae.access.deletion``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from kernel.errors import ConflictError
from kernel.oplog import LogSpec
from sae.access.deletion import delete_archives, discard
from sae.access.deliveries import (
    ExchangeMessageInvalid,
    addressed_to,
    read_request,
    same_request,
)
from sae.access.dip import Described, describe, write_dip
from sae.access.selection import select
from sae.ingest.receive import admit
from sae.ingest.setup import load_setup
from sae.model import GRANTED, REFUSED, Restitution
from sae.ports import Database, RestitutionNotFound, UnitOfWork
from sae.storage.offers import StorageOffers
from seda.acknowledgement import Acknowledgement
from seda.errors import SedaError
from seda.messages import build_message, parse_message
from seda.restitution import ArchiveRestitutionRequest, ArchiveRestitutionRequestReply
from seda.versions import SedaVersion


class RestitutionRefused(ConflictError):
    code = "restitution_refused"
    title = "Restitution refusée"


class ReceiptMismatch(ExchangeMessageInvalid):
    code = "receipt_mismatch"
    title = "Accusé de réception qui ne répond pas à la restitution"


def receive_restitution_request(
    db: Database, schema_dir: Path, tenant: str, actor: str, key: str, data: bytes, now: datetime
) -> tuple[Restitution, bool]:
    """The restitution decided and recorded, and whether it is new."""
    version, request = read_request(data, key, schema_dir, ArchiveRestitutionRequest)
    addressed_to(request.archival_agency, tenant)
    admit(load_setup(db, tenant), request.originating_agency)
    with db.unit_of_work(tenant) as uow:
        known = uow.restitutions.find(request.message_identifier)
        if known is not None and same_request(known.request, data, request.message_identifier):
            return known, False
        restitution = _decide(uow, version, request, data, actor, now)
        uow.commit()
    return restitution, True


def _decide(
    uow: UnitOfWork,
    version: SedaVersion,
    request: ArchiveRestitutionRequest,
    data: bytes,
    actor: str,
    now: datetime,
) -> Restitution:
    selection = select(uow.catalogue, request.unit_identifiers)
    reasons = [f"Archive {i} introuvable" for i in selection.unknown]
    for root in selection.roots:
        producer = uow.transfers.get(root.unit.transfer_id).transferring_agency
        if producer != request.originating_agency:
            reasons.append(
                f"Archive {root.unit.archive_id} versée par {producer}, "
                f"pas par {request.originating_agency}"
            )
    described = None if reasons else describe(selection.roots)
    reply_id = f"REP-{uuid.uuid4()}"
    reply = _reply(version, request, reply_id, now, reasons, described)
    restitution = Restitution(
        str(uuid.uuid4()), request.message_identifier, request.originating_agency,
        request.unit_identifiers, data, now, actor, not reasons, reply, reply_id,
    )  # fmt: skip
    uow.restitutions.add(restitution)
    uow.log.append(
        LogSpec(
            actor=actor,
            action="restitution.refused" if reasons else "restitution.granted",
            object_type="restitution",
            object_id=request.message_identifier,
            organisation_id=uow.tenant,
            details={
                "originating_agency": request.originating_agency,
                "units": list(request.unit_identifiers),
                "reasons": reasons,
            },
        )
    )
    return restitution


def _reply(
    version: SedaVersion,
    request: ArchiveRestitutionRequest,
    reply_id: str,
    now: datetime,
    reasons: list[str],
    described: Described | None,
) -> bytes:
    reply = ArchiveRestitutionRequestReply(
        message_identifier=reply_id,
        date=now,
        request_identifier=request.message_identifier,
        archival_agency=request.archival_agency,
        originating_agency=request.originating_agency,
        unit_identifiers=request.unit_identifiers,
        reply_code=REFUSED if reasons else GRANTED,
        comments=tuple(reasons) or ("Restitution accordée",),
        archival_agreement=request.archival_agreement,
        package=None if described is None else described.package,
    )
    return build_message(version, reply)


def get_restitution(db: Database, tenant: str, message_identifier: str) -> Restitution:
    with db.reading(tenant) as uow:
        found = uow.restitutions.find(message_identifier)
    if found is None:
        raise RestitutionNotFound(f"Demande de restitution {message_identifier} introuvable")
    return found


def list_restitutions(db: Database, tenant: str) -> list[Restitution]:
    with db.reading(tenant) as uow:
        return uow.restitutions.listing()


def restitution_package(
    db: Database, offers: StorageOffers, packages_dir: Path, tenant: str, message_identifier: str
) -> Path:
    """The package of a granted restitution, built once (before the archives are deleted)."""
    found = get_restitution(db, tenant, message_identifier)
    if not found.granted:
        raise RestitutionRefused(
            f"La restitution {message_identifier} a été refusée : pas de paquet"
        )
    dest = packages_dir / tenant / f"{found.id}.zip"
    if not dest.is_file():
        if found.completed_at is not None:
            raise RestitutionRefused(
                f"La restitution {message_identifier} est close : archives supprimées"
            )
        with db.reading(tenant) as uow:
            described = describe(select(uow.catalogue, found.unit_ids).roots)
        write_dip(dest, found.reply, described, offers)
    return dest


def acknowledge_restitution(
    db: Database,
    offers: StorageOffers,
    packages: Path,
    tenant: str,
    actor: str,
    message_identifier: str,
    receipt: bytes,
    now: datetime,
) -> Restitution:
    """The archives deleted once the producer acknowledged the reply (tombstones kept); a
    repeated receipt changes nothing."""
    found = get_restitution(db, tenant, message_identifier)
    if found.completed_at is not None:
        return found
    if not found.granted:
        raise RestitutionRefused(
            f"La restitution {message_identifier} a été refusée : rien à acquitter"
        )
    _check_receipt(found, receipt)
    with db.unit_of_work(tenant) as uow:
        current = uow.restitutions.find(message_identifier)
        if current is None or current.completed_at is not None:
            return current or found
        released = _delete(uow, found, actor, now)
        uow.restitutions.complete(message_identifier, receipt, now)
        uow.commit()
    discard(db, offers, packages, tenant, released)
    return get_restitution(db, tenant, message_identifier)


def _check_receipt(found: Restitution, receipt: bytes) -> None:
    try:
        _, message = parse_message(receipt)
    except SedaError as exc:
        raise ReceiptMismatch(f"Accusé de réception illisible : {exc}") from exc
    if not isinstance(message, Acknowledgement):
        raise ReceiptMismatch(f"Acknowledgement attendu, {type(message).__name__} reçu")
    if message.received_identifier != found.reply_identifier:
        raise ReceiptMismatch(
            f"L'accusé de réception porte sur {message.received_identifier}, pas sur la "
            f"réponse {found.reply_identifier}"
        )
    if message.sender != found.originating_agency:
        raise ReceiptMismatch(f"L'accusé doit venir de {found.originating_agency}")


def _delete(uow: UnitOfWork, found: Restitution, actor: str, now: datetime) -> set[str]:
    nodes, released = delete_archives(
        uow, found.unit_ids, "restitution", found.message_identifier, actor, now
    )
    uow.log.append(
        LogSpec(
            actor=actor,
            action="restitution.completed",
            object_type="restitution",
            object_id=found.message_identifier,
            organisation_id=uow.tenant,
            details={"deleted": [n.unit.archive_id for n in nodes], "objects": sorted(released)},
        )
    )
    return released
