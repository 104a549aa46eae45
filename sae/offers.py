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
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Final, Protocol, cast, runtime_checkable

from ged.adapters.blobstore.hashing import copy_digesting
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


# -- the offers ----------------------------------------------------------------------------
class StorageOffers:
    """Writes every object to all ``offers``; serves only copies that re-verify."""

    def __init__(
        self,
        offers: Sequence[BlobStore],
        digest_registry: DigestRegistry,
        *,
        spool_dir: Path | str | None = None,
    ) -> None:
        names = [offer.name for offer in offers]
        if not offers or len(set(names)) != len(names):
            raise ValueError(f"offers need distinct names, at least one: {names}")
        self.offers = list(offers)
        self.registry = digest_registry
        self.spool_dir = Path(spool_dir) if spool_dir is not None else None
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def store(self, data: Chunks | Path, *, max_size: int | None = None) -> StoredObject:
        """Spools ``data`` once while hashing, writes it to every offer, then registers it.

        All or nothing: if an offer (or the registry) fails, the copies this call created on the
        other offers are removed and the error is raised. Copies that existed before are kept
        (another archive may hold the same content) once they re-verify.
        """
        spool, ref = self._spool(data, max_size=max_size)
        try:
            with self._lock(ref.sha256):
                return self._store_spooled(spool, ref)
        finally:
            spool.unlink(missing_ok=True)

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
                if self._write_copy(offer, spool, ref):
                    created.append(offer)
            stored = self.registry.record(ref)
            if stored.quarantined:
                # Verified copies were just written to every offer from a fresh source.
                self.registry.release(ref.sha256)
        except BaseException:
            for offer in created:
                _delete_quietly(offer, ref.sha256)
            raise
        return StoredObject(sha256=ref.sha256, sha512=ref.sha512, size=ref.size)

    def _write_copy(self, offer: BlobStore, spool: Path, ref: ContentRef) -> bool:
        """Writes one copy; True when this call created it (False: a verified copy was there)."""
        existing = StoredObject(sha256=ref.sha256, sha512=ref.sha512, size=ref.size)
        if offer.exists(ref.sha256):
            state = check_copy(offer, existing)
            if state is CopyState.OK:
                return False
            if state is CopyState.UNREADABLE:
                raise NoVerifiedCopy(f"Offre {offer.name} illisible", sha256=ref.sha256)
            # An unverified leftover (orphan of a crashed write, altered copy): replaced.
            offer.delete(ref.sha256)
        put_spooled(offer, spool, ref)
        return True

    def _lock(self, sha256: str) -> threading.Lock:
        # Two stores of the same content in this process must not undo each other's copies.
        return self._locks[int(sha256[:4], 16) % _LOCK_STRIPES]


def _delete_quietly(offer: BlobStore, sha256: str) -> None:
    try:
        offer.delete(sha256)
    except (StorageUnavailable, OSError):
        # The offer is down: the copy stays as an orphan, which the audit reports.
        return
