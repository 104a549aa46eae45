"""What the use cases receive: their ports, wired once in ``ged.bootstrap``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ged.services.ports import (
    BatchExtractor,
    BatchIdentifier,
    BlobStore,
    FormatIdentifier,
    LocalCopy,
    PageRenderer,
    PasswordHasher,
    TextExtractor,
    UnitOfWork,
)


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
    passwords: PasswordHasher
    render_page: PageRenderer
    closers: tuple[Callable[[], None], ...] = ()

    def close(self) -> None:
        """Stops the helper processes (extraction sandbox, identification)."""
        for close in self.closers:
            close()


def new_id() -> str:
    return str(uuid.uuid4())
