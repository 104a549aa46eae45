"""Storing the files of a folder tree in batches (a bulk import), each batch durable together.

On the local filesystem store, batches are stored by worker processes: reading, hashing and
writing thousands of small files is ~150 µs of Python per file, and in the importing process it
would share one GIL with the recording of the batch before (profiled: the deposit of 10,000
files of 4–64 KiB ran on one core, its wall time the sum of both). Each worker stores its part of
a batch through its own ``FilesystemBatch`` (one ``syncfs``, the renames, one more), so its
temp files never outlive it: nothing crosses between processes but paths and digests. Other
stores (S3: spooled, then uploaded when the batch ends) take the batch in this process, several
files at a time in threads.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Final

from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobBatch, BlobStore, ContentRef

WORKERS: Final = 2


@dataclass(frozen=True)
class Unstored:
    """Why one file of a batch was passed over (the others are stored)."""

    reason: str


Outcome = ContentRef | Unstored


@dataclass
class PartlyStored(Exception):
    """A part of the batch failed as a whole (its storage, not one file): the other parts'
    blobs, in ``stored``, are durable but recorded nowhere; the caller decides their fate."""

    cause: BaseException
    stored: list[ContentRef] = field(default_factory=list)

    def __str__(self) -> str:
        return str(self.cause)


class BulkStorer:
    """``store(paths)`` returns each file's outcome, in order, once the whole batch is durable.
    Use it as a context manager: the workers stop with it."""

    def __init__(self, store: BlobStore, *, max_size: int | None, workers: int = WORKERS) -> None:
        self._store = store
        self._max_size = max_size
        self._workers = workers
        self._pool: Executor
        if isinstance(store, FilesystemBlobStore):
            self._root: Path | None = store.root
            self._pool = ProcessPoolExecutor(workers, mp_context=_start_method())
        else:
            self._root = None
            self._pool = ThreadPoolExecutor(workers, thread_name_prefix="bulk-store")

    def store(self, paths: Sequence[str]) -> list[Outcome]:
        if self._root is None:
            with self._store.batch() as batch:
                return list(self._pool.map(partial(_put_one, batch, self._max_size), paths))
        size = -(-len(paths) // self._workers)
        parts = [paths[start : start + size] for start in range(0, len(paths), size)]
        futures = [
            self._pool.submit(store_part, str(self._root), list(part), self._max_size)
            for part in parts
        ]
        return _gathered(futures)

    def __enter__(self) -> BulkStorer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _start_method() -> multiprocessing.context.BaseContext:
    """``fork`` from a single-threaded process (the CLI: the workers start at once, with every
    module already imported), ``spawn`` otherwise (forking a process whose other threads may
    hold a lock is unsafe)."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _gathered(futures: list[Future[list[Outcome]]]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    failure: BaseException | None = None
    for future in futures:
        try:
            outcomes.extend(future.result())
        except BaseException as exc:  # every part is waited for: none is left running
            failure = failure or exc
    if failure is not None:
        stored = [outcome for outcome in outcomes if isinstance(outcome, ContentRef)]
        raise PartlyStored(failure, stored) from failure
    return outcomes


_STORES: dict[str, FilesystemBlobStore] = {}  # a worker's store, by root


def store_part(root: str, paths: list[str], max_size: int | None) -> list[Outcome]:
    """In a worker process: the files, durable together once it returns."""
    store = _STORES.get(root)
    if store is None:
        store = _STORES[root] = FilesystemBlobStore(root)
    with store.batch() as batch:
        return [_put_one(batch, max_size, path) for path in paths]


def _put_one(batch: BlobBatch, max_size: int | None, path: str) -> Outcome:
    try:
        return batch.put_file(path, max_size=max_size)
    except OSError as exc:
        return Unstored(f"illisible : {exc.strerror or os.strerror(exc.errno or 0)}")
    except Exception as exc:  # one bad file must not stop the others
        return Unstored(str(exc))
