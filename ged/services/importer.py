"""Bulk import of a folder tree (``gedsae import DIR``).

Every folder holding files becomes a dossier (its path relative to DIR is the title); every
file becomes a document. Files are stored in batches that become durable together (one sync per
batch instead of one fsync per file), then recorded in one transaction per batch; format
identification and text extraction follow, off the acknowledgement path.
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
from ged.services.documents import _record_version, process, reindex, safe_filename
from ged.services.ports import ContentRef, UnitOfWork

BATCH = 500


@dataclass
class ImportSummary:
    files: int = 0
    bytes: int = 0
    dossiers: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    document_ids: list[tuple[str, int]] = field(default_factory=list)
    folders: dict[Path, str] = field(default_factory=dict)  # folder -> dossier id


def walk(root: Path) -> Iterator[tuple[Path, list[Path]]]:
    """Folders in a stable order, each with its regular files; symlinks are not followed."""
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
    progress: Callable[[int, int], None] = lambda files, size: None,
) -> ImportSummary:
    actor.ensure_files(actor.organisation_id, service_id, "Service")
    with ctx.uow() as uow:
        if uow.repo.get_service(actor.organisation_id, service_id) is None:
            raise NotFoundError("Service introuvable")
    summary = ImportSummary()
    pending: list[tuple[Path, Path]] = []
    for folder, files in walk(root):
        regular = []
        for path in files:
            if path.is_symlink() or not path.is_file():
                summary.skipped.append(
                    (str(path.relative_to(root)), "pas un fichier ordinaire (lien, périphérique…)")
                )
            else:
                regular.append(path)
        for path in regular:
            pending.append((folder, path))
            if len(pending) >= BATCH:
                _import_batch(
                    ctx, actor, root, service_id, plan_node_id, pending, summary, progress
                )
                pending = []
    if pending:
        _import_batch(ctx, actor, root, service_id, plan_node_id, pending, summary, progress)
    return summary


def _store_batch(
    ctx: Context, root: Path, items: list[tuple[Path, Path]], summary: ImportSummary
) -> list[tuple[Path, Path, ContentRef]]:
    stored = []
    with ctx.blobs.batch() as batch:
        for folder, path in items:
            try:
                with path.open("rb") as stream:
                    ref = batch.put(stream, max_size=ctx.max_upload_bytes)
            except OSError as exc:
                summary.skipped.append((str(path.relative_to(root)), f"illisible : {exc.strerror}"))
                continue
            except Exception as exc:
                summary.skipped.append((str(path.relative_to(root)), str(exc)))
                continue
            stored.append((folder, path, ref))
    return stored


def _import_batch(
    ctx: Context,
    actor: Principal,
    root: Path,
    service_id: str,
    plan_node_id: str | None,
    items: list[tuple[Path, Path]],
    summary: ImportSummary,
    progress: Callable[[int, int], None],
) -> None:
    stored = _store_batch(ctx, root, items, summary)
    created: list[tuple[str, int]] = []
    with ctx.uow() as uow:
        for folder, path, ref in stored:
            dossier_id = summary.folders.get(folder)
            if dossier_id is None:
                dossier_id = _create_dossier(
                    ctx, uow, actor, root, folder, service_id, plan_node_id
                )
                summary.folders[folder] = dossier_id
                summary.dossiers += 1
            now = ctx.clock()
            meta = Metadata(
                title=safe_filename(path.name),
                extra={"chemin_origine": str(path.relative_to(root))},
            )
            doc = Document(
                new_id(), actor.organisation_id, dossier_id, service_id, meta, now, now, 1
            )
            uow.repo.add_document(doc)
            _record_version(ctx, uow, actor, doc, 1, ref, path.name, None)
            reindex(uow, doc)
            details = {
                "title": meta.title,
                "sha256": ref.sha256,
                "size": ref.size,
                "dossier_id": dossier_id,
            }
            uow.log(actor.id, "document.import", "document", doc.id, doc.organisation_id, details)
            created.append((doc.id, 1))
            summary.files += 1
            summary.bytes += ref.size
        uow.commit()
    summary.document_ids.extend(created)
    progress(summary.files, summary.bytes)


def _create_dossier(
    ctx: Context,
    uow: UnitOfWork,
    actor: Principal,
    root: Path,
    folder: Path,
    service_id: str,
    plan_node_id: str | None,
) -> str:
    title = str(folder.relative_to(root)) if folder != root else root.name
    dossier = Dossier(
        new_id(),
        actor.organisation_id,
        service_id,
        plan_node_id,
        title or "import",
        ctx.clock().date(),
    )
    uow.repo.add_dossier(dossier, ctx.clock())
    uow.log(
        actor.id,
        "dossier.create",
        "dossier",
        dossier.id,
        actor.organisation_id,
        {"title": dossier.title},
    )
    return dossier.id


def process_all(ctx: Context, items: list[tuple[str, int]], workers: int = 2) -> None:
    """Identification and extraction of imported documents, a few at a time."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for _ in pool.map(lambda item: process(ctx, *item), items):
            pass
