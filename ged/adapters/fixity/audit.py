"""Fixity audit of the GED's content (OAIS Archival Storage "error checking", ISO 14721
§4.1.1.3; NF Z42-013 §5): every blob a version holds is re-hashed on the main store and on the
replica, against BOTH digests and the size recorded at ingest (the ``blobs`` table), never
against the copy itself.

A bad main copy (missing, altered) is repaired from the replica only when the replica's copy
re-verifies while it is copied, and the repaired copy is hashed again; the replica is filled and
repaired the same way from a verified main copy, so after an audit it holds a verified copy of
every blob. Content with no good copy left is marked damaged and logged for each document
holding it (``ged.services.fixity``): downloads refuse it until a later audit finds a good copy
again. A store that cannot be read is reported, never taken for damage. Blobs a store holds but
no version references are reported and left in place (an upload may be committing them). Temp
files of dead processes are removed (``tempfiles``). One operation-log entry sums the audit up.

Shared with the archival repository's audit of its storage offers: the copy checks and repairs of
``kernel.blobstore.fixity``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ged.adapters.fixity.audit_report import STATE_CODES, AuditCode, AuditReport, copy_message
from ged.domain.model import Damage
from ged.services.context import Context
from ged.services.fixity import RecordedBlob, record_damage, record_repair
from kernel.blobstore.fixity import (
    CopyState,
    check_copy,
    copy_verified,
    replace_copy,
    unknown_digests,
)
from kernel.blobstore.ports import BlobStore, StorageUnavailable
from kernel.blobstore.tempfiles import OwnedTempDir

AUDIT_PREFIX: Final = "audit-"  # spool files of repairs, in the instance's spool
_PAGE: Final = 500
_BAD: Final = frozenset({CopyState.MISSING, CopyState.ALTERED})


@dataclass(frozen=True)
class _Audit:
    ctx: Context
    report: AuditReport
    spool: OwnedTempDir
    repair: bool
    actor: str

    @property
    def stores(self) -> list[BlobStore]:
        replica = self.ctx.replica
        return [self.ctx.blobs] if replica is None else [self.ctx.blobs, replica]


def audit_blobs(
    ctx: Context,
    spool_dir: Path,
    *,
    repair: bool = True,
    stop: threading.Event | None = None,
    actor: str = "audit",
) -> AuditReport:
    """Re-hashes every blob on the main store and the replica, repairs, marks, reports."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    run = _Audit(ctx, AuditReport(), OwnedTempDir(spool_dir, (AUDIT_PREFIX,)), repair, actor)
    _remove_temp_files(run)
    for blob in _held_blobs(ctx):
        if stop is not None and stop.is_set():
            run.report.interrupted = True
            break
        run.report.blobs_checked += 1
        _audit_blob(run, blob)
    for store in run.stores:
        _report_unreferenced(run, store)
    _log(run)
    return run.report


def _held_blobs(ctx: Context) -> Iterator[RecordedBlob]:
    last = ""
    while True:
        with ctx.uow() as uow:
            page = uow.fixity.blobs_after(last, _PAGE)
        yield from page
        if len(page) < _PAGE:
            return
        last = page[-1].sha256


def _audit_blob(run: _Audit, blob: RecordedBlob) -> None:
    main, replica = run.ctx.blobs, run.ctx.replica
    found = _checked(run, main, blob, quiet_if_missing=False)
    state = found
    if replica is not None:
        # A copy missing from the replica while the main one is good is added below (counted).
        fill = run.repair and found is CopyState.OK
        replica_state = _checked(run, replica, blob, quiet_if_missing=fill)
        if run.repair and found in _BAD and replica_state is CopyState.OK:
            state = _repaired(run, blob, replica, main, found=found)
        elif fill and replica_state in _BAD:
            _repaired(run, blob, main, replica, found=replica_state)
    _settle_damage(run, blob, found, state)


def _checked(
    run: _Audit, store: BlobStore, blob: RecordedBlob, *, quiet_if_missing: bool
) -> CopyState:
    state = check_copy(store, blob)
    if not (quiet_if_missing and state is CopyState.MISSING):
        run.report.add(STATE_CODES[state], copy_message(state), blob.sha256, store.name)
    return state


def _repaired(
    run: _Audit, blob: RecordedBlob, source: BlobStore, target: BlobStore, *, found: CopyState
) -> CopyState:
    """Rewrites ``target``'s copy from a copy of ``source`` that re-verifies; the new state."""
    fd, spool = run.spool.mkstemp(AUDIT_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            verified = copy_verified(blob, [source], out) is not None
        state = replace_copy(target, spool, blob) if verified else CopyState.UNREADABLE
    finally:
        spool.unlink(missing_ok=True)
    if state is CopyState.OK and not _still_held(run, blob, target):
        return found
    added = found is CopyState.MISSING and target is run.ctx.replica
    _report_repair(run, blob, source, target, state, added=added)
    return state if state is CopyState.OK else found


def _still_held(run: _Audit, blob: RecordedBlob, target: BlobStore) -> bool:
    """An elimination may have purged the blob meanwhile: then the copy just made goes too."""
    with run.ctx.uow() as uow:
        held = bool(uow.fixity.known([blob.sha256]))
    if not held:
        target.delete(blob.sha256)
    return held


def _report_repair(
    run: _Audit,
    blob: RecordedBlob,
    source: BlobStore,
    target: BlobStore,
    state: CopyState,
    *,
    added: bool,
) -> None:
    report, sha256 = run.report, blob.sha256
    if state is not CopyState.OK:
        message = f"Copie non réécrite depuis {source.name} : aucune copie revérifiée ({state})"
        report.add(AuditCode.REPAIR_FAILED, message, sha256, target.name)
    elif added:
        report.add(AuditCode.REPLICA_COPY_ADDED, "Copie ajoutée à la réplique", sha256, target.name)
    else:
        message = f"Copie réécrite depuis {source.name}, puis revérifiée"
        report.add(AuditCode.COPY_REPAIRED, message, sha256, target.name)


def _settle_damage(run: _Audit, blob: RecordedBlob, found: CopyState, state: CopyState) -> None:
    """Marks content with no good main copy damaged; logs a repair and clears the mark."""
    ctx, sha256 = run.ctx, blob.sha256
    if state in _BAD:
        record_damage(ctx, run.actor, sha256, _DAMAGES[state], "audit")
        message = "Contenu endommagé sans copie saine : marqué, refusé aux téléchargements"
        run.report.add(AuditCode.CONTENT_DAMAGED, message, sha256, ctx.blobs.name)
        return
    if state is not CopyState.OK:
        return  # unreadable: nothing is known of the copy
    if found in _BAD:  # found damaged, then repaired from the replica: both are logged
        record_damage(ctx, run.actor, sha256, _DAMAGES[found], "audit")
    if found in _BAD or blob.damage is not None:
        record_repair(
            ctx, run.actor, sha256, ctx.replica.name if found in _BAD and ctx.replica else None
        )
    if blob.damage is not None:
        message = "Contenu de nouveau intact : marque de dommage levée"
        run.report.add(AuditCode.DAMAGE_CLEARED, message, sha256, ctx.blobs.name)


_DAMAGES: Final = {CopyState.MISSING: Damage.MISSING, CopyState.ALTERED: Damage.ALTERED}


def _report_unreferenced(run: _Audit, store: BlobStore) -> None:
    def known_among(digests: list[str]) -> set[str]:
        with run.ctx.uow() as uow:
            return uow.fixity.known(digests)

    try:
        for digest in unknown_digests(store, known_among):
            message = "Contenu stocké qu'aucune version ne référence (conservé)"
            run.report.add(AuditCode.UNREFERENCED_BLOB, message, digest, store.name)
    except (StorageUnavailable, OSError):
        message = "Liste des contenus illisible : contenus non référencés non recherchés"
        run.report.add(AuditCode.STORE_UNREADABLE, message, None, store.name)


def _remove_temp_files(run: _Audit) -> None:
    try:
        removed = run.ctx.sweep_temp_files() + run.spool.remove_stale()
    except (StorageUnavailable, OSError):
        message = "Fichiers temporaires illisibles : non nettoyés"
        run.report.add(AuditCode.STORE_UNREADABLE, message, None, run.ctx.blobs.name)
        return
    for leftover in removed:
        message = f"Fichier temporaire d'un processus arrêté supprimé : {leftover.path} ({leftover.size} octets)"
        run.report.add(AuditCode.TEMP_FILE_REMOVED, message, None, None)


def _log(run: _Audit) -> None:
    summary = run.report.to_dict()
    details = {key: summary[key] for key in ("blobs_checked", "clean", "interrupted", "counts")}
    with run.ctx.uow() as uow:
        uow.log(run.actor, "storage.audit", "storage", run.ctx.blobs.name, None, details)
        uow.commit()
