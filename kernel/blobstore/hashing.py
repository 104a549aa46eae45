"""Streaming digests (FIPS 180-4 SHA-256 and SHA-512) computed while the content is written.

Each digest runs in its own thread: OpenSSL's hashlib releases the GIL on updates larger than
2 KiB, so on two cores SHA-256, SHA-512 and the write overlap instead of adding up (2 GiB with
both digests plus a durable write: 3.2–4.1 s with a thread per digest, 6.4 s in one thread; see
the performance anchors). Small contents are hashed in the calling thread: starting two threads
costs more than hashing a few KiB.

Memory stays bounded whatever the content size: chunks of ``CHUNK_SIZE`` bytes, and at most
``QUEUE_DEPTH`` chunks waiting for each digest thread.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Final

from kernel.blobstore.ports import Chunks, ContentRef, ContentTooLarge, IncompleteContent

CHUNK_SIZE: Final = 1024 * 1024
QUEUE_DEPTH: Final = 4
# Below this many bytes the digests are computed inline; above it, one thread per digest.
THREAD_THRESHOLD: Final = 2 * CHUNK_SIZE
# Small chunks are gathered up to this size before going to the threads (per-chunk overhead).
_COALESCE_SIZE: Final = 256 * 1024
# What ``file_chunks`` asks for once the size the file had is read (it may have grown).
_TAIL_READ: Final = 64 * 1024

Sink = Callable[[bytes], object]


class _DigestThread:
    """One hash object fed through a bounded queue by the producing thread."""

    def __init__(self, hasher: hashlib._Hash) -> None:
        self.hasher = hasher
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"digest-{hasher.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if not self._cancelled.is_set():
                self.hasher.update(chunk)

    def feed(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def stop(self, *, cancel: bool = False) -> None:
        if cancel:
            self._cancelled.set()
        self._queue.put(None)
        self._thread.join()


class ParallelDigester:
    """Computes several digests of a stream, one thread per digest once the stream is large.

    ``update`` takes immutable ``bytes`` (the threads read them after it returns);
    ``hexdigests`` finishes and returns lower-case hex digests by algorithm name. Use it as a
    context manager, or call ``close``, so the threads never outlive an aborted stream.
    """

    def __init__(
        self,
        algorithms: Sequence[str] = ("sha256", "sha512"),
        *,
        thread_threshold: int = THREAD_THRESHOLD,
    ) -> None:
        self._hashers = {name: hashlib.new(name) for name in algorithms}
        self._thread_threshold = thread_threshold
        self._threads: list[_DigestThread] = []
        self._pending = bytearray()
        self._closed = False
        self.size = 0

    def update(self, chunk: bytes) -> None:
        if self._closed:
            raise ValueError("digester already finished")
        self.size += len(chunk)
        if not self._threads and self.size <= self._thread_threshold:
            for hasher in self._hashers.values():
                hasher.update(chunk)
            return
        if not self._threads:
            self._threads = [_DigestThread(h) for h in self._hashers.values()]
        self._dispatch(chunk)

    def _dispatch(self, chunk: bytes) -> None:
        if len(chunk) >= _COALESCE_SIZE and not self._pending:
            self._feed(chunk)
            return
        self._pending += chunk
        if len(self._pending) >= _COALESCE_SIZE:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._feed(bytes(self._pending))
            self._pending.clear()

    def _feed(self, chunk: bytes) -> None:
        for thread in self._threads:
            thread.feed(chunk)

    def hexdigests(self) -> dict[str, str]:
        if not self._closed:
            self._flush()
            self._stop(cancel=False)
        return {name: hasher.hexdigest() for name, hasher in self._hashers.items()}

    def close(self) -> None:
        """Stops the threads without finishing the digests (the stream was abandoned)."""
        if not self._closed:
            self._stop(cancel=True)

    def _stop(self, *, cancel: bool) -> None:
        self._closed = True
        threads, self._threads = self._threads, []
        for thread in threads:
            thread.stop(cancel=cancel)

    def __enter__(self) -> ParallelDigester:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def iter_chunks(data: Chunks | bytes, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yields the content as immutable ``bytes`` chunks, reading a file ``chunk_size`` at a time."""
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    if hasattr(data, "read"):
        while chunk := data.read(chunk_size):
            yield chunk if type(chunk) is bytes else bytes(chunk)
        return
    yield from _bytes_items(data)


def file_chunks(path: str | os.PathLike[str], chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """A file's content as ``bytes`` chunks, read without a buffered file object: each read is
    sized to what the file holds, so a small file takes one read and the one that finds its
    end (a buffered file's 1 MiB reads allocate, and map, a 1 MiB buffer each). OSError of
    the file propagates when the content is first asked for."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        left = os.fstat(fd).st_size
        while chunk := os.read(fd, min(chunk_size, left if left > 0 else _TAIL_READ)):
            left -= len(chunk)
            yield chunk
    finally:
        os.close(fd)


def read_small(path: str | os.PathLike[str], limit: int = THREAD_THRESHOLD) -> bytes | None:
    """The whole content of the file at ``path`` if it holds at most ``limit`` bytes, else
    ``None`` (stream it then). One read sized to the file, one more that finds its end: for the
    many small files of a bulk import, the chunk generator and the per-chunk bookkeeping of
    ``copy_digesting`` cost more than the read itself."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        if size > limit:
            return None
        content = os.read(fd, size + 1) if size else b""
        while len(content) <= limit and (more := os.read(fd, _TAIL_READ)):
            content += more  # it grew since fstat
        return content if len(content) <= limit else None
    finally:
        os.close(fd)


def digest_bytes(content: bytes) -> ContentRef:
    """The SHA-256, SHA-512 and size of a content held whole (small: no threads)."""
    return ContentRef(
        sha256=hashlib.sha256(content).hexdigest(),
        sha512=hashlib.sha512(content).hexdigest(),
        size=len(content),
    )


def _bytes_items(items: Iterable[bytes]) -> Iterator[bytes]:
    for item in items:
        if type(item) is bytes:
            yield item
        elif isinstance(item, bytearray | memoryview):
            # A copy: the producer may reuse its buffer while the digest threads still read it.
            yield bytes(item)
        else:
            raise TypeError(f"content chunks must be bytes, not {type(item).__name__}")


class SizeGuard:
    """Enforces ``max_size`` and ``expected_size`` before each chunk is written."""

    def __init__(self, *, expected_size: int | None, max_size: int | None) -> None:
        if expected_size is not None and max_size is not None and expected_size > max_size:
            raise ContentTooLarge(
                f"Taille annoncée ({expected_size} octets) supérieure au maximum accepté "
                f"({max_size} octets)",
                max_size=max_size,
            )
        self.expected_size = expected_size
        self.max_size = max_size
        self.size = 0

    def admit(self, chunk: bytes) -> None:
        size = self.size + len(chunk)
        if self.max_size is not None and size > self.max_size:
            raise ContentTooLarge(
                f"Contenu plus grand que le maximum accepté ({self.max_size} octets)",
                max_size=self.max_size,
            )
        if self.expected_size is not None and size > self.expected_size:
            raise ContentTooLarge(
                f"Contenu plus grand que la taille annoncée ({self.expected_size} octets)",
                expected_size=self.expected_size,
            )
        self.size = size

    def check_complete(self) -> None:
        if self.expected_size is not None and self.size < self.expected_size:
            raise IncompleteContent(
                f"Contenu tronqué : {self.size} octets reçus sur {self.expected_size} annoncés",
                expected_size=self.expected_size,
                received_size=self.size,
            )


def copy_digesting(
    data: Chunks | bytes,
    write: Sink,
    *,
    expected_size: int | None = None,
    max_size: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ContentRef:
    """Streams ``data`` into ``write`` while computing its SHA-256 and SHA-512.

    Raises ``ContentTooLarge`` before writing the chunk that would pass ``max_size`` (or the
    announced ``expected_size``), and ``IncompleteContent`` when the stream ends short of
    ``expected_size``. Errors of the source and of ``write`` propagate unchanged.
    """
    guard = SizeGuard(expected_size=expected_size, max_size=max_size)
    with ParallelDigester(("sha256", "sha512")) as digester:
        for chunk in iter_chunks(data, chunk_size):
            guard.admit(chunk)
            digester.update(chunk)
            write(chunk)
        guard.check_complete()
        digests = digester.hexdigests()
    return ContentRef(sha256=digests["sha256"], sha512=digests["sha512"], size=guard.size)


def hash_stream(
    data: Chunks | bytes, *, expected_size: int | None = None, max_size: int | None = None
) -> ContentRef:
    """The SHA-256, SHA-512 and size of a stream, read once with bounded memory."""
    return copy_digesting(data, _discard, expected_size=expected_size, max_size=max_size)


def _discard(chunk: bytes) -> None:
    del chunk
