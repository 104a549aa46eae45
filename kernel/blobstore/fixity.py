"""Fixity of stored copies (OAIS Archival Storage "error checking", ISO 14721 §4.1.1.3; NF Z42-013
/ ISO 14641 §5): a copy is checked against the digests recorded when it was accepted, never
against itself, and repaired only from a copy that re-verifies while it is copied.

Shared by the GED (its store and its replica, against the ``blobs`` table) and the archival
repository (its storage offers, against the digest registry). ``check_copy`` re-hashes a copy
and tells missing, altered and unreadable apart; ``copy_verified`` spools the first source whose
copy re-verifies; ``replace_copy`` puts a verified spool in place of a bad copy; ``unknown_digests``
lists what a store holds that the reference does not know; ``sweep_temp_files`` removes the
temp files of dead processes.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from enum import StrEnum
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

from kernel.blobstore.hashing import copy_digesting
from kernel.blobstore.ports import (
    BlobNotFound,
    BlobStore,
    ContentRef,
    ContentTooLarge,
    DigestMismatch,
    IncompleteContent,
    Leftover,
    ObjectRetained,
    StorageUnavailable,
)
from kernel.blobstore.tempfiles import LeavesTempFiles

_PAGE: Final = 500


class Expected(Protocol):
    """The recorded digests and size a copy is checked against."""

    @property
    def sha256(self) -> str: ...

    @property
    def sha512(self) -> str: ...

    @property
    def size(self) -> int: ...


class CopyState(StrEnum):
    OK = "ok"
    MISSING = "missing"
    ALTERED = "altered"
    UNREADABLE = "unreadable"


def matches(expected: Expected, ref: ContentRef) -> bool:
    """Both digests and the size, as recorded."""
    return (ref.sha256, ref.sha512, ref.size) == (expected.sha256, expected.sha512, expected.size)


def check_copy(
    store: BlobStore, expected: Expected, sink: Callable[[bytes], object] | None = None
) -> CopyState:
    """Re-hashes the store's copy against the recorded digests; ``sink`` receives the bytes read.

    Reading stops as soon as the copy passes the recorded size (a grown copy is not read to its
    end). Missing, altered and unreadable are told apart: only the last may be temporary.
    """
    sink = sink or _discard
    try:
        with store.open(expected.sha256) as stream:
            ref = copy_digesting(stream, sink, expected_size=expected.size)
    except BlobNotFound:
        return CopyState.MISSING
    except (DigestMismatch, ContentTooLarge, IncompleteContent):
        return CopyState.ALTERED
    except (StorageUnavailable, OSError):
        return CopyState.UNREADABLE
    return CopyState.OK if matches(expected, ref) else CopyState.ALTERED


def _discard(chunk: bytes) -> None:
    del chunk


@runtime_checkable
class SpooledUpload(Protocol):
    """Stores (S3) that can send an already spooled and hashed file without spooling again."""

    def store_spooled(self, spool: Path, ref: ContentRef) -> None: ...


def put_spooled(store: BlobStore, spool: Path, ref: ContentRef) -> None:
    """Writes the spooled object to ``store``; ``DigestMismatch`` if the store hashed otherwise."""
    if isinstance(store, SpooledUpload):
        store.store_spooled(spool, ref)
        return
    with spool.open("rb") as source:
        written = store.put(source, expected_size=ref.size)
    if written != ref:
        # Not deleted: other objects may share that digest; the audit reports it as an orphan.
        raise DigestMismatch("Le fichier d'attente a changé pendant l'écriture", sha256=ref.sha256)


def copy_verified(
    expected: Expected, sources: Sequence[BlobStore], out: io.BufferedWriter
) -> BlobStore | None:
    """Spools the first source whose copy re-verifies while it is read; None if none does."""
    for source in sources:
        out.seek(0)
        out.truncate()
        if check_copy(source, expected, out.write) is CopyState.OK:
            out.flush()
            return source
    return None


def replace_copy(store: BlobStore, spool: Path, expected: Expected) -> CopyState:
    """Puts a verified spool in place of a bad copy, then re-verifies what the store holds.

    The bad copy is deleted first: both backends skip a put when a blob of the same size exists,
    which would keep an altered copy whose bytes were flipped in place.
    """
    ref = ContentRef(sha256=expected.sha256, sha512=expected.sha512, size=expected.size)
    try:
        with suppress(ObjectRetained):
            # A locked version (S3 Object Lock) stays: only the newer, unlocked ones that
            # altered it went, and the copy is judged by what the store serves afterwards.
            store.delete(expected.sha256)
        put_spooled(store, spool, ref)
    except (StorageUnavailable, DigestMismatch, OSError):
        return CopyState.UNREADABLE
    return check_copy(store, expected)


def unknown_digests(
    store: BlobStore, known_among: Callable[[list[str]], set[str]], page: int = _PAGE
) -> Iterator[str]:
    """The digests ``store`` holds that ``known_among`` does not know, asked a page at a time.

    ``StorageUnavailable`` or ``OSError`` when the store cannot be listed."""
    digests = store.iter_digests()
    while batch := [digest for _, digest in zip(range(page), digests, strict=False)]:
        known = known_among(batch)
        yield from (digest for digest in batch if digest not in known)


def sweep_temp_files(stores: Sequence[BlobStore]) -> list[tuple[str, Leftover]]:
    """Removes the temp files of dead processes from every store that writes through them;
    (store name, leftover) for each. ``StorageUnavailable`` when a store cannot be swept."""
    return [
        (store.name, leftover)
        for store in stores
        if isinstance(store, LeavesTempFiles)
        for leftover in store.remove_stale_temp_files()
    ]
