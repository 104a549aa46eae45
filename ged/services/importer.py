"""Bulk import of a folder tree (``gedsae import DIR``).

Every folder holding files becomes a dossier (its path relative to DIR is the title); every
file becomes a document. Files are stored in batches that become durable together (one sync per
batch instead of one fsync per file), identified in one call into Siegfried and extracted with
every sandbox worker busy — from the source files, which still carry their names — then recorded
in one transaction per batch. Then, as after an upload (``ged.services.processing``), an
e-mail's attachments are filed as documents of its dossier and the signatures of the files that
may carry one (PDF, XML, ``.p7s``) are verified, a report stored per version.
"""

from __future__ import annotations

import logging
import mimetypes
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ged.domain.access import Principal
from ged.domain.model import Document, Dossier, ExtractionStatus, Metadata, Version
from ged.services import processing
from ged.services.context import Context, new_id
from ged.services.documents import OCTET_STREAM, build_version, index_fields, safe_filename
from ged.services.ports import ExtractedText, FormatFacts, UnitOfWork
from ged.services.signatures import (
    DETACHED,
    PDF,
    XML,
    kind_of,
    record_unsigned,
    verify_after_upload,
)
from kernel.blobstore.ports import ContentRef
from kernel.errors import GedsaeError, NotFoundError
from kernel.oplog import LogSpec

log = logging.getLogger("gedsae.import")
BATCH = 500
IDENTIFY_SLICE = 100  # Siegfried holds the GIL of whichever process runs it for a whole call
Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    files: int = 0
    bytes: int = 0
    dossiers: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    folders: dict[Path, str] = field(default_factory=dict)  # folder -> dossier id


@dataclass(frozen=True)
class ImportTarget:
    actor: Principal
    root: Path
    service_id: str
    plan_node_id: str | None
    process: bool


@dataclass(frozen=True)
class Stored:
    folder: Path
    path: Path
    ref: ContentRef


def walk(root: Path) -> Iterator[tuple[Path, list[Path]]]:
    """Folders in a stable order, each with its files; symlinks are not followed."""
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        yield Path(folder), [Path(folder) / f for f in sorted(files)]


def import_tree(
    ctx: Context,
    actor: Principal,
    root: Path,
    service_id: str,
    *,
    plan_node_id: str | None = None,
    progress: Progress = lambda files, size: None,
    process: bool = True,
) -> ImportSummary:
    actor.ensure_files(actor.organisation_id, service_id, "Service")
    with ctx.uow() as uow:
        if uow.repo.get_service(actor.organisation_id, service_id) is None:
            raise NotFoundError("Service introuvable")
    target = ImportTarget(actor, root, service_id, plan_node_id, process)
    summary = ImportSummary()
    # Two stages overlap: the main thread stores batch k+1 (I/O and hashing, which release the
    # GIL) while a worker identifies, extracts and records batch k.
    with ThreadPoolExecutor(1, thread_name_prefix="ged-import") as worker:
        in_flight: Future[None] | None = None
        for batch in _batches(root, summary):
            stored = _store_batch(ctx, root, batch, summary)
            if in_flight is not None:
                in_flight.result()
                progress(summary.files, summary.bytes)
            in_flight = worker.submit(_finish_batch, ctx, target, stored, summary)
        if in_flight is not None:
            in_flight.result()
            progress(summary.files, summary.bytes)
    return summary


def _batches(root: Path, summary: ImportSummary) -> Iterator[list[tuple[Path, Path]]]:
    pending: list[tuple[Path, Path]] = []
    for folder, files in walk(root):
        for path in files:
            if path.is_symlink() or not path.is_file():
                reason = "pas un fichier ordinaire (lien, périphérique…)"
                summary.skipped.append((str(path.relative_to(root)), reason))
                continue
            pending.append((folder, path))
            if len(pending) >= BATCH:
                yield pending
                pending = []
    if pending:
        yield pending


def _store_batch(
    ctx: Context, root: Path, items: list[tuple[Path, Path]], summary: ImportSummary
) -> list[Stored]:
    stored = []
    with ctx.blobs.batch() as batch:
        for folder, path in items:
            try:
                with path.open("rb") as stream:
                    ref = batch.put(stream, max_size=ctx.max_upload_bytes)
            except OSError as exc:
                summary.skipped.append((str(path.relative_to(root)), f"illisible : {exc.strerror}"))
                continue
            except Exception as exc:  # one bad file must not stop the import
                summary.skipped.append((str(path.relative_to(root)), str(exc)))
                continue
            stored.append(Stored(folder, path, ref))
    return stored


def _analyse(
    ctx: Context, stored: list[Stored], process: bool
) -> tuple[list[FormatFacts | None], list[ExtractedText | None]]:
    """Identification and extraction run at the same time: extraction is routed by the file's
    extension, then redone for the rare file whose identified type says otherwise. Siegfried
    holds the GIL for a whole call, so it gets small slices."""
    if not process:
        return [None] * len(stored), [None] * len(stored)
    guessed = [mimetypes.guess_type(s.path.name)[0] for s in stored]
    with ThreadPoolExecutor(1, thread_name_prefix="ged-extract") as extractor:
        jobs = list(zip([s.path for s in stored], guessed, strict=True))
        texts_future = extractor.submit(lambda: list(ctx.extract_many(jobs)))
        facts: list[FormatFacts | None] = []
        for first in range(0, len(stored), IDENTIFY_SLICE):
            facts.extend(
                ctx.identify_many([s.path for s in stored[first : first + IDENTIFY_SLICE]])
            )
        texts: list[ExtractedText | None] = list(texts_future.result())
    redo = [
        (i, f.mime_type)
        for i, f in enumerate(facts)
        if f and f.mime_type not in (OCTET_STREAM, guessed[i])
    ]
    again = ctx.extract_many([(stored[i].path, mime) for i, mime in redo])
    for (i, _), text in zip(redo, again, strict=True):
        texts[i] = text
    return facts, texts


def _finish_batch(
    ctx: Context, target: ImportTarget, stored: list[Stored], summary: ImportSummary
) -> None:
    """One transaction per batch, each table written in one round trip: row by row, building
    and compiling ~11 statements cost 6.7 ms per document (profiled)."""
    if not stored:
        return
    facts, texts = _analyse(ctx, stored, target.process)
    with ctx.uow() as uow:
        for item in stored:
            if item.folder not in summary.folders:
                summary.folders[item.folder] = _create_dossier(ctx, uow, target, item.folder)
                summary.dossiers += 1
        rows = [
            _build(ctx, target, item, fact, text, summary)
            for item, fact, text in zip(stored, facts, texts, strict=True)
        ]
        pks = uow.repo.add_documents([doc for doc, _, _ in rows])
        uow.repo.ensure_blobs([item.ref for item in stored], ctx.clock())
        uow.repo.add_versions([version for _, version, _ in rows])
        uow.repo.add_texts([(v.document_id, v.number, b) for _, v, b in rows if b is not None])
        uow.repo.search.index_many(
            [(pks[doc.id], index_fields(doc, v.filename, b or "")) for doc, v, b in rows]
        )
        uow.log_many([_log_spec(target, doc, v) for doc, v, _ in rows])
        uow.commit()
    if target.process:
        rows_and_paths = zip(rows, stored, strict=True)
        _after_filing(
            ctx, [(doc, version, item.path) for (doc, version, _), item in rows_and_paths]
        )
    summary.files += len(stored)
    summary.bytes += sum(item.ref.size for item in stored)


def _after_filing(ctx: Context, rows: list[tuple[Document, Version, Path]]) -> None:
    """What the stage after an upload does beyond identification and extraction: an e-mail
    goes through it whole (its attachments become documents), other files have their
    signatures verified. A PDF or XML file with no trace of a signature (no ``/ByteRange``,
    no XML-DSig namespace) gets the report a verification would give it (none) without a
    sandbox call: most imported files are not signed."""
    for doc, version, source in rows:
        kind = kind_of(version)
        if _is_message(version.mime_type):
            try:
                processing.process(ctx, doc.id, version.number)
            except GedsaeError:  # filed and left pending: `gedsae serve` takes it up again
                log.warning("processing of the message %s deferred", doc.id, exc_info=True)
        elif kind is not None and (kind == DETACHED or _may_be_signed(source, kind)):
            verify_after_upload(ctx, doc.id, version.number)
        elif kind is not None:
            record_unsigned(ctx, doc.id, version.number)


_SIGNATURE_MARKS = {PDF: b"/ByteRange", XML: b"http://www.w3.org/2000/09/xmldsig#"}


def _may_be_signed(path: Path, kind: str) -> bool:
    """Whether the file holds the mark every signature of its kind carries (read in blocks)."""
    mark = _SIGNATURE_MARKS[kind]
    tail = b""
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            if mark in tail + block:
                return True
            tail = block[-len(mark) :]
    return False


def _is_message(mime: str) -> bool:
    return mime.split(";", 1)[0].strip().lower() == processing.MESSAGE


def _build(
    ctx: Context,
    target: ImportTarget,
    item: Stored,
    fact: FormatFacts | None,
    text: ExtractedText | None,
    summary: ImportSummary,
) -> tuple[Document, Version, str | None]:
    """The document, its version and the extracted text when extraction succeeded."""
    now = ctx.clock()
    relative = str(item.path.relative_to(target.root))
    meta = Metadata(title=safe_filename(item.path.name), extra={"chemin_origine": relative})
    dossier_id = summary.folders[item.folder]
    doc = Document(
        new_id(), target.actor.organisation_id, dossier_id, target.service_id, meta, now, now, 1
    )
    guessed = mimetypes.guess_type(item.path.name)[0] or ""
    message = _is_message(guessed) or (fact is not None and _is_message(fact.mime_type))
    if target.process and message:  # left pending: processed whole after filing
        fact, text = None, None
    version = build_version(
        ctx, target.actor, doc.id, 1, item.ref, item.path.name, None, facts=fact, text=text
    )
    if text is None or version.extraction_status is not ExtractionStatus.DONE:
        return doc, version, None
    return doc, version, text.text


def _log_spec(target: ImportTarget, doc: Document, version: Version) -> LogSpec:
    details = {
        "title": doc.metadata.title,
        "sha256": version.sha256,
        "size": version.size,
        "dossier_id": doc.dossier_id,
    }
    return LogSpec(
        target.actor.id, "document.import", "document", doc.id, doc.organisation_id, details
    )


def _create_dossier(ctx: Context, uow: UnitOfWork, target: ImportTarget, folder: Path) -> str:
    title = str(folder.relative_to(target.root)) if folder != target.root else target.root.name
    actor = target.actor
    dossier = Dossier(
        new_id(),
        actor.organisation_id,
        target.service_id,
        target.plan_node_id,
        title or "import",
        ctx.clock().date(),
    )
    uow.repo.add_dossier(dossier, ctx.clock())
    details = {"title": dossier.title}
    uow.log(actor.id, "dossier.create", "dossier", dossier.id, actor.organisation_id, details)
    return dossier.id
