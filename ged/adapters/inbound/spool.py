"""Private temp files for imports: an uploaded body, a nested archive (a séance's
``documents.zip`` inside the uploaded zip) — zip and tar need a seekable file.

They live in the instance's spool, named after their process (``OwnedTempDir``), so that the
leftovers of a process killed mid-import are removed at the next start, never a live one's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from kernel.blobstore.ports import ContentTooLarge
from kernel.blobstore.tempfiles import OwnedTempDir

INBOUND_PREFIX = "inbound-"


class InboundSpool:
    def __init__(self, spool: OwnedTempDir) -> None:
        self._spool = spool

    @contextmanager
    def file(self) -> Iterator[tuple[Path, IO[bytes]]]:
        """A new private temp file, open for writing; removed when the context exits."""
        self._spool.directory.mkdir(parents=True, exist_ok=True)
        fd, path = self._spool.mkstemp(INBOUND_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                yield path, out
        finally:
            path.unlink(missing_ok=True)

    @contextmanager
    def body(self, blocks: Iterator[bytes], max_size: int) -> Iterator[Path]:
        """An uploaded body written whole (and no more than ``max_size`` bytes) before it is
        read; the file goes when the context exits."""
        with self.file() as (path, out):
            written = 0
            for block in blocks:
                written += len(block)
                if written > max_size:
                    raise ContentTooLarge(f"Contenu de plus de {max_size} octets refusé")
                out.write(block)
            out.flush()
            yield path
