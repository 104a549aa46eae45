"""What the use cases receive: their ports, wired once in ``ged.bootstrap``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ged.services.ports import (
    BatchExtractor,
    BatchIdentifier,
    FormatIdentifier,
    LocalCopy,
    TextExtractor,
    UnitOfWork,
)
from kernel.blobstore.ports import BlobStore, Leftover, TempSweep


def _nothing_to_sweep() -> list[Leftover]:
    return []


@dataclass(frozen=True)
class Context:
    uow: Callable[[], UnitOfWork]
    blobs: BlobStore
    clock: Callable[[], datetime]
    identify: FormatIdentifier
    extract: TextExtractor
    identify_many: BatchIdentifier
    extract_many: BatchExtractor
    local_copy: LocalCopy
    max_upload_bytes: int
    closers: tuple[Callable[[], None], ...] = ()
    # removes the temp files of dead processes (kill -9) from the stores and spools
    sweep_temp_files: TempSweep = _nothing_to_sweep
    # a second store holding a copy of every blob: the audit fills it and repairs from it
    replica: BlobStore | None = None

    def close(self) -> None:
        """Stops the helper processes (extraction sandbox, identification)."""
        for close in self.closers:
            close()


def new_id() -> str:
    return str(uuid.uuid4())
