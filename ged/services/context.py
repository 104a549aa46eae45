"""What the use cases receive: their ports, wired once in ``ged.bootstrap``."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ged.services.ports import (
    BatchExtractor,
    BatchIdentifier,
    FormatIdentifier,
    LocalCopy,
    Scratch,
    SignatureVerifier,
    TextExtractor,
    TrustAnchors,
    UnitOfWork,
)
from kernel.accounts.ports import PasswordHasher
from kernel.blobstore.ports import BlobStore, Leftover, TempSweep
from kernel.sandbox.preview import PageRenderer


def _nothing_to_sweep() -> list[Leftover]:
    return []


@contextmanager
def temporary_file() -> Iterator[Path]:
    """An empty file in the system's temporary directory, removed afterwards."""
    fd, name = tempfile.mkstemp(prefix="ged-scratch-")
    os.close(fd)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


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
    # removes the temp files of dead processes (kill -9) from the stores and spools
    sweep_temp_files: TempSweep = _nothing_to_sweep
    # a second store holding a copy of every blob: the audit fills it and repairs from it
    replica: BlobStore | None = None
    # an empty temporary file for a message's attachments (the instance's spool in production)
    scratch: Scratch = temporary_file
    # signature verification (sandboxed) and the trust anchors of an organisation (by id);
    # without a verifier, no signature is verified
    verify_signatures: SignatureVerifier | None = None
    trust_anchors: Callable[[str], TrustAnchors] = lambda organisation_id: TrustAnchors()
    # starts the helper processes (sandbox workers, identification) in the background, so that
    # work about to come does not wait for them: ``gedsae import`` while it deposits
    warm_up: Callable[[], None] = lambda: None

    def close(self) -> None:
        """Stops the helper processes (extraction sandbox, identification)."""
        for close in self.closers:
            close()


def new_id() -> str:
    return str(uuid.uuid4())
