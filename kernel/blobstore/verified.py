"""Serving a copy that never completes when it is damaged (OAIS Access, ISO 14721 §4.1.1.6, over
the fixity of ``kernel.blobstore.fixity``): both services re-hash what they serve against the
digests they recorded when the content was received.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from kernel.blobstore.fixity import Expected, matches
from kernel.blobstore.hashing import CHUNK_SIZE, ParallelDigester
from kernel.blobstore.ports import ContentRef, DigestMismatch


def rehashed_blocks(
    stream: BinaryIO,
    expected: Expected,
    damaged: Callable[[], BaseException],
    block_size: int = CHUNK_SIZE,
) -> Iterator[bytes]:
    """The copy's bytes, re-hashed (SHA-256 and SHA-512) while they are served.

    The last block is held back until both digests and the size match the recorded ones: a
    damaged copy never reaches its end. ``damaged()`` is called instead (to record it) and the
    exception it returns is raised (an HTTP response already under way is cut short: the client
    sees a truncated body, never a complete one with the recorded ETag). The stream is closed
    in every case.
    """
    with stream, ParallelDigester() as digester:
        held = b""
        try:
            # One byte past the recorded size is enough to know a copy grew.
            while block := stream.read(min(block_size, expected.size + 1 - digester.size)):
                digester.update(block)
                if held:
                    yield held
                held = block
        except DigestMismatch:
            pass  # S3 checks the SHA-256 as it reads: so does the comparison below
        served = ContentRef(size=digester.size, **digester.hexdigests())
        if not matches(expected, served):
            raise damaged()
        if held:
            yield held
