"""Recovery of the repository after a crash (OAIS Ingest and Archival Storage, ISO 14721 §4.1.1).

Each step of a transfer writes its state before and after it, so a process killed at any moment
leaves a database that says what was under way. ``recover`` runs at startup, before the first
request, and only in a process that is alone on the data directory (``StartupLock``), so it
never undoes the work of a live process:

1. Quarantine files that no unfinished transfer references are deleted: a kill during an upload
   leaves a file before its transfer is recorded, a kill just after a decision leaves the file
   the decision was about to delete. Only files named as ``sae.ingest.receive.quarantine`` names
   them.
2. ``checked`` (killed between the two units of work of ``run_checks``) moves on to
   ``awaiting_review``: its issues are recorded already.
3. ``accepting`` (killed while the archive was written) goes back to ``awaiting_review``, and the
   archivist decides again — except with the workers' queue, where the decision is recorded with
   the claim and the acceptance is a job: it is deferred again (a worker writes it once). Rolling back is the safe option, completing is not possible: the
   archivist's name and comment reach the database only with the decision. The archive exists only
   through the decision's transaction (state, archived objects, catalogue, log entry), so a rolled
   back transfer has no partial archive, and accepting it again makes exactly one archive for its
   MessageIdentifier. Of the transfer's files already written to the offers, the ones the digest
   registry knows were written and verified on every offer (``StorageOffers.store`` registers
   last): they stay, as content-addressed copies another archive may share, and the next
   acceptance reuses them without writing again. The ones the registry does not know are what
   the kill interrupted; no archive can reference them and no store is in progress, so they are
   deleted from every offer (an offer that cannot be reached keeps its copy, which the audit
   reports as an orphan).
4. ``received`` (killed before the checks ended) is checked again: every input of the checks is on
   the stored transfer (``sae.ingest.checks.run_checks``).
5. Temp files a killed process was writing to the offers (``<offer>/tmp/blob-*``: a batch of an
   acceptance) and to the spool are removed; only those of dead processes, as their names say
   (``kernel.blobstore.tempfiles``), whatever other process is alive.

Recovery goes through every tenant, each in its own units of work (and with its own view of
the offers, under its prefix); the quarantine folder is the platform's. Startup waits for
recovery; re-checking hashes every file of the interrupted packages.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from kernel.blobstore.ports import Leftover, StorageUnavailable
from kernel.errors import GedsaeError
from sae.ingest.checks import run_checks
from sae.ingest.settings import QUARANTINE_PREFIX, QUARANTINE_SUFFIX, IngestSettings
from sae.model import Transfer, TransferState
from sae.ports import Database, JobQueue
from sae.storage.offers import StorageOffers
from sae.storage.tenants import TenantStorage
from seda.digests import hash_chunks
from seda.errors import SedaError
from seda.package import open_package
from seda.sip import SIGNATURE_SUFFIX

log = logging.getLogger("gedsae.sae.recovery")

# States whose quarantined package is still needed.
UNFINISHED: Final = (
    TransferState.RECEIVED,
    TransferState.CHECKED,
    TransferState.AWAITING_REVIEW,
    TransferState.ACCEPTING,
)


@dataclass
class RecoveryReport:
    removed_files: list[Path] = field(default_factory=list)
    moved_to_review: list[str] = field(default_factory=list)  # transfer ids, from ``checked``
    rolled_back: list[str] = field(default_factory=list)  # from ``accepting``
    resumed: list[str] = field(default_factory=list)  # ``accepting``, left to the workers' queue
    removed_copies: list[tuple[str, str]] = field(default_factory=list)  # (offer, sha256)
    rechecked: list[str] = field(default_factory=list)  # from ``received``
    failed: list[tuple[str, str]] = field(default_factory=list)  # (transfer id, reason)
    removed_temp_files: list[tuple[str, Leftover]] = field(default_factory=list)  # (offer, file)


def recover(
    db: Database,
    settings: IngestSettings,
    storage: TenantStorage,
    jobs: JobQueue | None = None,
) -> RecoveryReport:
    """Bring every transfer an interrupted process left half-way to a state one can act on.

    Call it only when no other process works on the same database (see ``StartupLock``). With
    the workers' queue (``jobs``), the checks of a ``received`` transfer are deferred to it (at
    most one job per transfer) rather than run here."""
    report = RecoveryReport()
    with db.platform(write=False) as uow:
        tenants = [tenant.identifier for tenant in uow.tenants.all()]
    _remove_orphan_files(db, tenants, settings, report)
    for tenant in tenants:
        _recover_tenant(db, tenant, settings, storage.offers(tenant), jobs, report)
    if report != RecoveryReport():
        log.warning("recovery after an interrupted run: %s", report)
    return report


def _recover_tenant(
    db: Database,
    tenant: str,
    settings: IngestSettings,
    offers: StorageOffers,
    jobs: JobQueue | None,
    report: RecoveryReport,
) -> None:
    for transfer in _in_state(db, tenant, TransferState.CHECKED):
        _move(db, transfer, TransferState.CHECKED, TransferState.AWAITING_REVIEW)
        report.moved_to_review.append(transfer.id)
    for transfer in _in_state(db, tenant, TransferState.ACCEPTING):
        if jobs is not None and jobs.defer_acceptance(transfer):
            # the decision is recorded with the claim: a worker writes (or is writing) it
            report.resumed.append(transfer.id)
        else:
            _roll_back(db, offers, transfer, report)
    for transfer in _in_state(db, tenant, TransferState.RECEIVED):
        if jobs is not None and jobs.defer_checks(transfer):
            report.rechecked.append(transfer.id)
        else:
            _recheck(db, settings, transfer, report)
    _remove_temp_files(offers, report)


def _in_state(db: Database, tenant: str, state: TransferState) -> list[Transfer]:
    with db.reading(tenant) as uow:
        return uow.transfers.in_state(state)


def _move(db: Database, transfer: Transfer, before: TransferState, after: TransferState) -> None:
    with db.unit_of_work(transfer.organisation) as uow:
        uow.transfers.move(transfer.id, before, after)
        uow.commit()


def _remove_orphan_files(
    db: Database, tenants: list[str], settings: IngestSettings, report: RecoveryReport
) -> None:
    needed = {
        transfer.quarantine_path.resolve()
        for tenant in tenants
        for state in UNFINISHED
        for transfer in _in_state(db, tenant, state)
    }
    pattern = f"{QUARANTINE_PREFIX}*{QUARANTINE_SUFFIX}"
    for path in sorted(settings.quarantine_dir.glob(pattern)):
        if path.resolve() not in needed:
            path.unlink(missing_ok=True)
            report.removed_files.append(path)


def _roll_back(
    db: Database, offers: StorageOffers, transfer: Transfer, report: RecoveryReport
) -> None:
    # Copies first: a kill during recovery leaves the transfer accepting, recovered next time.
    for sha256 in _unregistered_files(offers, transfer, report):
        for offer in offers.offers:
            try:
                if offer.exists(sha256):
                    offer.delete(sha256)
                    report.removed_copies.append((offer.name, sha256))
            except (StorageUnavailable, OSError):
                log.warning("offer %s unreachable: copy %s kept", offer.name, sha256)
    with db.unit_of_work(transfer.organisation) as uow:
        uow.transfers.unclaim(transfer.id)  # the decision is taken again, by an archivist
        uow.commit()
    report.rolled_back.append(transfer.id)


def _unregistered_files(
    offers: StorageOffers, transfer: Transfer, report: RecoveryReport
) -> list[str]:
    """SHA-256 of each file of the package that the digest registry does not know."""
    try:
        with open_package(transfer.quarantine_path) as package:
            manifest = package.manifest_name or ""
            names = [n for n in package.entries if n not in (manifest, manifest + SIGNATURE_SUFFIX)]
            digests = [hash_chunks("sha256", package.chunks(name))[0].hex() for name in names]
    except (SedaError, OSError) as exc:
        report.failed.append((transfer.id, f"paquet illisible, copies non recherchées : {exc}"))
        return []
    return [d for d in digests if offers.registry.find(d) is None]


def _remove_temp_files(offers: StorageOffers, report: RecoveryReport) -> None:
    try:
        report.removed_temp_files += offers.remove_stale_temp_files()
    except (StorageUnavailable, OSError):
        log.warning("temp files of dead processes not removed: an offer is unreachable")


def _recheck(
    db: Database, settings: IngestSettings, transfer: Transfer, report: RecoveryReport
) -> None:
    try:
        run_checks(db, settings, transfer)
    except (GedsaeError, OSError) as exc:
        # Left received: the next start tries again; the other transfers are still recovered.
        log.exception("checks of transfer %s failed again", transfer.id)
        report.failed.append((transfer.id, str(exc)))
        return
    report.rechecked.append(transfer.id)


# -- running alone -------------------------------------------------------------------------
class StartupLock:
    """Whether this process starts alone on a data directory; then marks it alive until closed.

    Two flock(2) files: ``startup.lock``, held exclusively only while a process starts, puts the
    starts in a row; ``alive.lock`` is held shared by every running process for its whole life. A
    starting process that can take ``alive.lock`` exclusively is alone, and may recover. The
    kernel releases both when the process ends, even killed.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._alive: BinaryIO | None = None

    def start(self, recover_now: Callable[[], object]) -> bool:
        """Run ``recover_now`` when no other process is alive; True when it ran."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._alive = alive = (self.data_dir / "alive.lock").open("a+b")
        with (self.data_dir / "startup.lock").open("a+b") as startup:
            fcntl.flock(startup, fcntl.LOCK_EX)
            alone = _try_lock(alive, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if alone:
                recover_now()
            # Others may start once this one holds its shared lock (and startup.lock is closed).
            fcntl.flock(alive, fcntl.LOCK_SH)
        return alone

    def close(self) -> None:
        if self._alive is not None:
            self._alive.close()
            self._alive = None


def _try_lock(handle: BinaryIO, operation: int) -> bool:
    try:
        fcntl.flock(handle, operation)
    except BlockingIOError:
        return False
    return True


def lifespan(
    data_dir: Path,
    db: Database,
    settings: IngestSettings,
    storage: TenantStorage,
    jobs: JobQueue | None = None,
) -> Callable[[object], AbstractAsyncContextManager[None]]:
    """The application's lifespan: recover (when alone) before serving, stay marked alive."""

    @asynccontextmanager
    async def run(_app: object) -> AsyncIterator[None]:
        lock = StartupLock(data_dir)
        try:
            await asyncio.to_thread(lock.start, lambda: recover(db, settings, storage, jobs))
            yield
        finally:
            lock.close()

    return run
