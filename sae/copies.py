"""One copy of an archived object on one offer, against the digest registry (NF Z42-013 /
ISO 14641 §5: copies checked against the digests recorded at acceptance).

``check_copy`` re-hashes a copy and tells missing, altered and unreadable apart; ``put_spooled``
writes a spooled, already hashed object to an offer; ``replace_copy`` repairs a bad copy from a
verified spool. ``sae.offers`` uses them to write and serve, ``sae.audit`` to check and repair.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from ged.adapters.blobstore.hashing import copy_digesting
from ged.services.ports import (
    BlobNotFound,
    BlobStore,
    ContentRef,
    ContentTooLarge,
    DigestMismatch,
    IncompleteContent,
    StorageUnavailable,
)
from sae.digest_registry import StoredObject


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
class SpooledUpload(Protocol):
    """Offers (S3) that can send an already spooled and hashed file without spooling again."""

    def store_spooled(self, spool: Path, ref: ContentRef) -> None: ...


def put_spooled(offer: BlobStore, spool: Path, ref: ContentRef) -> None:
    """Writes the spooled object to ``offer``; ``DigestMismatch`` if the offer hashed otherwise."""
    if isinstance(offer, SpooledUpload):
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
