"""Reading what an import made: the answer to a repeated import, ``GET /imports/…`` and a
document's circuit history."""

from __future__ import annotations

from ged.domain.access import Principal
from ged.domain.inbound import (
    PROFILE_LABELS,
    DeliberationLink,
    DocumentEvent,
    InboundRecord,
    Profile,
    pair_links,
)
from ged.domain.model import Document
from ged.services.context import Context
from ged.services.documents import load_document
from ged.services.inbound.model import ImportResult, InboundConflict
from ged.services.ports import UnitOfWork
from kernel.errors import NotFoundError


def replay(ctx: Context, actor: Principal, known: InboundRecord, fingerprint: str) -> ImportResult:
    """The same files again: the first import's answer, nothing stored. Other files under the
    same business identifier: ``InboundConflict``, which names the first import."""
    what = PROFILE_LABELS[known.profile]
    if fingerprint != known.fingerprint:
        raise InboundConflict(
            f"{what.capitalize()} « {known.business_id} » déjà importé le "
            f"{known.imported_at:%d/%m/%Y à %H:%M} UTC avec d'autres fichiers : rien n'a été "
            "enregistré",
            business_id=known.business_id,
        )
    try:
        return result_of(ctx, actor, known, created=False)
    except NotFoundError as exc:  # filed in a service the caller does not see
        raise InboundConflict(
            f"{what.capitalize()} « {known.business_id} » déjà importé dans un service "
            "auquel vous n'avez pas accès",
            business_id=known.business_id,
        ) from exc


def result_of(
    ctx: Context, actor: Principal, record: InboundRecord, *, created: bool
) -> ImportResult:
    with ctx.uow() as uow:
        documents = tuple(_with_filename(uow, actor, doc_id) for doc_id in record.document_ids)
        links = _links(uow, record)
    return ImportResult(record, created, documents, links)


def get_import(ctx: Context, actor: Principal, profile: Profile, business_id: str) -> ImportResult:
    with ctx.uow() as uow:
        record = uow.inbound.get(actor.organisation_id, profile, business_id)
    if record is None:
        raise NotFoundError(f"Aucun import « {business_id} » ({PROFILE_LABELS[profile]})")
    return result_of(ctx, actor, record, created=False)


def document_history(ctx: Context, actor: Principal, document_id: str) -> list[DocumentEvent]:
    """The circuit the document went through before it was imported (visas, signatures…)."""
    with ctx.uow() as uow:
        doc = load_document(uow, actor, document_id)
        return uow.inbound.events_of(doc.id)


def _with_filename(uow: UnitOfWork, actor: Principal, document_id: str) -> tuple[Document, str]:
    doc = load_document(uow, actor, document_id)
    version = uow.repo.get_version(doc.id, 1)
    return doc, version.filename if version else ""


def _links(uow: UnitOfWork, record: InboundRecord) -> tuple[DeliberationLink, ...]:
    keys = {claim.key for claim in uow.inbound.claims_of(record.dossier_id)}
    return links_of(uow, record, keys)


def links_of(
    uow: UnitOfWork, record: InboundRecord, keys: set[str]
) -> tuple[DeliberationLink, ...]:
    """The links this import's dossier takes part in (through these keys), on either side."""
    if not keys:
        return ()
    pairs = pair_links(uow.inbound.links(record.organisation_id, sorted(keys)))
    mine = record.dossier_id
    return tuple(p for p in pairs if mine in (p.acte_dossier_id, p.seance_dossier_id))
