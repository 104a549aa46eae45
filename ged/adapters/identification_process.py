"""Format identification in a separate, long-lived process.

pygfried (Siegfried, in Go) holds the GIL for the whole of a call: run in the server or the
importer's process, it stalls every other thread (hashing, storing, recording) for ~0.3–1.5 ms
per file. In its own process it runs on the other core instead. It is not put in the extraction
sandbox: Go reserves ~1.7 GB of address space and cannot start under that sandbox's memory cap.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ged.adapters import formats
from ged.services.ports import FormatFacts


class IdentificationProcess:
    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    def identify_many(self, files: Sequence[tuple[Path, str | None]]) -> Sequence[FormatFacts]:
        """The links giving blobs their extension are made here, in the process whose
        context removes them when it closes."""
        if not files:
            return []
        with formats.named(files) as shown:
            return self._pool().submit(formats.identify_many, shown).result()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(cancel_futures=True)
            self._executor = None
