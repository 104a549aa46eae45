"""A pool of long-lived extraction workers, so a hostile file can neither hang nor crash the server.

Each worker is a separate process (``multiprocessing`` with the ``spawn`` start method: a fresh
interpreter, never a fork of a threaded server, and the method pygfried's Go runtime supports)
that runs one job at a time under an address-space cap (``worker.py``). The parent waits for the
answer with a wall-clock timeout and kills the worker when it expires; a worker that dies, times
out or runs out of memory is replaced, and every worker is retired after ``max_jobs_per_worker``
jobs so that leaks in C libraries cannot accumulate. A bulk import therefore pays one process
start per worker, not per file.

``ExtractionPool.extract`` is thread-safe and blocks its caller until a worker is free; run it
in a thread from async code. ``extract_text`` is the one-shot form (one process per call).

With ``spawn``, each worker re-imports the server's ``__main__`` module before it sets its
limits: that module must keep the ``if __name__ == "__main__"`` guard and must not import
pygfried at import time (its Go runtime reserves more address space than the cap allows).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from ged.adapters.extraction.render import PageImage
from ged.adapters.extraction.results import ExtractionResult, FailureReason, RenderResult
from ged.adapters.extraction.worker import READY, Call, CallOutcome, Job, serve
from kernel.errors import UnavailableError

DEFAULT_MAX_CHARS = 2_000_000
PDF = "ged.adapters.extraction.pdf:extract_pdf"
PLAIN = "ged.adapters.extraction.plaintext:extract_plain"
HTML = "ged.adapters.extraction.plaintext:extract_html"
XML = "ged.adapters.extraction.plaintext:extract_xml"
OFFICE = "ged.adapters.extraction.office:extract_office"
RTF = "ged.adapters.extraction.rtf:extract_rtf"
MESSAGE = "ged.adapters.extraction.message:extract_message"
RENDER_PAGE = "ged.adapters.extraction.render:render_pdf_page"
_OPENDOCUMENT = "application/vnd.oasis.opendocument."
_OOXML = "application/vnd.openxmlformats-officedocument."
OFFICE_TYPES = (
    *(f"{_OPENDOCUMENT}{kind}" for kind in ("text", "spreadsheet", "presentation")),
    *(f"{_OPENDOCUMENT}{kind}-template" for kind in ("text", "spreadsheet", "presentation")),
    f"{_OOXML}wordprocessingml.document",
    f"{_OOXML}wordprocessingml.template",
    f"{_OOXML}spreadsheetml.sheet",
    f"{_OOXML}spreadsheetml.template",
    f"{_OOXML}presentationml.presentation",
    f"{_OOXML}presentationml.slideshow",
    "application/vnd.ms-word.document.macroenabled.12",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
)
BUILTIN_EXTRACTORS: Mapping[str, str] = {
    **dict.fromkeys(OFFICE_TYPES, OFFICE),
    "text/rtf": RTF,
    "application/rtf": RTF,
    "message/rfc822": MESSAGE,
    "application/pdf": PDF,
    "text/plain": PLAIN,
    "text/csv": PLAIN,
    "text/tab-separated-values": PLAIN,
    "text/markdown": PLAIN,
    "text/x-markdown": PLAIN,
    "application/json": PLAIN,
    "inode/x-empty": PLAIN,
    "text/html": HTML,
    "application/xhtml+xml": HTML,
    "application/xml": XML,
    "text/xml": XML,
}
# Extractors that write a message's attachments into the ``parts`` file they are given.
_SPLITS_PARTS = frozenset({MESSAGE})
# While waiting, the parent samples the worker's address space this often: after a crash, a
# size near the cap is what tells an allocation failure inside C code from another crash.
_SAMPLE_PERIOD_S = 0.025
_STOP_GRACE_S = 2.0
_REAP_TIMEOUT_S = 5.0


class ExtractionUnavailable(UnavailableError):
    """No extraction worker could be started."""

    code = "extraction_unavailable"


class PoolClosed(RuntimeError):
    """The pool was closed; no more jobs are accepted."""


def extractor_for(mime_type: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """The extractor ("module:function") for a MIME type, or None when its text is not read."""
    base = mime_type.split(";", 1)[0].strip().lower()
    if overrides and base in overrides:
        return overrides[base]
    if base in BUILTIN_EXTRACTORS:
        return BUILTIN_EXTRACTORS[base]
    if base.endswith("+xml"):
        return XML
    if base.endswith("+json") or base.startswith("text/"):
        return PLAIN
    return None


def extract_text(
    path: Path,
    mime_type: str | None,
    *,
    timeout_s: float = 30,
    memory_mb: int = 512,
    max_chars: int = DEFAULT_MAX_CHARS,
    parts: Path | None = None,
) -> ExtractionResult:
    """Extract the text of one file in a fresh worker process (~0.1–0.3 s to start it).

    For more than a handful of files, keep an ``ExtractionPool`` open instead.
    """
    pool = ExtractionPool(1, timeout_s=timeout_s, memory_mb=memory_mb, max_chars=max_chars)
    with pool:
        return pool.extract(path, mime_type, parts=parts)


class ExtractionPool:
    """``workers`` extraction processes, started on first use and replaced when they fail.

    Use it as a context manager, or call ``close()``; ``extractors`` maps extra MIME types to
    "module:function" extractors (see ``worker.py``) and overrides the built-in ones.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        timeout_s: float = 30,
        memory_mb: int = 512,
        max_chars: int = DEFAULT_MAX_CHARS,
        max_jobs_per_worker: int = 1000,
        start_method: Literal["spawn", "forkserver"] = "spawn",
        start_timeout_s: float = 60,
        extractors: Mapping[str, str] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("an extraction pool needs at least one worker")
        self.timeout_s = timeout_s
        self.max_chars = max_chars
        self._extractors = {key.lower(): value for key, value in (extractors or {}).items()}
        self._settings = _WorkerSettings(
            context=multiprocessing.get_context(start_method),
            memory_bytes=memory_mb << 20,
            start_timeout_s=start_timeout_s,
            max_jobs=max_jobs_per_worker,
        )
        self._size = workers
        # Last in, first out: a caller alone keeps getting the same warm worker.
        self._idle: queue.LifoQueue[_Slot] = queue.LifoQueue()
        for _ in range(workers):
            self._idle.put(_Slot(self._settings))
        self._closed = False
        self._close_lock = threading.Lock()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def extract(
        self,
        path: Path,
        mime_type: str | None,
        *,
        timeout_s: float | None = None,
        max_chars: int | None = None,
        parts: Path | None = None,
    ) -> ExtractionResult:
        """Extract one file's text; never raises for anything the file does (see the result).

        ``parts``: an existing empty file that receives a message's attachments.
        """
        if mime_type is None:
            from ged.adapters.formats import guess_mime_type

            mime_type = guess_mime_type(path)
        reference = extractor_for(mime_type, self._extractors)
        if reference is None:
            return ExtractionResult.unsupported(mime_type)
        timeout = self.timeout_s if timeout_s is None else timeout_s
        job = Job(
            path=str(path),
            extractor=reference,
            max_chars=self.max_chars if max_chars is None else max_chars,
            cpu_seconds=math.ceil(timeout),
            options=(("parts", str(parts)),) if parts and reference in _SPLITS_PARTS else (),
        )
        slot = self._checkout()
        try:
            result = slot.run(job, timeout)
        finally:
            self._idle.put(slot)
        assert isinstance(result, ExtractionResult)
        return result

    def render_page(self, path: Path, page: int, *, timeout_s: float | None = None) -> RenderResult:
        """Draw page ``page`` of the PDF at ``path`` as a PNG in a worker (0: count the pages);
        never raises for anything the file does (see the result's ``error``)."""
        outcome = self.call(RENDER_PAGE, str(path), page, timeout_s=timeout_s)
        if outcome.error is not None:
            return RenderResult(error=outcome.error, detail=outcome.detail)
        image: PageImage = outcome.value
        return RenderResult(png=image.png, page_count=image.page_count)

    def call(self, function: str, *args: Any, timeout_s: float | None = None) -> CallOutcome:
        """Run ``function`` ("module:function") in a worker; its failures come as the outcome's
        ``error`` (timeout, memory, crashed…), never as an exception."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        slot = self._checkout()
        try:
            result = slot.run(Call(function, args, math.ceil(timeout)), timeout)
        finally:
            self._idle.put(slot)
        if isinstance(result, ExtractionResult):  # the worker died or timed out
            return CallOutcome(error=result.error, detail=result.detail)
        return result

    def extract_many(self, files: Iterable[tuple[Path, str | None]]) -> Iterator[ExtractionResult]:
        """Extract many files with every worker busy; results come in the order of ``files``."""
        window = 2 * self._size
        with ThreadPoolExecutor(self._size, thread_name_prefix="ged-extraction") as executor:
            pending: deque[Future[ExtractionResult]] = deque()
            for path, mime_type in files:
                pending.append(executor.submit(self.extract, path, mime_type))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    def start(self) -> None:
        """Start every worker now (they start in parallel) instead of on first use.

        A server calls it at start-up so that the first documents do not wait for a process.
        """
        slots = [self._checkout() for _ in range(self._size)]
        try:
            for slot in slots:
                slot.launch()
            for slot in slots:
                slot.await_ready()
        finally:
            for slot in slots:
                self._idle.put(slot)

    def close(self) -> None:
        """Stop every worker, waiting for the jobs under way (each bounded by its timeout)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        for _ in range(self._size):
            self._idle.get().stop()

    def _checkout(self) -> _Slot:
        if self._closed:
            raise PoolClosed("the extraction pool is closed")
        slot = self._idle.get()
        if self._closed:
            self._idle.put(slot)
            raise PoolClosed("the extraction pool is closed")
        return slot


@dataclass(frozen=True)
class _WorkerSettings:
    context: multiprocessing.context.BaseContext
    memory_bytes: int
    start_timeout_s: float
    max_jobs: int


class _Slot:
    """A place for one worker: starts it on demand, replaces it after a failure or M jobs."""

    def __init__(self, settings: _WorkerSettings) -> None:
        self._settings = settings
        self._worker: _Worker | None = None

    def launch(self) -> _Worker:
        """The slot's worker, its process started if there was none (maybe not ready yet)."""
        if self._worker is None:
            self._worker = _Worker(self._settings)
        return self._worker

    def run(self, job: Job | Call, timeout_s: float) -> ExtractionResult | CallOutcome:
        worker = self.launch()
        try:
            worker.await_ready()
            result, reusable = worker.run(job, timeout_s)
        except BaseException:
            # Failed to start, or interrupted while a job was under way (KeyboardInterrupt…): the
            # worker may still answer later, and that answer must never pass for the next job's.
            worker.kill()
            self._worker = None
            raise
        if not reusable or worker.jobs_done >= self._settings.max_jobs:
            self.stop()
        return result

    def await_ready(self) -> None:
        worker = self.launch()
        try:
            worker.await_ready()
        except ExtractionUnavailable:
            self._worker = None
            raise

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, settings: _WorkerSettings) -> None:
        self._memory_bytes = settings.memory_bytes
        parent_end, child_end = settings.context.Pipe(duplex=True)
        process: SpawnProcess = settings.context.Process(  # type: ignore[attr-defined]
            target=serve,
            args=(child_end, settings.memory_bytes),
            name="ged-extraction",
            daemon=True,
        )
        self._conn: Connection = parent_end
        self._process = process
        self._start_timeout_s = settings.start_timeout_s
        self._ready = False
        self.jobs_done = 0
        self._gone = False
        try:
            process.start()
        except OSError as exc:  # out of processes or memory: the host is the problem, not the file
            parent_end.close()
            raise ExtractionUnavailable(
                f"Le processus d'extraction n'a pas démarré : {exc}"
            ) from exc
        finally:
            child_end.close()

    def await_ready(self) -> None:
        """Wait until the worker has set its limits and listens (once)."""
        if self._ready:
            return
        timeout_s = self._start_timeout_s
        try:
            if self._conn.poll(timeout_s) and self._conn.recv() == READY:
                self._ready = True
                return
            detail = f"no answer within {timeout_s:g} s"
        except (EOFError, OSError) as exc:
            detail = f"the worker died while starting ({type(exc).__name__})"
        self.kill()
        raise ExtractionUnavailable(f"Le processus d'extraction n'a pas démarré : {detail}")

    def run(self, job: Job | Call, timeout_s: float) -> tuple[ExtractionResult | CallOutcome, bool]:
        """The job's result, and whether this worker may take another job."""
        self.jobs_done += 1
        try:
            self._conn.send(job)
        except OSError:
            return self._death(0), False
        deadline = time.monotonic() + timeout_s
        peak = 0
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                if self._conn.poll(min(_SAMPLE_PERIOD_S, remaining)):
                    result: ExtractionResult | CallOutcome = self._conn.recv()
                    return result, result.error != "memory"
            except (EOFError, OSError):
                return self._death(peak), False
            peak = max(peak, self._address_space())
        self.kill()
        return ExtractionResult.failed("timeout", f"killed after {timeout_s:g} s"), False

    def _death(self, peak: int) -> ExtractionResult:
        self._process.join(_REAP_TIMEOUT_S)
        code = self._process.exitcode
        self.kill()  # if it is still running, it no longer answers: it must not linger
        reason, detail = _cause_of_death(code, peak, self._memory_bytes)
        return ExtractionResult.failed(reason, detail)

    def _address_space(self) -> int:
        """The worker's current address-space size in bytes (0 if it cannot be read)."""
        try:
            pages = Path(f"/proc/{self._process.pid}/statm").read_bytes().split()[0]
            return int(pages) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    def stop(self) -> None:
        """Ask the worker to finish, and kill it if it does not within a grace period."""
        if self._gone:
            return
        with contextlib.suppress(OSError):
            self._conn.send(None)
        self._process.join(_STOP_GRACE_S)
        self.kill()

    def kill(self) -> None:
        """Kill the worker (if still running), reap it and release its pipe."""
        if self._gone:
            return
        self._gone = True
        if self._process.exitcode is None:
            self._process.kill()
            self._process.join(_REAP_TIMEOUT_S)
        self._conn.close()
        if self._process.exitcode is not None:
            self._process.close()


def _cause_of_death(code: int | None, peak: int, memory_bytes: int) -> tuple[FailureReason, str]:
    """Name why a worker died, from its exit code and the largest address space seen."""
    if code is None:
        return "crashed", "the worker stopped answering"
    if code >= 0:
        return "crashed", f"the worker exited with status {code}"
    name = _signal_name(-code)
    # C libraries abort or fault when an allocation is refused; half the cap in use just before
    # is the sign of it (buffers grow by doubling, so the last sample can be that far below).
    if peak * 2 >= memory_bytes:
        return "memory", f"{name} with {peak >> 20} MiB of {memory_bytes >> 20} MiB in use"
    if -code == signal.SIGXCPU:
        return "timeout", "CPU time limit reached (SIGXCPU)"
    return "crashed", f"the worker was killed by {name}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
