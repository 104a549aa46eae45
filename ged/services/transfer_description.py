"""What the bordereau says of each dossier and of its documents (SEDA 2.x ``ArchiveUnit/Content``,
seda-2.x-ontology.xsd; SEDA 1.0 is written from the same units by ``seda.v1``).

A dossier is one unit of level ``File`` (dossier), each of its documents a child unit of level
``Item`` (pièce). A dossier's Content carries its title and description, its producing service
(``OriginatingAgency``), its cote (``OriginatingAgencyArchiveUnitIdentifier``) and the GED's
identifier (``SystemId``), its extreme dates (opening and closing), its plan node as a
``Keyword`` of type ``function`` (the activity it documents), and its history as ``Event``s:
opened, closed, each business event a rule counts from (« date de la séance », « date du
décès »), each hold placed and lifted, and this transfer. A document's Content carries its
title, description, date, the GED's identifier, its keywords (``subject``) and document type
(``genreform``, typologie documentaire).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime

from ged.domain.access import Principal
from ged.domain.lifecycle import DossierEvent, Hold
from ged.domain.model import Document, Dossier, PlanNode, Relation, Version
from ged.domain.signatures import SignatureReport
from ged.services.filing import load_dossier
from ged.services.lifecycle import Evaluated, evaluate, load_referential
from ged.services.ports import UnitOfWork
from seda import model as m


@dataclass(frozen=True)
class Item:
    document: Document
    version: Version
    report: SignatureReport | None = None  # its signatures, as last verified
    signs: tuple[str, ...] = ()  # for a detached signature (.p7s): the documents it signs


# Documents read per unit of work while the SIP is written: a dossier is never held whole.
PAGE = 1000


@dataclass(frozen=True)
class DossierFile:
    """A dossier as the transfer reads it: its lifecycle as ``GET /dossiers/{id}/lifecycle``
    computes it, its events and holds, its service and node, and what its documents' signatures
    need (their reports, what each detached signature signs); its documents themselves are read
    page by page as the SIP is written (``items_of``)."""

    dossier: Dossier
    lifecycle: Evaluated
    events: list[DossierEvent]
    holds: list[Hold]  # every hold, lifted ones included
    service: str | None  # the producing service's SEDA identifier
    node: PlanNode | None
    reports: dict[str, SignatureReport]  # by document: its current version's, when verified
    signing: dict[str, list[str]]  # a detached signature's document -> the documents it signs


def load_files(
    uow: UnitOfWork, actor: Principal, dossier_ids: list[str], day: date
) -> list[DossierFile]:
    """Each dossier (one the actor cannot read is not found), in the order given."""
    dossiers = [load_dossier(uow, actor, d) for d in dossier_ids]
    ref = load_referential(uow, actor.organisation_id)
    evaluated = evaluate(uow, ref, dossiers, day)
    nodes = {n.id: n for n in uow.repo.list_plan_nodes(actor.organisation_id)}
    services = {s.id: s for s in uow.repo.list_services(actor.organisation_id)}
    found = []
    for dossier, ev in zip(dossiers, evaluated, strict=True):
        service = services.get(dossier.service_id)
        found.append(
            DossierFile(
                dossier,
                ev,
                uow.lifecycle.events_of(dossier.id),
                uow.lifecycle.list_holds(actor.organisation_id, dossier.id, include_lifted=True),
                service.seda_identifier if service and service.seda_identifier else None,
                nodes.get(dossier.plan_node_id or ""),
                uow.signatures.current_in_dossier(dossier.id),
                uow.relations.in_dossier(dossier.id, Relation.SIGNATURE_OF),
            )
        )
    return found


def items_of(
    uows: Callable[[], AbstractContextManager[UnitOfWork]],
    found: DossierFile,
    page: int | None = None,
) -> Iterator[Item]:
    """The dossier's documents with their current versions, in filing order, ``page`` (``PAGE``)
    at a time, each page in a unit of work of its own (``uows``): as the SIP's writing asks."""
    page = page or PAGE
    after: str | None = None
    while True:
        with uows() as uow:
            documents = uow.repo.documents_in(found.dossier.id, page, after=after)
            versions = uow.repo.current_versions([doc.id for doc in documents])
        for doc in documents:
            current = versions.get(doc.id)
            if current is not None:
                signs = tuple(found.signing.get(doc.id, ()))
                yield Item(doc, current, found.reports.get(doc.id), signs)
        if len(documents) < page:
            return
        after = documents[-1].id


def dossier_content(found: DossierFile, transfer: str, when: datetime) -> m.Content:
    d = found.dossier
    keywords: tuple[m.Keyword, ...] = ()
    if found.node is not None:
        node = found.node
        keywords = (m.Keyword(node.label, reference=node.code, type="function"),)
    return m.Content(
        description_level="File",
        titles=(d.title,),
        descriptions=(d.description,) if d.description else (),
        start_date=d.opened_on.isoformat(),
        end_date=d.closed_on.isoformat() if d.closed_on else None,
        system_ids=(d.id,),
        originating_agency_archive_unit_identifiers=(d.reference,) if d.reference else (),
        keywords=keywords,
        originating_agency=found.service,
        events=tuple(_events(found, transfer, when)),
    )


def _events(found: DossierFile, transfer: str, when: datetime) -> list[m.Event]:
    """The dossier's history, by date: opened, closed, business events, holds, this transfer."""
    d = found.dossier
    events = [_event("opened", "Ouverture du dossier", d.opened_on)]
    if d.closed_on is not None:
        events.append(_event("closed", "Clôture du dossier", d.closed_on))
    events += [_event("business_event", e.name, e.on) for e in found.events]
    for hold in found.holds:
        events.append(_event("held", "Gel", hold.placed_at, hold.reason))
        if hold.lifted_at is not None:
            events.append(_event("hold_lifted", "Levée du gel", hold.lifted_at, hold.lift_reason))
    ordered = sorted(events, key=lambda e: e.date_time)
    return [*ordered, _event("transferred", "Versement", when, transfer)]


def _event(code: str, kind: str, when: date | datetime, detail: str | None = None) -> m.Event:
    return m.Event(date_time=when.isoformat(), type_code=code, type=kind, detail=detail or None)


def document_content(doc: Document) -> m.Content:
    meta = doc.metadata
    keywords = [m.Keyword(k, type="subject") for k in meta.keywords if k.strip()]
    if meta.document_type:
        keywords.append(m.Keyword(meta.document_type, type="genreform"))
    return m.Content(
        description_level="Item",
        titles=(meta.title,),
        descriptions=(meta.description,) if meta.description else (),
        start_date=meta.created_on.isoformat() if meta.created_on else None,
        system_ids=(doc.id,),
        keywords=tuple(keywords),
    )
