"""Storage offers of the archival repository: every object on several stores, digests apart.

NF Z42-013 / ISO 14641 §5 and the OAIS Archival Storage function (ISO 14721 §4.1.1.3) ask that
archived objects be kept in more than one copy and checked against digests recorded when they
were accepted. Here each object is written to EVERY offer (the GED's ``BlobStore`` backends:
filesystem, S3), and its SHA-256, SHA-512 and size go to a ``DigestRegistry`` kept apart from the
objects, so that altering a copy cannot alter the reference it is checked against.

Reads never serve unverified bytes: ``open`` copies an offer's object into a local anonymous
spool file while hashing it and returns the spool only once all three digests match the registry
(verify-then-serve). Streaming and failing at the end would hand a client bytes that later prove
wrong (an HTTP response already sent with 200), and could not fall back to the next offer; the
spool also closes the window between checking a file and reading it. The price is one local write
of the object per retrieval, which archival retrieval can afford.

Writes come one object at a time (``store``) or by batches (``store_many``, the objects of one
transfer): a batch is spooled and hashed object by object into ONE local file, then each offer
gets its new copies together (the filesystem's ``batch()``: one ``syncfs`` for all of them
instead of three syncs each) and the registry records every digest in one transaction. Per
object, a durable write costs ~8 syncs (two offers and a registry commit): 1,000 small files
took 8 s that way. Creating a file costs ~1 ms on our test machine, as much as a sync: hence one
spool file per call rather than one per object.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Final, Protocol, cast, runtime_checkable

from ged.adapters.blobstore.hashing import CHUNK_SIZE, copy_digesting
from ged.domain.errors import ConflictError
from ged.services.ports import (
    BlobNotFound,
    BlobStore,
    Chunks,
    ContentRef,
    ContentTooLarge,
    DigestMismatch,
    IncompleteContent,
    StorageUnavailable,
)

_PAGE: Final = 500
_LOCK_STRIPES: Final = 64
# A batch of ``store_many``: enough objects to share a sync; few enough that its spool, the
# offers' temp files and the locks it holds stay small.
BATCH_OBJECTS: Final = 500
BATCH_BYTES: Final = 256 * 1024 * 1024


# -- exceptions ----------------------------------------------------------------------------
class ObjectNotRegistered(BlobNotFound):
    code = "object_not_registered"
    title = "Objet inconnu du registre des empreintes"


class ObjectQuarantined(ConflictError):
    """Every copy failed its digests: the object is never served again until an operator acts.

    A conflict (409), not ``DigestMismatch`` (503): retrying cannot help, the object's state
    must change first (a repair, then ``DigestRegistry.release``).
    """

    code = "object_quarantined"
    title = "Objet en quarantaine : aucune copie ne correspond à ses empreintes"


class RegisteredDigestsDiffer(DigestMismatch):
    """The registry already holds other SHA-512/size for this SHA-256 (never overwritten)."""

    code = "registered_digests_differ"
    title = "Empreintes différentes de celles déjà enregistrées"


class NoVerifiedCopy(StorageUnavailable):
    """No offer could give a copy that re-verifies now (some offers may be down)."""

    code = "no_verified_copy"
    title = "Aucune copie vérifiée disponible pour le moment"


# -- the digest registry -------------------------------------------------------------------
@dataclass(frozen=True)
class StoredObject:
    """An archived object as the registry knows it; its identifier is its SHA-256."""

    sha256: str
    sha512: str
    size: int
    quarantine_reason: str | None = None

    @property
    def object_id(self) -> str:
        return self.sha256

    @property
    def quarantined(self) -> bool:
        return self.quarantine_reason is not None

    def matches(self, ref: ContentRef) -> bool:
        return (ref.sha256, ref.sha512, ref.size) == (self.sha256, self.sha512, self.size)


class DigestRegistry(Protocol):
    """Where the reference digests live, apart from the objects (the SAE database later)."""

    def record(self, ref: ContentRef) -> StoredObject:
        """Registers the object (idempotent); ``RegisteredDigestsDiffer`` on other digests."""
        ...

    def record_many(self, refs: Sequence[ContentRef]) -> list[StoredObject]:
        """Registers every object in ONE transaction, in order; none if any digests differ."""
        ...

    def find(self, object_id: str) -> StoredObject | None: ...

    def iter_objects(self) -> Iterator[StoredObject]: ...

    def quarantine(self, object_id: str, reason: str) -> None: ...

    def release(self, object_id: str) -> None:
        """Lifts a quarantine once verified copies are back on every offer."""
        ...


class SqliteDigestRegistry:
    """The registry as one SQLite file (synchronous=FULL: each commit is fsynced)."""

    def __init__(self, path: Path | str, *, page_size: int = _PAGE) -> None:
        self.path = Path(path)
        self.page_size = page_size
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS objects (sha256 TEXT PRIMARY KEY, sha512 TEXT NOT NULL,"
                " size INTEGER NOT NULL, quarantine_reason TEXT)"
            )

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        # One short connection per call: safe across threads and processes, no long reads.
        with closing(sqlite3.connect(self.path, timeout=30)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            with db:
                yield db

    def record(self, ref: ContentRef) -> StoredObject:
        with self._connection() as db:
            db.execute(
                "INSERT OR IGNORE INTO objects (sha256, sha512, size) VALUES (?, ?, ?)",
                (ref.sha256, ref.sha512, ref.size),
            )
            stored = _row_object(
                db.execute("SELECT * FROM objects WHERE sha256 = ?", (ref.sha256,)).fetchone()
            )
        if stored is None or not stored.matches(ref):
            raise RegisteredDigestsDiffer(sha256=ref.sha256)
        return stored

    def record_many(self, refs: Sequence[ContentRef]) -> list[StoredObject]:
        with self._connection() as db:
            db.executemany(
                "INSERT OR IGNORE INTO objects (sha256, sha512, size) VALUES (?, ?, ?)",
                [(ref.sha256, ref.sha512, ref.size) for ref in refs],
            )
            found = self._find_all(db, [ref.sha256 for ref in refs])
            # Raised inside the transaction: a differing object rolls the whole batch back.
            return [_matching(found.get(ref.sha256), ref) for ref in refs]

    def _find_all(self, db: sqlite3.Connection, digests: list[str]) -> dict[str, StoredObject]:
        found = {}
        for start in range(0, len(digests), self.page_size):
            page = digests[start : start + self.page_size]
            marks = ", ".join("?" * len(page))
            query = f"SELECT * FROM objects WHERE sha256 IN ({marks})"  # noqa: S608 (only ?)
            for row in db.execute(query, page):
                stored = _row_object(row)
                if stored is not None:
                    found[stored.sha256] = stored
        return found

    def find(self, object_id: str) -> StoredObject | None:
        with self._connection() as db:
            row = db.execute("SELECT * FROM objects WHERE sha256 = ?", (object_id,)).fetchone()
        return _row_object(row)

    def iter_objects(self) -> Iterator[StoredObject]:
        last = ""
        while True:
            with self._connection() as db:
                rows = db.execute(
                    "SELECT * FROM objects WHERE sha256 > ? ORDER BY sha256 LIMIT ?",
                    (last, self.page_size),
                ).fetchall()
            for row in rows:
                stored = _row_object(row)
                if stored is not None:
                    yield stored
            if len(rows) < self.page_size:
                return
            last = rows[-1][0]

    def quarantine(self, object_id: str, reason: str) -> None:
        self._set_reason(object_id, reason)

    def release(self, object_id: str) -> None:
        self._set_reason(object_id, None)

    def _set_reason(self, object_id: str, reason: str | None) -> None:
        with self._connection() as db:
            cursor = db.execute(
                "UPDATE objects SET quarantine_reason = ? WHERE sha256 = ?", (reason, object_id)
            )
        if cursor.rowcount == 0:
            raise ObjectNotRegistered(sha256=object_id)


def _matching(stored: StoredObject | None, ref: ContentRef) -> StoredObject:
    if stored is None or not stored.matches(ref):
        raise RegisteredDigestsDiffer(sha256=ref.sha256)
    return stored


def _row_object(row: tuple[str, str, int, str | None] | None) -> StoredObject | None:
    if row is None:
        return None
    return StoredObject(sha256=row[0], sha512=row[1], size=row[2], quarantine_reason=row[3])


# -- checking one copy ---------------------------------------------------------------------
class CopyState(StrEnum):
    OK = "ok"
    MISSING = "missing"
    ALTERED = "altered"
    UNREADABLE = "unreadable"


def check_copy(
    offer: BlobStore, stored: StoredObject, sink: Callable[[bytes], object] | None = None
) -> CopyState:
    """Re-hashes the offer's copy against the registry; ``sink`` receives the bytes read.

    Reading stops as soon as the copy passes the registered size (a grown copy is not read to
    its end). Missing, altered and unreadable are told apart: only the last may be temporary.
    """
    sink = sink or _discard
    try:
        with offer.open(stored.sha256) as stream:
            ref = copy_digesting(stream, sink, expected_size=stored.size)
    except BlobNotFound:
        return CopyState.MISSING
    except (DigestMismatch, ContentTooLarge, IncompleteContent):
        return CopyState.ALTERED
    except (StorageUnavailable, OSError):
        return CopyState.UNREADABLE
    return CopyState.OK if stored.matches(ref) else CopyState.ALTERED


def _discard(chunk: bytes) -> None:
    del chunk


@runtime_checkable
class _SpooledUpload(Protocol):
    """Offers (S3) that can send an already spooled and hashed file without spooling again."""

    def store_spooled(self, spool: Path, ref: ContentRef) -> None: ...


def put_spooled(offer: BlobStore, spool: Path, ref: ContentRef) -> None:
    """Writes the spooled object to ``offer``; ``DigestMismatch`` if the offer hashed otherwise."""
    if isinstance(offer, _SpooledUpload):
        offer.store_spooled(spool, ref)
        return
    with spool.open("rb") as source:
        written = offer.put(source, expected_size=ref.size)
    if written != ref:
        # Not deleted: other objects may share that digest; the audit reports it as an orphan.
        raise DigestMismatch("Le fichier d'attente a changé pendant l'écriture", sha256=ref.sha256)


def replace_copy(offer: BlobStore, spool: Path, stored: StoredObject) -> CopyState:
    """Puts a verified spool in place of a bad copy, then re-verifies what the offer holds.

    The bad copy is deleted first: both backends skip a put when a blob of the same size exists,
    which would keep an altered copy whose bytes were flipped in place.
    """
    ref = ContentRef(sha256=stored.sha256, sha512=stored.sha512, size=stored.size)
    try:
        offer.delete(stored.sha256)
        put_spooled(offer, spool, ref)
    except (StorageUnavailable, DigestMismatch, OSError):
        return CopyState.UNREADABLE
    return check_copy(offer, stored)


# -- spooling a batch ----------------------------------------------------------------------
class BatchSpool:
    """The objects of a batch end to end in one anonymous local file, hashed as they are added.

    Anonymous: the kernel removes it on close, even if this process dies. ``clear`` empties it
    for the next batch, so a call uses one file whatever its number of objects.
    """

    def __init__(self, directory: Path | None) -> None:
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed by close)
        self.entries: list[tuple[int, ContentRef]] = []  # (offset, digests) of each object
        self.size = 0

    def add(self, data: Chunks | Path, *, max_size: int | None) -> None:
        try:
            if isinstance(data, Path):
                with data.open("rb") as source:
                    ref = copy_digesting(source, self._file.write, max_size=max_size)
            else:
                ref = copy_digesting(data, self._file.write, max_size=max_size)
        except BaseException:
            self._file.truncate(self.size)  # what the failed item wrote is dropped
            self._file.seek(self.size)
            raise
        self.entries.append((self.size, ref))
        self.size += ref.size

    def chunks(self, offset: int, size: int) -> Iterator[bytes]:
        """The bytes of the object at ``offset`` (short if the file was cut: the put says so)."""
        self._file.flush()
        fd, end = self._file.fileno(), offset + size
        while offset < end and (chunk := os.pread(fd, min(CHUNK_SIZE, end - offset), offset)):
            offset += len(chunk)
            yield chunk

    def clear(self) -> None:
        self._file.seek(0)
        self._file.truncate()
        self.entries = []
        self.size = 0

    def close(self) -> None:
        self._file.close()


Spooled = tuple[int, ContentRef]  # an object of a BatchSpool: its offset and digests


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

    def _spool(self, data: Chunks | Path, *, max_size: int | None) -> tuple[Path, ContentRef]:
        fd, name = tempfile.mkstemp(dir=self.spool_dir, prefix="sae-spool-")
        spool = Path(name)
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
        unique = _unique(spool.entries)
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
                self._write_copies(offer, spool, unique, created)
            self._release_if_quarantined(self.registry.record_many([ref for _, ref in unique]))
        except BaseException:
            for offer, sha256 in created:
                _delete_quietly(offer, sha256)
            raise

    def _write_copies(
        self,
        offer: BlobStore,
        spool: BatchSpool,
        unique: list[Spooled],
        created: list[tuple[BlobStore, str]],
    ) -> None:
        """Writes the copies ``offer`` lacks; appends to ``created`` each one it may have made."""
        missing = [(offset, ref) for offset, ref in unique if self._needs_copy(offer, ref)]
        if len(missing) > 1 and not isinstance(offer, _SpooledUpload):
            # Listed first: a batch failing while it renames may have made some of them visible
            # (deleting one it did not make is a no-op).
            created += [(offer, ref.sha256) for _offset, ref in missing]
            put_batch(offer, spool, missing)
            return
        # One copy (a batch's syncfs would cost more than an fsync), or an offer whose puts are
        # durable one by one (S3).
        for offset, ref in missing:
            _check_written(offer.put(spool.chunks(offset, ref.size), expected_size=ref.size), ref)
            created.append((offer, ref.sha256))

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


def put_batch(offer: BlobStore, spool: BatchSpool, objects: Sequence[Spooled]) -> None:
    """Writes spooled objects through ``offer.batch()``: durable together when it exits.

    A spooled object that hashes otherwise than when it was spooled raises inside the batch, so
    that none of the batch's copies is installed.
    """
    with offer.batch() as batch:
        for offset, ref in objects:
            _check_written(batch.put(spool.chunks(offset, ref.size), expected_size=ref.size), ref)


def _check_written(written: ContentRef, ref: ContentRef) -> None:
    if written != ref:
        raise DigestMismatch("Le fichier d'attente a changé pendant l'écriture", sha256=ref.sha256)


def _unique(batch: Sequence[Spooled]) -> list[Spooled]:
    """The batch without repeated contents (first of each kept), in order."""
    unique: dict[str, Spooled] = {}
    for offset, ref in batch:
        first = unique.setdefault(ref.sha256, (offset, ref))[1]
        if first != ref:
            # Same SHA-256, other SHA-512 or size: never registered under one identifier.
            raise RegisteredDigestsDiffer(sha256=ref.sha256)
    return list(unique.values())


def _stored(ref: ContentRef) -> StoredObject:
    return StoredObject(sha256=ref.sha256, sha512=ref.sha512, size=ref.size)


def _delete_quietly(offer: BlobStore, sha256: str) -> None:
    try:
        offer.delete(sha256)
    except (StorageUnavailable, OSError):
        # The offer is down: the copy stays as an orphan, which the audit reports.
        return
