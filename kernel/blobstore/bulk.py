"""Storing the files of a folder tree in batches (a bulk import), each batch durable together.

In two steps: ``stage`` reads, hashes and writes a batch's files to temp files (no blob is
visible yet, nothing is synced), ``commit`` makes them blobs, durable together (one ``syncfs``,
the renames, one more). Staging may start before the caller knows it may store anything (the
command is still starting: imports, database, rights): ``discard`` removes staged temp files,
which no one else can reference, with no database to ask.

On the local filesystem store the staging runs in worker processes: reading, hashing and writing
thousands of small files is ~150 µs of Python per file, and in the importing process it would
share one GIL with the recording of the batch before (profiled: the deposit of 10,000 files of
4–64 KiB ran on one core, its wall time the sum of both). The commit, system calls mostly, runs
in a thread of the caller, never queued behind stagings. A worker's temp files are named after
it (``tempfiles``): while the workers live, no sweep of stale temp files takes them. Other
stores (S3: spooled, then uploaded when the batch ends) stage nothing ahead and take the batch
at its commit, in a thread, several files at a time.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Final, TypeVar

from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import (
    BlobBatch,
    BlobStore,
    ContentRef,
    StorageFull,
    StorageUnavailable,
)

WORKERS: Final = 2
_T = TypeVar("_T")
_FILES_AT_ONCE: Final = 4  # threads putting files into one batch of another store


@dataclass(frozen=True)
class Unstored:
    """Why one file of a batch was passed over (the others are stored)."""

    reason: str


Outcome = ContentRef | Unstored
_Temp = tuple[str, ContentRef]  # a staged file: its temp file, its digests


@dataclass
class PartlyStored(Exception):
    """A batch failed as a whole (its storage, not one file). ``stored`` are the batch's blobs
    that may have become visible, recorded nowhere: the caller removes those no one
    references (a blob never installed is simply absent)."""

    cause: BaseException
    stored: list[ContentRef] = field(default_factory=list)

    def __str__(self) -> str:
        return str(self.cause)


@dataclass
class Staged:
    """A batch on its way: its paths, in order, and the staging of each part."""

    paths: list[str]
    parts: list[Future[list[_Temp | Unstored]]]


class Committing:
    """A batch being made durable; ``result()`` gives each file's outcome, in order, or raises
    ``PartlyStored`` naming the blobs it may have made visible (``at_risk``)."""

    def __init__(self, future: Future[list[Outcome]], at_risk: list[ContentRef]) -> None:
        self._future = future
        self._at_risk = at_risk

    def result(self) -> list[Outcome]:
        try:
            return self._future.result()
        except BaseException as exc:
            raise PartlyStored(exc, self._at_risk) from exc


class BulkStorer:
    """Stages and commits batches of files. Use it as a context manager: the workers stop with
    it (after what was submitted: discard or commit every staged batch before)."""

    def __init__(self, store: BlobStore, *, max_size: int | None, workers: int = WORKERS) -> None:
        self._store = store
        self._max_size = max_size
        self._workers = workers
        self._pool: Executor
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="bulk-commit")
        if isinstance(store, FilesystemBlobStore):
            self._root: str | None = str(store.root)
            self._local = store
            self._pool = ProcessPoolExecutor(workers, mp_context=_start_method())
        else:
            self._root = None
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="bulk-store")

    def stage(self, paths: Sequence[str]) -> Staged:
        if self._root is None:
            return Staged(list(paths), [])
        size = -(-len(paths) // self._workers) or 1
        parts = [
            self._pool.submit(stage_part, self._root, list(paths[i : i + size]), self._max_size)
            for i in range(0, len(paths), size)
        ]
        return Staged(list(paths), parts)

    def commit(self, staged: Staged) -> Committing:
        """Starts making a staged batch durable (waits for its staging only)."""
        if self._root is None:
            return Committing(self._pool.submit(self._store_in_batch, staged.paths), [])
        outcomes: list[Outcome] = []
        temps: list[_Temp] = []
        for item in _staged_items(staged):
            outcomes.append(item if isinstance(item, Unstored) else item[1])
            if not isinstance(item, Unstored):
                temps.append(item)
        # In a thread here, not behind the stagings queued for the workers: the syncs and the
        # renames are system calls (the GIL is released).
        future = self._committer.submit(self._commit_temps, temps, outcomes)
        return Committing(future, [ref for _, ref in temps])

    def store(self, paths: Sequence[str]) -> list[Outcome]:
        """Stages and commits a batch at once."""
        return self.commit(self.stage(paths)).result()

    def discard(self, staged: Staged) -> None:
        """Removes what was staged of a batch not to be committed (waits for its staging)."""
        for part in staged.parts:
            with suppress(Exception):  # a failed staging removed its own temp files
                _remove_temps(part.result())

    def _commit_temps(self, temps: list[_Temp], outcomes: list[Outcome]) -> list[Outcome]:
        self._local.commit_temps([(Path(temp), ref) for temp, ref in temps])
        return outcomes

    def _store_in_batch(self, paths: list[str]) -> list[Outcome]:
        with (
            self._store.batch() as batch,
            ThreadPoolExecutor(_FILES_AT_ONCE, thread_name_prefix="bulk-put") as files,
        ):
            put = partial(_put_one, batch, self._max_size)
            return list(files.map(put, paths))

    def __enter__(self) -> BulkStorer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._committer.shutdown(wait=True)


def _staged_items(staged: Staged) -> list[_Temp | Unstored]:
    """Every file's staging, in order; if a part failed (a worker died), the others' temp
    files go and its failure is raised (nothing of the batch is visible)."""
    items: list[_Temp | Unstored] = []
    failure: BaseException | None = None
    for part in staged.parts:
        try:
            items.extend(part.result())
        except BaseException as exc:
            failure = failure or exc
    if failure is not None:
        _remove_temps(items)
        raise failure
    return items


def _remove_temps(items: list[_Temp | Unstored]) -> None:
    for item in items:
        if not isinstance(item, Unstored):
            Path(item[0]).unlink(missing_ok=True)


def _start_method() -> multiprocessing.context.BaseContext:
    """``fork`` from a single-threaded process (the CLI: the workers start at once, with every
    module already imported), ``spawn`` otherwise (forking a process whose other threads may
    hold a lock is unsafe)."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


# -- in the worker processes ---------------------------------------------------------------------

# A worker's store, by root; cleared as the worker ends, which removes the owner file of its
# temp files (all committed or discarded by then).
_STORES: dict[str, FilesystemBlobStore] = {}


def _store_at(root: str) -> FilesystemBlobStore:
    store = _STORES.get(root)
    if store is None:
        if not _STORES:  # a worker ends by os._exit: only multiprocessing's finalizers run
            multiprocessing.util.Finalize(None, _STORES.clear, exitpriority=1)
        store = _STORES[root] = FilesystemBlobStore(root)
    return store


def stage_part(root: str, paths: list[str], max_size: int | None) -> list[_Temp | Unstored]:
    """Each file in a temp file of the store at ``root``, or why it was passed over. If this
    fails as a whole, the temp files it wrote are removed."""
    store = _store_at(root)
    staged: list[_Temp | Unstored] = []
    try:
        for path in paths:
            staged.append(_stage_one(store, max_size, path))
    except BaseException:
        _remove_temps(staged)
        raise
    return staged


def _stage_one(store: FilesystemBlobStore, max_size: int | None, path: str) -> _Temp | Unstored:
    def stage() -> _Temp:
        temp, ref = store.stage_file(path, max_size=max_size)
        return str(temp), ref

    return _one_file(stage)


def _put_one(batch: BlobBatch, max_size: int | None, path: str) -> Outcome:
    return _one_file(partial(batch.put_file, path, max_size=max_size))


def _one_file(store_it: Callable[[], _T]) -> _T | Unstored:
    """What storing one file gave, or why it was passed over (one bad file must not stop the
    others); a failure of the store itself is raised: the batch fails, the import stops."""
    try:
        return store_it()
    except _STORE_FAILURES:
        raise
    except Exception as exc:
        return _unstored(exc)


# A full or failing store fails every file after it: passing them over one by one would report
# an import of nothing as done.
_STORE_FAILURES: Final = (StorageFull, StorageUnavailable)


def _unstored(exc: Exception) -> Unstored:
    if isinstance(exc, OSError):  # the file's: storage errors are the store's own exceptions
        return Unstored(f"illisible : {exc.strerror or os.strerror(exc.errno or 0)}")
    return Unstored(str(exc))
