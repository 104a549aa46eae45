"""Downloads that never serve a damaged copy whole (OAIS Access, ISO 14721 §4.1.1.6, over the
fixity of ``kernel.blobstore.fixity``): the GED re-hashes what it serves against the digests it
recorded when the version was filed, and records the damage it finds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import BinaryIO

from ged.domain.model import Damage
from ged.services.ports import ContentCorrupted
from kernel.blobstore.fixity import Expected
from kernel.blobstore.hashing import CHUNK_SIZE
from kernel.blobstore.verified import rehashed_blocks


def verified_blocks(
    stream: BinaryIO,
    expected: Expected,
    on_damage: Callable[[Damage], object],
    block_size: int = CHUNK_SIZE,
) -> Iterator[bytes]:
    """The copy's bytes, re-hashed while they are served (``kernel.blobstore.verified``): a
    damaged copy never reaches its end; ``on_damage`` is told and ``ContentCorrupted`` raised."""

    def damaged() -> ContentCorrupted:
        on_damage(Damage.ALTERED)
        return ContentCorrupted.of(Damage.ALTERED, expected.sha256)

    return rehashed_blocks(stream, expected, damaged, block_size)
