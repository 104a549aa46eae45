"""The stage after acknowledgement, for many versions at once: identify, extract, index.

A version is acknowledged once durable, hashed, logged and its metadata committed; it stays
``pending`` until this stage records its format and text. Whatever interrupts the stage (a
crash, Ctrl-C) leaves the versions it had not recorded ``pending``: ``gedsae serve`` at its
start, or the next ``gedsae import``, takes them up again. Each batch is identified in one call
(the formats certain at a glance without Siegfried, ``ged.adapters.formats.certain_first``) while
its texts are extracted with every sandbox worker busy, routed by the declared type and redone
for the rare file whose identified type says otherwise; then recorded and indexed in ONE
transaction, while the next batch is identified and extracted (and its files searched for a
signature's mark, outside the recording thread). An e-mail goes through ``processing.process``
whole (its attachments become documents); the signatures of the other files are verified
afterwards, as after an upload.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, replace
from pathlib import Path

from ged.domain.model import Document, ExtractionStatus, Version
from ged.domain.signatures import SignatureReport
from ged.services import processing
from ged.services.context import Context
from ged.services.documents import OCTET_STREAM, best_mime, index_fields
from ged.services.ports import ExtractedText, FormatFacts
from ged.services.repository import ProcessedVersion
from ged.services.signatures import (
    DETACHED,
    PDF,
    XML,
    kind_of,
    unsigned_reports,
    verify_after_upload,
)
from kernel.errors import GedsaeError

log = logging.getLogger("gedsae.processing")
BATCH = 200
# A command importing a tree: fewer, larger transactions (4 % less CPU than 200 for 10,000
# small files, and the pipeline's first and last batches, not overlapped, stay short).
IMPORT_BATCH = 500
Progress = Callable[[int], None]  # versions processed so far


@dataclass(frozen=True)
class _Item:
    doc: Document
    version: Version
    path: Path


def count_pending(ctx: Context) -> int:
    with ctx.uow() as uow:
        return uow.repo.count_pending_extraction()


def process_pending(
    ctx: Context, batch: int = BATCH, progress: Progress = lambda done: None
) -> int:
    """Processes every version waiting for identification and extraction, in key order, batch
    after batch; returns how many were taken up. A version that cannot leave ``pending`` (its
    message's processing failed) is passed over until the next run.

    Batch k+1 is identified and extracted (by other processes: Siegfried's, the sandbox
    workers) while batch k is recorded and indexed here, so neither waits for the other."""
    done = 0
    with ThreadPoolExecutor(1, thread_name_prefix="ged-analyse") as ahead:
        keys = _pending_after(ctx, batch, None)
        coming = ahead.submit(_prepare, ctx, keys) if keys else None
        try:
            while coming is not None:
                prepared = coming.result()
                following = _pending_after(ctx, batch, keys[-1])
                coming = ahead.submit(_prepare, ctx, following) if following else None
                with prepared.copies:
                    _finish(ctx, prepared)
                done, keys = done + len(prepared.keys), following
                progress(done)
        finally:
            if coming is not None:  # interrupted: the batch prepared ahead stays pending
                _drop(coming)
    return done


def _drop(coming: Future[_Prepared]) -> None:
    if coming.cancel():
        return
    with suppress(Exception):
        coming.result().copies.close()


def _pending_after(
    ctx: Context, batch: int, after: tuple[str, int] | None
) -> list[tuple[str, int]]:
    with ctx.uow() as uow:
        return uow.repo.versions_pending_extraction(batch, after)


def process_many(ctx: Context, keys: Sequence[tuple[str, int]]) -> None:
    prepared = _prepare(ctx, keys)
    with prepared.copies:
        _finish(ctx, prepared)


@dataclass
class _Prepared:
    """A batch identified and extracted, not yet recorded; ``copies`` holds its local copies
    of the blobs (on a remote store) until it is closed. ``messages`` are processed whole
    (declared, or identified as such); of the other ``items``, those in ``to_verify`` have
    their signatures verified once recorded, and ``reports`` are the reports of the PDF and
    XML files that carry no signature."""

    keys: Sequence[tuple[str, int]]
    copies: ExitStack
    messages: list[tuple[Document, Version]]
    items: list[_Item]
    facts: list[FormatFacts]
    texts: list[ExtractedText]
    to_verify: list[_Item]
    reports: list[tuple[str, int, SignatureReport]]


def _prepare(ctx: Context, keys: Sequence[tuple[str, int]]) -> _Prepared:
    """Everything of a batch that needs no write: run ahead of the recording thread (files
    read for the signature marks, trust anchors read for the reports)."""
    with ctx.uow() as uow:
        versions = [
            v
            for v in uow.repo.get_versions(list(keys))
            if v.extraction_status is ExtractionStatus.PENDING
        ]
        docs = uow.repo.get_documents([v.document_id for v in versions])
    found = [(docs[v.document_id], v) for v in versions if v.document_id in docs]
    messages = [(d, v) for d, v in found if processing.is_message(v.mime_type)]
    others = [(d, v) for d, v in found if not processing.is_message(v.mime_type)]
    with ExitStack() as copies:
        items = [_Item(d, v, copies.enter_context(ctx.local_copy(v.sha256))) for d, v in others]
        facts, texts = _analyse(ctx, items)
        # a message under another name: processed whole, like the declared ones
        late = {i for i, fact in enumerate(facts) if processing.is_message(fact.mime_type)}
        kept = [i for i in range(len(items)) if i not in late]
        messages += [(items[i].doc, items[i].version) for i in sorted(late)]
        items, facts, texts = (
            [items[i] for i in kept],
            [facts[i] for i in kept],
            [texts[i] for i in kept],
        )
        to_verify, unsigned = _signature_work(items, facts)
        reports = unsigned_reports(ctx, [(i.doc, i.version.number) for i in unsigned])
        return _Prepared(keys, copies.pop_all(), messages, items, facts, texts, to_verify, reports)


def _finish(ctx: Context, batch: _Prepared) -> None:
    _record(ctx, batch.items, batch.facts, batch.texts, batch.reports)
    for item in batch.to_verify:  # once the format is recorded, as after an upload
        verify_after_upload(ctx, item.doc.id, item.version.number)
    for doc, version in batch.messages:
        try:
            processing.process(ctx, doc.id, version.number)
        except GedsaeError:  # left pending: taken up again by the next run
            log.warning("processing of the message %s deferred", doc.id, exc_info=True)


def _analyse(ctx: Context, items: list[_Item]) -> tuple[list[FormatFacts], list[ExtractedText]]:
    """Identification (another process) and extraction (the sandbox workers) run at the same
    time: extraction is routed by the declared type, then redone where identification says
    otherwise."""
    if not items:
        return [], []
    declared = [item.version.mime_type for item in items]
    jobs = [(item.path, mime) for item, mime in zip(items, declared, strict=True)]
    with ThreadPoolExecutor(1, thread_name_prefix="ged-extract") as extractor:
        texts_future = extractor.submit(lambda: list(ctx.extract_many(jobs)))
        facts = list(ctx.identify_many([(item.path, item.version.filename) for item in items]))
        texts = texts_future.result()
    redo = [
        (i, best_mime(f, declared[i]))
        for i, f in enumerate(facts)
        if f.mime_type not in (OCTET_STREAM, declared[i]) and not processing.is_message(f.mime_type)
    ]
    again = ctx.extract_many([(items[i].path, mime) for i, mime in redo])
    for (i, _), text in zip(redo, again, strict=True):
        texts[i] = text
    return facts, texts


def _record(
    ctx: Context,
    items: list[_Item],
    facts: list[FormatFacts],
    texts: list[ExtractedText],
    reports: list[tuple[str, int, SignatureReport]],
) -> None:
    """Formats, texts, the search index and the reports of unsigned files of a batch, in one
    transaction."""
    if not items:
        return
    outcomes, bodies = [], []
    for item, fact, text in zip(items, facts, texts, strict=True):
        v = item.version
        status = ExtractionStatus(text.status)
        mime = best_mime(fact, v.mime_type)
        outcomes.append(
            ProcessedVersion(
                v.document_id, v.number, fact.puid, fact.format_name, mime, status, text.error
            )
        )
        if status is ExtractionStatus.DONE:
            bodies.append((v.document_id, v.number, text.text))
    with ctx.uow() as uow:
        uow.repo.set_processed(outcomes)
        uow.repo.add_texts(bodies)
        text_of = {(d, n): body for d, n, body in bodies}
        current = [i for i in items if i.version.number == i.doc.current_version]
        pks = uow.repo.document_pks([i.doc.id for i in current])
        uow.repo.search.index_many(
            [
                (
                    pks[i.doc.id],
                    index_fields(
                        i.doc, i.version.filename, text_of.get((i.doc.id, i.version.number), "")
                    ),
                )
                for i in current
                if i.doc.id in pks
            ]
        )
        uow.signatures.save_many(reports)
        uow.commit()


def _signature_work(
    items: list[_Item], facts: list[FormatFacts]
) -> tuple[list[_Item], list[_Item]]:
    """As after an upload: a detached signature, or a PDF or XML file bearing the mark every
    signature of its kind carries (``/ByteRange``, the XML-DSig namespace), is verified in the
    sandbox; the other PDF and XML files get the report a verification would give them (none)
    without a sandbox call: most files are not signed. Returns both lists."""
    to_verify, unsigned = [], []
    for item, fact in zip(items, facts, strict=True):
        kind = kind_of(_with_mime(item.version, best_mime(fact, item.version.mime_type)))
        if kind is not None and (kind == DETACHED or _may_be_signed(item.path, kind)):
            to_verify.append(item)
        elif kind is not None:
            unsigned.append(item)
    return to_verify, unsigned


def _with_mime(version: Version, mime: str) -> Version:
    return replace(version, mime_type=mime)


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
