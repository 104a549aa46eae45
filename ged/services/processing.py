"""The stage after the acknowledgement of an upload: identify the format, extract the text in
the sandbox, file an e-mail's attachments as documents of its dossier, index, then verify the
signatures (``ged.services.signatures``).

An e-mail's attachments are decoded by the extractor into a private scratch file, stored as
blobs, then recorded with the message's extraction result in ONE transaction: a version leaves
``pending`` together with its attachments, so a crash in between files them again at the next
start and never twice. Blobs stored for a transaction that fails are removed again. Attachments
are processed in turn; those of attachments only down to ``MAX_ATTACHMENT_DEPTH`` levels.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ged.domain.model import Document, ExtractionStatus, Metadata, Relation, Version
from ged.services.context import Context, new_id
from ged.services.documents import (
    OCTET_STREAM,
    _forget_blob,
    best_mime,
    reindex,
    safe_filename,
)
from ged.services.ports import EmbeddedFile, ExtractedText, UnitOfWork
from ged.services.signatures import verify_after_upload
from kernel.blobstore.ports import ContentRef

MAX_ATTACHMENT_DEPTH = 3
MESSAGE = "message/rfc822"  # RFC 5322 messages: their attachments are filed as documents
_BLOCK = 1 << 20


@dataclass(frozen=True)
class _Attachment:
    item: EmbeddedFile
    ref: ContentRef


def process(ctx: Context, document_id: str, number: int) -> Version | None:
    """Post-ingest step: identify the format, extract the text (sandboxed), file the
    attachments, index; then the same for each attachment filed."""
    with ctx.uow() as uow:
        version = uow.repo.get_version(document_id, number)
        depth = attachment_depth(uow, document_id)
    if version is None or version.extraction_status is not ExtractionStatus.PENDING:
        return version
    with ctx.local_copy(version.sha256) as path, ExitStack() as stack:
        facts = ctx.identify(path, filename=version.filename)
        mime = best_mime(facts, version.mime_type)
        splits = is_message(mime) and depth < MAX_ATTACHMENT_DEPTH
        parts = stack.enter_context(ctx.scratch()) if splits else None
        text = ctx.extract(path, mime, parts=parts)
        attachments = _store_attachments(ctx, parts, text.attachments) if parts else []
    try:
        with ctx.uow() as uow:
            doc = uow.repo.get_document(document_id)
            if doc is None:
                return None
            uow.repo.set_version_format(document_id, number, facts.puid, facts.format_name, mime)
            _record_text(uow, doc, number, text)
            filed = [_file_attachment(ctx, uow, doc, version, found) for found in attachments]
            uow.commit()
            processed = uow.repo.get_version(document_id, number)
    except BaseException:
        for found in attachments:
            _forget_blob(ctx, found.ref)
        raise
    verify_after_upload(ctx, document_id, number)
    for attachment in filed:
        process(ctx, attachment.id, 1)
    return processed


def is_message(mime: str) -> bool:
    return mime.split(";", 1)[0].strip().lower() == MESSAGE


def _record_text(uow: UnitOfWork, doc: Document, number: int, text: ExtractedText) -> None:
    status = ExtractionStatus(text.status)
    uow.repo.set_extraction(doc.id, number, status, text.error)
    if status is ExtractionStatus.DONE:
        uow.repo.set_text(doc.id, number, text.text)
    reindex(uow, doc)


def attachment_depth(uow: UnitOfWork, document_id: str) -> int:
    """How many messages up the chain of ``attachment_of`` a document is (0: not attached)."""
    depth, current = 0, document_id
    while depth <= MAX_ATTACHMENT_DEPTH:
        parents = uow.relations.targets(current, Relation.ATTACHMENT_OF)
        if not parents:
            return depth
        depth, current = depth + 1, parents[0]
    return depth


def _store_attachments(
    ctx: Context, parts: Path, found: tuple[EmbeddedFile, ...]
) -> list[_Attachment]:
    stored: list[_Attachment] = []
    try:
        with parts.open("rb") as source:
            for item in found:
                source.seek(item.offset)
                ref = ctx.blobs.put(
                    _slice(source, item.size),
                    expected_size=item.size,
                    max_size=ctx.max_upload_bytes,
                )
                stored.append(_Attachment(item, ref))
    except BaseException:
        for attachment in stored:
            _forget_blob(ctx, attachment.ref)
        raise
    return stored


def _slice(source: BinaryIO, size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        block = source.read(min(_BLOCK, left))
        if not block:
            return
        left -= len(block)
        yield block


def _file_attachment(
    ctx: Context, uow: UnitOfWork, message: Document, of: Version, found: _Attachment
) -> Document:
    """The attachment as a document of the message's dossier, related to the message."""
    now, name = ctx.clock(), safe_filename(found.item.filename)
    metadata = Metadata(title=name, language=message.metadata.language)
    doc = Document(
        new_id(), message.organisation_id, message.dossier_id, message.service_id,
        metadata, now, now, 1,
    )  # fmt: skip
    uow.repo.add_document(doc)
    uow.repo.ensure_blob(found.ref, now)
    uow.repo.add_version(_attachment_version(doc, name, found, of.created_by))
    uow.relations.add(doc.id, Relation.ATTACHMENT_OF, message.id)
    reindex(uow, doc)
    details = {
        "title": name,
        "sha256": found.ref.sha256,
        "size": found.ref.size,
        "dossier_id": doc.dossier_id,
        "attachment_of": message.id,
    }
    uow.log(of.created_by, "document.create", "document", doc.id, doc.organisation_id, details)
    return doc


def _attachment_version(doc: Document, name: str, found: _Attachment, created_by: str) -> Version:
    declared = found.item.mime_type
    if declared in ("", OCTET_STREAM):
        declared = mimetypes.guess_type(name)[0] or OCTET_STREAM
    ref = found.ref
    return Version(
        document_id=doc.id,
        number=1,
        sha256=ref.sha256,
        sha512=ref.sha512,
        size=ref.size,
        filename=name,
        mime_type=declared.split(";")[0].strip()[:200],
        puid=None,
        format_name="",
        created_at=doc.created_at,
        created_by=created_by,
    )
