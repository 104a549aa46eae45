"""A copy served while re-hashed: whole when it matches what was recorded, never complete when
it does not."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

import pytest

from kernel.blobstore.verified import rehashed_blocks

CONTENT = b"une archive" * 1000


@dataclass(frozen=True)
class Recorded:
    sha256: str
    sha512: str
    size: int


RECORDED = Recorded(
    hashlib.sha256(CONTENT).hexdigest(), hashlib.sha512(CONTENT).hexdigest(), len(CONTENT)
)


class Damaged(Exception):
    pass


def test_a_sound_copy_is_served_whole() -> None:
    served = b"".join(rehashed_blocks(io.BytesIO(CONTENT), RECORDED, Damaged, block_size=1000))
    assert served == CONTENT


@pytest.mark.parametrize(
    "copy",
    [CONTENT[:-1] + b"X", CONTENT[:-10], CONTENT + b"!"],
    ids=["altered", "truncated", "grown"],
)
def test_a_damaged_copy_is_never_served_whole(copy: bytes) -> None:
    told: list[str] = []

    def damaged() -> Damaged:
        told.append("damaged")
        return Damaged()

    served = bytearray()
    with pytest.raises(Damaged):
        for block in rehashed_blocks(io.BytesIO(copy), RECORDED, damaged, block_size=1000):
            served += block
    assert told == ["damaged"]
    assert len(served) < len(copy)  # its last block is held back
