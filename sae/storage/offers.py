"""Storage offers of the archival repository: every object on several stores, digests apart.

NF Z42-013 / ISO 14641 §5 and the OAIS Archival Storage function (ISO 14721 §4.1.1.3) ask that
archived objects be kept in more than one copy and checked against digests recorded when they
were accepted. Here each object is written to EVERY offer (the GED's ``BlobStore`` backends:
filesystem, S3), and its digests go to the registry (``sae.ports.DigestRegistry``).

Reads never serve unverified bytes: ``open`` copies an offer's object into a local anonymous
spool file while hashing it and returns the spool only once all three digests match the registry
(verify-then-serve). Streaming and failing at the end would hand a client bytes that later prove
wrong (an HTTP response already sent with 200), and could not fall back to the next offer; the
spool also closes the window between checking a file and reading it. The price is one local write
of the object per retrieval, which archival retrieval can afford.

Writes come one object at a time (``store``) or by batches (``store_many``: ``sae.storage.batches``).

Offers that can lock (S3 Object Lock in compliance mode, ``RetainingStore``) keep each accepted
object from deletion until the date its archive's rules give (``retain``; the dates:
``sae.storage.retention``). ``eliminate`` removes an object from every offer, the locking ones
first: a copy still under lock is refused by its store (``ObjectRetained``) before any other copy
is touched.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import BinaryIO, Final, cast

from kernel.blobstore.fixity import CopyState, check_copy, put_spooled, sweep_temp_files
from kernel.blobstore.hashing import copy_digesting
from kernel.blobstore.ports import (
    BlobStore,
    Chunks,
    ContentRef,
    Leftover,
    RetainingStore,
    StorageUnavailable,
)
from kernel.blobstore.tempfiles import OwnedTempDir
from kernel.errors import ConflictError
from sae.model import StoredObject
from sae.ports import DigestRegistry, ObjectNotRegistered
from sae.storage.batches import BatchSpool, Spooled, distinct, put_copies
from sae.storage.retention import retain_until

_LOCK_STRIPES: Final = 64
# A batch of ``store_many``: enough objects to share a sync; few enough that its spool, the
# offers' temp files and the locks it holds stay small.
BATCH_OBJECTS: Final = 500
BATCH_BYTES: Final = 256 * 1024 * 1024
RETAIN_THREADS: Final = 4  # objects locked at once on an offer (each is two requests)
# Named temp files of the spool: an object being stored, a copy being repaired (``sae.storage.audit``).
SPOOL_PREFIX: Final = "sae-spool-"
REPAIR_PREFIX: Final = "sae-repair-"
SPOOL = "spool"  # where ``remove_stale_temp_files`` says a spool file was


def spool_area(spool_dir: Path | str | None) -> OwnedTempDir:
    """The spool's named temp files, after the process that writes them (``tempfiles``)."""
    directory = Path(spool_dir) if spool_dir is not None else Path(tempfile.gettempdir())
    return OwnedTempDir(directory, (SPOOL_PREFIX, REPAIR_PREFIX))


class ObjectQuarantined(ConflictError):
    """Every copy failed its digests: the object is never served again until an operator acts.

    A conflict (409), not ``DigestMismatch`` (503): retrying cannot help, the object's state
    must change first (a repair, then ``DigestRegistry.release``).
    """

    code = "object_quarantined"
    title = "Objet en quarantaine : aucune copie ne correspond à ses empreintes"


class NoVerifiedCopy(StorageUnavailable):
    """No offer could give a copy that re-verifies now (some offers may be down)."""

    code = "no_verified_copy"
    title = "Aucune copie vérifiée disponible pour le moment"


# -- the offers ----------------------------------------------------------------------------
class StorageOffers:
    """Writes every object to all ``offers``; serves only copies that re-verify."""

    def __init__(
        self,
        offers: Sequence[BlobStore],
        digest_registry: DigestRegistry,
        *,
        spool_dir: Path | str | None = None,
        batch_objects: int = BATCH_OBJECTS,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        names = [offer.name for offer in offers]
        if not offers or len(set(names)) != len(names):
            raise ValueError(f"offers need distinct names, at least one: {names}")
        if batch_objects < 1 or batch_bytes < 1:
            raise ValueError(f"batches need room: {batch_objects} objects, {batch_bytes} bytes")
        self.offers = list(offers)
        self.registry = digest_registry
        self.spool_dir = Path(spool_dir) if spool_dir is not None else None
        self.spool_area = spool_area(spool_dir)
        self.batch_objects = batch_objects
        self.batch_bytes = batch_bytes
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def store(self, data: Chunks | Path, *, max_size: int | None = None) -> StoredObject:
        """Spools ``data`` once while hashing, writes it to every offer, then registers it.

        All or nothing: if an offer (or the registry) fails, the copies this call created on the
        other offers are removed and the error is raised. Copies that existed before are kept
        (another archive may hold the same content) once they re-verify.
        """
        spool, ref = self._spool(data, max_size=max_size)
        try:
            with self._locked([ref.sha256]):
                return self._store_spooled(spool, ref)
        finally:
            spool.unlink(missing_ok=True)

    def store_many(
        self, items: Iterable[Chunks | Path], *, max_size: int | None = None
    ) -> list[StoredObject]:
        """``store`` for many objects, one result per item in order, with a few syncs per batch.

        Items are spooled on disk one after the other (an item is read to its end before the
        next is asked for); a batch is stored as soon as it holds ``batch_objects`` objects or
        ``batch_bytes`` bytes, so the spool never holds more than one batch. Each batch is all
        or nothing, as ``store``: if an offer or the registry fails, the copies the batch
        created are removed, the registry is left as it was, and the error is raised. Batches
        stored before stay, written and registered on every offer, as a loop of ``store``
        calls would leave them: a retry reuses their copies. Identical contents are written
        once.
        """
        stored: list[StoredObject] = []
        spool = BatchSpool(self.spool_dir)
        try:
            for data in items:
                spool.add(data, max_size=max_size)
                if len(spool.entries) >= self.batch_objects or spool.size >= self.batch_bytes:
                    stored += self._store_batch(spool)
            stored += self._store_batch(spool)
        finally:
            spool.close()
        return stored

    def open(self, object_id: str) -> BinaryIO:
        """A verified local copy of the object (see the module docstring), positioned at 0."""
        stored = self.registry.find(object_id)
        if stored is None:
            raise ObjectNotRegistered(f"Objet {object_id} inconnu", sha256=object_id)
        if stored.quarantined:
            raise ObjectQuarantined(f"Objet {object_id} en quarantaine", sha256=object_id)
        states = {}
        for offer in self.offers:
            # Anonymous file: removed by the kernel on close, even if this process dies.
            spool = tempfile.TemporaryFile(dir=self.spool_dir)  # noqa: SIM115 (returned open)
            try:
                states[offer.name] = check_copy(offer, stored, spool.write)
            except BaseException:
                spool.close()
                raise
            if states[offer.name] is CopyState.OK:
                spool.seek(0)
                return cast(BinaryIO, spool)
            spool.close()
        raise NoVerifiedCopy(
            f"Aucune copie vérifiée de l'objet {object_id}",
            sha256=object_id,
            copies={name: str(state) for name, state in states.items()},
        )

    @property
    def locking(self) -> list[RetainingStore]:
        """The offers that lock what they keep (Object Lock configured)."""
        return [
            offer
            for offer in self.offers
            if isinstance(offer, RetainingStore) and offer.keep_minimum is not None
        ]

    def retain(self, ends: Mapping[str, Sequence[date | None]], today: date) -> None:
        """Locks each object (SHA-256 → the DUA ends of its archives) on every locking offer
        until ``retain_until`` of its ends, with that offer's minimum for an unknown end."""
        for offer in self.locking:
            keep = offer.keep_minimum
            assert keep is not None  # a locking offer has one
            dates = {
                sha256: datetime.combine(retain_until(object_ends, keep, today), time(), UTC)
                for sha256, object_ends in ends.items()
            }
            # Two requests per object, each a round trip: a few at a time, as S3 batches upload.
            with ThreadPoolExecutor(RETAIN_THREADS, thread_name_prefix="retain") as pool:
                for done in [pool.submit(offer.retain, *item) for item in dates.items()]:
                    done.result()

    def eliminate(self, object_id: str) -> None:
        """Removes the object from every offer, the locking ones first, then from the registry.

        ``ObjectRetained`` (409) when a locking offer refuses: its retention date is not past,
        and no copy was removed (with several locking offers of different minimums, the ones
        before it may have let theirs go)."""
        if self.registry.find(object_id) is None:
            raise ObjectNotRegistered(f"Objet {object_id} inconnu", sha256=object_id)
        locking = {offer.name for offer in self.locking}
        ordered = sorted(self.offers, key=lambda offer: offer.name not in locking)
        with self._locked([object_id]):
            for offer in ordered:
                offer.delete(object_id)
            self.registry.forget([object_id])

    def remove_stale_temp_files(self) -> list[tuple[str, Leftover]]:
        """Removes the temp files of dead processes from every offer and from the spool, never
        a live process's (``kernel.blobstore.tempfiles``); (offer or "spool", file) each.

        ``StorageUnavailable`` or ``OSError`` when one cannot be swept."""
        found = sweep_temp_files(self.offers)
        return found + [(SPOOL, leftover) for leftover in self.spool_area.remove_stale()]

    def _spool(self, data: Chunks | Path, *, max_size: int | None) -> tuple[Path, ContentRef]:
        fd, spool = self.spool_area.mkstemp(SPOOL_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, Path):
                    with data.open("rb") as source:
                        ref = copy_digesting(source, out.write, max_size=max_size)
                else:
                    ref = copy_digesting(data, out.write, max_size=max_size)
        except BaseException:
            spool.unlink(missing_ok=True)
            raise
        return spool, ref

    def _store_spooled(self, spool: Path, ref: ContentRef) -> StoredObject:
        created: list[BlobStore] = []
        try:
            for offer in self.offers:
                if self._needs_copy(offer, ref):
                    put_spooled(offer, spool, ref)
                    created.append(offer)
            self._release_if_quarantined([self.registry.record(ref)])
        except BaseException:
            for offer in created:
                _delete_quietly(offer, ref.sha256)
            raise
        return _stored(ref)

    def _store_batch(self, spool: BatchSpool) -> list[StoredObject]:
        """Writes the new copies of the spooled batch on every offer, registers them, and
        empties the spool."""
        unique = distinct(spool.entries)
        if unique:
            with self._locked([ref.sha256 for _offset, ref in unique]):
                self._write_and_register(spool, unique)
        stored = [_stored(ref) for _offset, ref in spool.entries]
        spool.clear()
        return stored

    def _write_and_register(self, spool: BatchSpool, unique: list[Spooled]) -> None:
        created: list[tuple[BlobStore, str]] = []
        try:
            for offer in self.offers:
                missing = [(offset, ref) for offset, ref in unique if self._needs_copy(offer, ref)]
                put_copies(offer, spool, missing, created)
            self._release_if_quarantined(self.registry.record_many([ref for _, ref in unique]))
        except BaseException:
            for offer, sha256 in created:
                _delete_quietly(offer, sha256)
            raise

    def _needs_copy(self, offer: BlobStore, ref: ContentRef) -> bool:
        """False when a verified copy is there already; an unverified leftover is deleted."""
        if offer.exists(ref.sha256):
            state = check_copy(offer, _stored(ref))
            if state is CopyState.OK:
                return False
            if state is CopyState.UNREADABLE:
                raise NoVerifiedCopy(f"Offre {offer.name} illisible", sha256=ref.sha256)
            # An unverified leftover (orphan of a crashed write, altered copy): replaced.
            offer.delete(ref.sha256)
        return True

    def _release_if_quarantined(self, registered: Iterable[StoredObject]) -> None:
        for stored in registered:
            if stored.quarantined:
                # Verified copies were just written to every offer from a fresh source.
                self.registry.release(stored.sha256)

    @contextmanager
    def _locked(self, digests: Iterable[str]) -> Iterator[None]:
        """Holds the lock stripes of ``digests``, taken in one order so two batches never wait
        on each other: two stores of the same content in this process must not undo each
        other's copies (one deleting, after a failure, what the other just found verified)."""
        stripes = sorted({int(sha256[:4], 16) % _LOCK_STRIPES for sha256 in digests})
        with ExitStack() as held:
            for stripe in stripes:
                held.enter_context(self._locks[stripe])
            yield


def _stored(ref: ContentRef) -> StoredObject:
    return StoredObject(sha256=ref.sha256, sha512=ref.sha512, size=ref.size)


def _delete_quietly(offer: BlobStore, sha256: str) -> None:
    try:
        offer.delete(sha256)
    except (StorageUnavailable, OSError):
        # The offer is down: the copy stays as an orphan, which the audit reports.
        return
