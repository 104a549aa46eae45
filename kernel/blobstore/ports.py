"""The blob store port both services write content through, and the errors beside it.

A ``BlobStore`` is content-addressed (key = SHA-256): identical content is stored once, and
every write is hashed (SHA-256 and SHA-512) while it happens, never held whole in memory. The
GED keeps its documents' versions there; the archival repository's storage offers are blob
stores too. Exceptions are declared beside the interface they belong to; "no such blob" is
also a ``FileNotFoundError``, as in warehouse's storage interface.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from kernel.errors import (
    BadRequestError,
    ConflictError,
    InsufficientStorageError,
    NotFoundError,
    PayloadTooLargeError,
    UnavailableError,
)
from kernel.retention import Duration


@dataclass(frozen=True)
class ContentRef:
    """What a stored blob is: its digests (lower-case hex) and its size in bytes."""

    sha256: str
    sha512: str
    size: int


class BlobNotFound(NotFoundError, FileNotFoundError):
    code = "blob_not_found"
    title = "Contenu introuvable dans le stockage"


class ContentTooLarge(PayloadTooLargeError):
    code = "content_too_large"


class IncompleteContent(BadRequestError):
    """The stream ended before the announced size (a truncated upload)."""

    code = "incomplete_content"
    title = "Contenu tronqué"


class StorageFull(InsufficientStorageError):
    code = "storage_full"


class StorageUnavailable(UnavailableError):
    code = "storage_unavailable"


class ObjectRetained(ConflictError):
    """The store refuses to delete the object before its retention date (S3 Object Lock in
    compliance mode): no one, not even the bucket's owner, can remove it earlier."""

    code = "object_retained"
    title = "Objet protégé contre la suppression jusqu'à sa date de conservation"


class DigestMismatch(UnavailableError):
    """The storage holds bytes other than those written: never acknowledge such a write."""

    code = "digest_mismatch"
    title = "Empreinte du contenu stocké différente de celle calculée"


Chunks = BinaryIO | Iterable[bytes]


@dataclass(frozen=True)
class Leftover:
    """A temp file of a dead process, removed: where it was and how many bytes it held."""

    path: Path
    size: int


# Removes the temp files of dead processes from every temporary area of the instance.
TempSweep = Callable[[], list[Leftover]]


class BlobBatch(Protocol):
    """Blobs written in a batch become durable together when the batch context exits."""

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef: ...

    def put_file(self, path: str, *, max_size: int | None = None) -> ContentRef:
        """A whole file's content (a bulk import's); the file's ``OSError`` propagates."""
        ...


class BlobStore(Protocol):
    """Content-addressed store: a blob's key is its SHA-256; identical content is stored once.

    ``put`` hashes (SHA-256 and SHA-512) while writing, never holds the content whole in
    memory, and returns only once the content is durable. It raises ``ContentTooLarge`` as soon
    as ``max_size`` would be passed, ``IncompleteContent`` when ``expected_size`` is not reached,
    ``StorageFull``/``StorageUnavailable`` on storage failures, and leaves no partial blob.
    """

    name: str

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef: ...

    def batch(self) -> AbstractContextManager[BlobBatch]: ...

    def open(self, sha256: str) -> BinaryIO: ...

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None: ...

    def iter_digests(self) -> Iterator[str]: ...


@runtime_checkable
class RetainingStore(Protocol):
    """A blob store that can keep a blob from deletion until a date (S3 Object Lock in
    compliance mode); ``keep_minimum`` None means it does not (no lock configured).

    ``keep_minimum`` is how long a blob with no known end (a ``Keep`` final action, a rule
    without duration or start date) stays locked from the day it is stored."""

    name: str
    keep_minimum: Duration | None

    def retain(self, sha256: str, until: datetime) -> datetime | None:
        """Extends the blob's lock to ``until`` (never shortens it); the date it has now."""
        ...

    def retained_until(self, sha256: str) -> datetime | None: ...
