"""Batches of ``StorageOffers.store_many``: the objects of one transfer on every offer with a
few syncs (the ``BlobStore.batch()`` port: durable together when it exits).

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
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from kernel.blobstore.fixity import SpooledUpload
from kernel.blobstore.hashing import CHUNK_SIZE, copy_digesting
from kernel.blobstore.ports import BlobStore, Chunks, ContentRef, DigestMismatch
from sae.ports import RegisteredDigestsDiffer


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


def put_copies(
    offer: BlobStore,
    spool: BatchSpool,
    missing: list[Spooled],
    created: list[tuple[BlobStore, str]],
) -> None:
    """Writes the spooled ``missing`` to ``offer``; appends to ``created`` each copy it may have
    made."""
    if len(missing) > 1 and not isinstance(offer, SpooledUpload):
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


def distinct(batch: Sequence[Spooled]) -> list[Spooled]:
    """The batch without repeated contents (first of each kept), in order."""
    unique: dict[str, Spooled] = {}
    for offset, ref in batch:
        first = unique.setdefault(ref.sha256, (offset, ref))[1]
        if first != ref:
            # Same SHA-256, other SHA-512 or size: never registered under one identifier.
            raise RegisteredDigestsDiffer(sha256=ref.sha256)
    return list(unique.values())
