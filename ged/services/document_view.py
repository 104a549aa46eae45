"""A document as its page shows it: metadata, versions, and the documents related to it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ged.domain.access import Principal
from ged.domain.model import Document, Relation, Version
from ged.domain.signatures import SignatureReport
from ged.services.context import Context
from ged.services.documents import load_document


@dataclass(frozen=True)
class DocumentView:
    document: Document
    versions: list[Version]
    # document id -> ids: the message it was attached to, its own attachments
    attachment_of: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    signature_of: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    reports: dict[int, SignatureReport] = field(default_factory=dict)  # by version number


def view_document(ctx: Context, actor: Principal, document_id: str) -> DocumentView:
    with ctx.uow() as uow:
        doc = load_document(uow, actor, document_id)
        relations = uow.relations
        return DocumentView(
            doc,
            uow.repo.list_versions(doc.id),
            attachment_of=relations.targets(doc.id, Relation.ATTACHMENT_OF),
            attachments=relations.sources(doc.id, Relation.ATTACHMENT_OF),
            signature_of=relations.targets(doc.id, Relation.SIGNATURE_OF),
            signatures=relations.sources(doc.id, Relation.SIGNATURE_OF),
            reports=uow.signatures.of_document(doc.id),
        )
