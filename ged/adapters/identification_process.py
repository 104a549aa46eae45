"""Format identification in a separate, long-lived process.

pygfried (Siegfried, in Go) holds the GIL for the whole of a call: run in the server or the
importer's process, it stalls every other thread (hashing, storing, recording) for ~0.3–1.5 ms
per file. In its own process it runs on the other core instead. It is not put in the extraction
sandbox: Go reserves ~1.7 GB of address space and cannot start under that sandbox's memory cap.

The glance that settles the formats certain without Siegfried (``formats.certain_first``: a
prose ``.txt`` file read and checked, 0.1 ms) is made there too, for the same reason: in the
importer's process it held the GIL that the recording thread waits for between two rows.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ged.adapters import formats
from ged.services.ports import FormatFacts


class IdentificationProcess:
    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            return self._made()

    def _made(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(1, mp_context=context)
        return self._executor

    def start(self) -> None:
        """Start the process and load the signatures now (0.4–0.5 s), not at the first file;
        nothing once closed."""
        with self._lock:
            if self._closed:
                return
            executor = self._made()
        executor.submit(formats.load_signatures).result()

    def identify_many(self, files: Sequence[tuple[Path, str | None]]) -> Sequence[FormatFacts]:
        """The formats certain at a glance, then Siegfried's answers for the others, all in
        the identification process (which makes and removes the links giving blobs their
        extension)."""
        if not files:
            return []
        return self._pool().submit(formats.identify_files, list(files)).result()

    def close(self) -> None:
        with self._lock:
            executor, self._executor, self._closed = self._executor, None, True
        if executor is not None:  # the process removes its folder of links as it exits
            executor.shutdown(cancel_futures=True)
