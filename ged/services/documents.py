"""Filing documents and their versions; reading, updating metadata, downloading.

Bytes never pass through the domain: the upload streams into ``BlobStore.put`` (hashing while
writing), then one transaction records the blob, the document and its version, and the log
entry. If that transaction fails, the blob is removed again unless something references it.
Identification, text extraction and indexing run after the acknowledgement
(``ged.services.processing``).
"""

from __future__ import annotations

import mimetypes
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from ged.domain.access import Principal
from ged.domain.model import Damage, Document, ExtractionStatus, Metadata, Relation, Version
from ged.services.context import Context, new_id
from ged.services.filing import load_dossier
from ged.services.fixity import record_damage
from ged.services.ports import ContentCorrupted, ExtractedText, FormatFacts, UnitOfWork
from kernel.blobstore.ports import BlobNotFound, Chunks, ContentRef
from kernel.errors import InvalidError, Issue, NotFoundError

MAX_FILENAME = 255
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class Filed:
    document: Document
    version: Version


def safe_filename(raw: str | None) -> str:
    """The original name is kept as metadata, never used as a path: strip any directory part,
    control characters and bidi overrides; cap the length; never empty."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    if not (name.isascii() and name.isprintable()):  # ASCII and printable: nothing to remove
        name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
        name = unicodedata.normalize("NFC", name)
    name = name.strip().strip(".")
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext if dot and len(ext) <= 16 else ""
        name = (stem if dot else name)[: MAX_FILENAME - len(ext) - 1] + ("." + ext if ext else "")
    return name or "document"


def _store(ctx: Context, data: Chunks, expected_size: int | None) -> ContentRef:
    return ctx.blobs.put(data, expected_size=expected_size, max_size=ctx.max_upload_bytes)


def _forget_blob(ctx: Context, ref: ContentRef) -> None:
    """Compensation after a failed transaction: no orphan blob is left behind."""
    with ctx.uow() as uow:
        referenced = uow.repo.blob_referenced(ref.sha256)
    if not referenced:
        ctx.blobs.delete(ref.sha256)


def file_document(
    ctx: Context,
    actor: Principal,
    dossier_id: str,
    data: Chunks,
    *,
    filename: str | None,
    metadata: Metadata,
    mime_type: str | None = None,
    expected_size: int | None = None,
    signature_of: str | None = None,
) -> Filed:
    """Files a new document; ``signature_of``: the document of the same dossier this one (a
    detached signature) signs."""
    metadata.validate()
    with ctx.uow() as uow:  # check access before reading a byte of the body
        dossier = load_dossier(uow, actor, dossier_id)
        actor.ensure_files(dossier.organisation_id, dossier.service_id, "Dossier")
        dossier.ensure_open()
    ref = _store(ctx, data, expected_size)
    try:
        with ctx.uow() as uow:
            dossier = load_dossier(uow, actor, dossier_id)
            dossier.ensure_open()
            now = ctx.clock()
            doc = Document(
                new_id(),
                dossier.organisation_id,
                dossier.id,
                dossier.service_id,
                metadata,
                now,
                now,
                1,
            )
            uow.repo.add_document(doc)
            version = record_version(ctx, uow, actor, doc, 1, ref, filename, mime_type)
            if signature_of is not None:
                relate_signature(uow, doc, signature_of)
            details = {
                "title": metadata.title,
                "sha256": ref.sha256,
                "size": ref.size,
                "dossier_id": dossier.id,
            }
            reindex(uow, doc)
            uow.log(actor.id, "document.create", "document", doc.id, doc.organisation_id, details)
            uow.commit()
    except BaseException:
        _forget_blob(ctx, ref)
        raise
    return Filed(doc, version)


def add_version(
    ctx: Context,
    actor: Principal,
    document_id: str,
    data: Chunks,
    *,
    filename: str | None,
    mime_type: str | None = None,
    expected_size: int | None = None,
) -> Filed:
    with ctx.uow() as uow:
        doc = _load_for_filing(uow, actor, document_id)
    ref = _store(ctx, data, expected_size)
    try:
        with ctx.uow() as uow:
            doc = _load_for_filing(uow, actor, document_id)
            doc.current_version += 1
            doc.updated_at = ctx.clock()
            uow.repo.update_document(doc)
            version = record_version(
                ctx, uow, actor, doc, doc.current_version, ref, filename, mime_type
            )
            details = {"version": version.number, "sha256": ref.sha256, "size": ref.size}
            reindex(uow, doc)
            uow.log(actor.id, "document.version", "document", doc.id, doc.organisation_id, details)
            uow.commit()
    except BaseException:
        _forget_blob(ctx, ref)
        raise
    return Filed(doc, version)


def _load_for_filing(uow: UnitOfWork, actor: Principal, document_id: str) -> Document:
    doc = load_document(uow, actor, document_id)
    actor.ensure_files(doc.organisation_id, doc.service_id, "Document")
    load_dossier(uow, actor, doc.dossier_id).ensure_open()
    return doc


def build_version(
    ctx: Context,
    actor: Principal,
    document_id: str,
    number: int,
    ref: ContentRef,
    filename: str | None,
    mime_type: str | None,
    *,
    facts: FormatFacts | None = None,
    text: ExtractedText | None = None,
    created_at: datetime | None = None,
) -> Version:
    """A version of a stored blob; identification and extraction results, when already known
    (bulk import), go with it, otherwise ``process`` fills them in later."""
    name = safe_filename(filename)
    guessed = mime_type or mimetypes.guess_type(name)[0] or OCTET_STREAM
    if facts is not None:
        guessed = best_mime(facts, guessed)
    return Version(
        document_id=document_id,
        number=number,
        sha256=ref.sha256,
        sha512=ref.sha512,
        size=ref.size,
        filename=name,
        mime_type=guessed.split(";")[0].strip()[:200],
        puid=facts.puid if facts else None,
        format_name=facts.format_name[:300] if facts else "",
        created_at=created_at or ctx.clock(),
        created_by=actor.id,
        extraction_status=ExtractionStatus(text.status) if text else ExtractionStatus.PENDING,
        extraction_error=text.error if text else None,
    )


def record_version(
    ctx: Context,
    uow: UnitOfWork,
    actor: Principal,
    doc: Document,
    number: int,
    ref: ContentRef,
    filename: str | None,
    mime_type: str | None,
) -> Version:
    uow.repo.ensure_blob(ref, ctx.clock())
    version = build_version(ctx, actor, doc.id, number, ref, filename, mime_type)
    uow.repo.add_version(version)
    return version


def best_mime(facts: FormatFacts, declared: str) -> str:
    """Siegfried's MIME type, unless it only knows the bytes as an unknown binary."""
    return facts.mime_type if facts.mime_type and facts.mime_type != OCTET_STREAM else declared


def relate_signature(uow: UnitOfWork, signature: Document, signed_id: str) -> None:
    """Records that ``signature`` (a detached signature being filed) signs ``signed_id``."""
    target = uow.repo.get_document(signed_id)
    if target is None or target.dossier_id != signature.dossier_id:
        raise InvalidError(
            "signature_of : le document signé doit être un document du même dossier",
            issues=[Issue("signed_document_not_in_dossier", signed_id, path="signature_of")],
        )
    uow.relations.add(signature.id, Relation.SIGNATURE_OF, target.id)


def load_document(uow: UnitOfWork, actor: Principal, document_id: str) -> Document:
    doc = uow.repo.get_document(document_id)
    if doc is None:
        raise NotFoundError("Document introuvable")
    actor.ensure_reads(doc.organisation_id, doc.service_id, "Document")
    return doc


def get_document(
    ctx: Context, actor: Principal, document_id: str
) -> tuple[Document, list[Version]]:
    with ctx.uow() as uow:
        doc = load_document(uow, actor, document_id)
        return doc, uow.repo.list_versions(doc.id)


def update_metadata(
    ctx: Context, actor: Principal, document_id: str, changes: dict[str, object]
) -> Document:
    with ctx.uow() as uow:
        doc = _load_for_filing(uow, actor, document_id)
        merged = {**doc.metadata.__dict__, **changes}
        doc.metadata = Metadata(**merged)
        doc.metadata.validate()
        doc.updated_at = ctx.clock()
        uow.repo.update_document(doc)
        reindex(uow, doc)
        logged = {
            k: v if isinstance(v, str | int | list | dict) or v is None else str(v)
            for k, v in changes.items()
        }
        uow.log(actor.id, "document.update", "document", doc.id, doc.organisation_id, logged)
        uow.commit()
    return doc


def open_version(
    ctx: Context, actor: Principal, document_id: str, number: int | None
) -> tuple[Version, BinaryIO]:
    """The version and a stream of its stored bytes, which the caller re-hashes as it serves
    them (``ged.adapters.fixity.verified_download.verified_blocks``). Content known to be damaged, or
    found missing now, is never served: ``ContentCorrupted`` (409)."""
    with ctx.uow() as uow:
        doc = load_document(uow, actor, document_id)
        version = uow.repo.get_version(doc.id, number or doc.current_version)
    if version is None:
        raise NotFoundError("Version introuvable")
    if version.damage is not None:
        raise ContentCorrupted.of(version.damage, version.sha256)
    try:
        return version, ctx.blobs.open(version.sha256)
    except BlobNotFound as exc:
        record_damage(ctx, actor.id, version.sha256, Damage.MISSING, "download")
        raise ContentCorrupted.of(Damage.MISSING, version.sha256) from exc


def damage_recorder(ctx: Context, actor: Principal, version: Version) -> Callable[[Damage], None]:
    """What a download calls when the bytes it served did not match the version's digests."""

    def recorded(damage: Damage) -> None:
        record_damage(ctx, actor.id, version.sha256, damage, "download")

    return recorded


def index_fields(doc: Document, filename: str, body: str) -> dict[str, str]:
    m = doc.metadata
    return {
        "title": m.title,
        "description": m.description,
        "keywords": " ".join(m.keywords),
        "author": m.author,
        "filename": filename,
        "body": body,
    }


def reindex(uow: UnitOfWork, doc: Document) -> None:
    """Indexes the metadata, the current version's file name and its extracted text."""
    version = uow.repo.get_version(doc.id, doc.current_version)
    body = uow.repo.get_text(doc.id, doc.current_version) or ""
    fields = index_fields(doc, version.filename if version else "", body)
    uow.repo.search.index(uow.repo.document_pk(doc.id), fields)
