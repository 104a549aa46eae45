"""Bulk import of a folder tree (``gedsae import DIR``).

Every folder holding files becomes a dossier (its path relative to DIR is the title); every
file becomes a document. Files are stored in batches that become durable together (one sync per
batch instead of one fsync per file), identified in one call into Siegfried and extracted with
every sandbox worker busy — from the source files, which still carry their names — then recorded
in one transaction per batch.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ged.domain.access import Principal
from ged.domain.errors import NotFoundError
from ged.domain.model import Document, Dossier, Metadata
from ged.services.context import Context, new_id
from ged.services.documents import record_version, reindex, safe_filename
from ged.services.ports import ContentRef, ExtractedText, FormatFacts, UnitOfWork

BATCH = 500
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
    pending: list[tuple[Path, Path]] = []
    for folder, files in walk(root):
        for path in files:
            if path.is_symlink() or not path.is_file():
                reason = "pas un fichier ordinaire (lien, périphérique…)"
                summary.skipped.append((str(path.relative_to(root)), reason))
                continue
            pending.append((folder, path))
            if len(pending) >= BATCH:
                _import_batch(ctx, target, pending, summary)
                progress(summary.files, summary.bytes)
                pending = []
    if pending:
        _import_batch(ctx, target, pending, summary)
        progress(summary.files, summary.bytes)
    return summary


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
    if not process:
        return [None] * len(stored), [None] * len(stored)
    facts: list[FormatFacts | None] = list(ctx.identify_many([s.path for s in stored]))
    jobs = [(s.path, f.mime_type if f else None) for s, f in zip(stored, facts, strict=True)]
    texts: list[ExtractedText | None] = list(ctx.extract_many(jobs))
    return facts, texts


def _import_batch(
    ctx: Context, target: ImportTarget, items: list[tuple[Path, Path]], summary: ImportSummary
) -> None:
    stored = _store_batch(ctx, target.root, items, summary)
    facts, texts = _analyse(ctx, stored, target.process)
    with ctx.uow() as uow:
        for item, fact, text in zip(stored, facts, texts, strict=True):
            _record(ctx, uow, target, item, fact, text, summary)
        uow.commit()


def _record(
    ctx: Context,
    uow: UnitOfWork,
    target: ImportTarget,
    item: Stored,
    fact: FormatFacts | None,
    text: ExtractedText | None,
    summary: ImportSummary,
) -> None:
    actor = target.actor
    dossier_id = summary.folders.get(item.folder)
    if dossier_id is None:
        dossier_id = _create_dossier(ctx, uow, target, item.folder)
        summary.folders[item.folder] = dossier_id
        summary.dossiers += 1
    now = ctx.clock()
    relative = str(item.path.relative_to(target.root))
    meta = Metadata(title=safe_filename(item.path.name), extra={"chemin_origine": relative})
    doc = Document(
        new_id(), actor.organisation_id, dossier_id, target.service_id, meta, now, now, 1
    )
    uow.repo.add_document(doc)
    record_version(ctx, uow, actor, doc, 1, item.ref, item.path.name, None, facts=fact, text=text)
    reindex(uow, doc)
    details = {
        "title": meta.title,
        "sha256": item.ref.sha256,
        "size": item.ref.size,
        "dossier_id": dossier_id,
    }
    uow.log(actor.id, "document.import", "document", doc.id, doc.organisation_id, details)
    summary.files += 1
    summary.bytes += item.ref.size


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
