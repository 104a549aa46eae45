"""A pool of long-lived sandbox workers, so a hostile file can neither hang nor crash the server.

Each worker is a separate process (``multiprocessing`` with the ``spawn`` start method: a fresh
interpreter, never a fork of a threaded server, and the method pygfried's Go runtime supports)
that runs one job at a time under an address-space cap (``worker.py``). The parent waits for the
answer with a wall-clock timeout and kills the worker when it expires; a worker that dies, times
out or runs out of memory is replaced, and every worker is retired after ``max_jobs_per_worker``
jobs so that leaks in C libraries cannot accumulate. A bulk job therefore pays one process start
per worker, not per file.

Both services use it: the GED for text extraction, signature verification and previews, the
repository for the previews of the review screen. ``call`` runs any "module:function";
``render_page`` draws a PDF page (``pdf_page``). Both are thread-safe and block their caller
until a worker is free: run them in a thread from async code.

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
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from kernel.errors import UnavailableError
from kernel.sandbox.failures import FailureReason
from kernel.sandbox.pdf_page import PageImage
from kernel.sandbox.worker import READY, Call, CallOutcome, Task, serve

RENDER_PAGE = "kernel.sandbox.pdf_page:render_pdf_page"
# While waiting, the parent samples the worker's address space this often: after a crash, a
# size near the cap is what tells an allocation failure inside C code from another crash.
_SAMPLE_PERIOD_S = 0.025
_STOP_GRACE_S = 2.0
_REAP_TIMEOUT_S = 5.0


class SandboxUnavailable(UnavailableError):
    """No sandbox worker could be started."""

    code = "extraction_unavailable"


class PoolClosed(RuntimeError):
    """The pool was closed; no more jobs are accepted."""


@dataclass(frozen=True)
class RenderResult:
    """The outcome of rendering one PDF page in the sandbox: the PNG (empty when only the page
    count was asked, or on failure) and the document's page count; ``error`` as for text."""

    png: bytes = b""
    page_count: int = 0
    error: FailureReason | None = None
    detail: str = ""


class SandboxPool:
    """``workers`` sandbox processes, started on first use and replaced when they fail.

    Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        workers: int = 2,
        *,
        timeout_s: float = 30,
        memory_mb: int = 512,
        max_jobs_per_worker: int = 1000,
        start_method: Literal["spawn", "forkserver"] = "spawn",
        start_timeout_s: float = 60,
    ) -> None:
        if workers < 1:
            raise ValueError("a sandbox pool needs at least one worker")
        self.timeout_s = timeout_s
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

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def size(self) -> int:
        return self._size

    def run(self, job: Task | Call, timeout_s: float) -> Any:
        """The job's result; a ``CallOutcome`` with the cause when the worker died or timed out."""
        slot = self._checkout()
        try:
            return slot.run(job, timeout_s)
        finally:
            self._idle.put(slot)

    def call(self, function: str, *args: Any, timeout_s: float | None = None) -> CallOutcome:
        """Run ``function`` ("module:function") in a worker; its failures come as the outcome's
        ``error`` (timeout, memory, crashed…), never as an exception."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        outcome: CallOutcome = self.run(Call(function, args, math.ceil(timeout)), timeout)
        return outcome

    def render_page(self, path: Path, page: int, *, timeout_s: float | None = None) -> RenderResult:
        """Draw page ``page`` of the PDF at ``path`` as a PNG in a worker (0: count the pages);
        never raises for anything the file does (see the result's ``error``)."""
        outcome = self.call(RENDER_PAGE, str(path), page, timeout_s=timeout_s)
        if outcome.error is not None:
            return RenderResult(error=outcome.error, detail=outcome.detail)
        image: PageImage = outcome.value
        return RenderResult(png=image.png, page_count=image.page_count)

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
            raise PoolClosed("the sandbox pool is closed")
        slot = self._idle.get()
        if self._closed:
            self._idle.put(slot)
            raise PoolClosed("the sandbox pool is closed")
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

    def run(self, job: Task | Call, timeout_s: float) -> Any:
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
        except SandboxUnavailable:
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
            name="gedsae-sandbox",
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
            raise SandboxUnavailable(f"Le processus isolé n'a pas démarré : {exc}") from exc
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
        raise SandboxUnavailable(f"Le processus isolé n'a pas démarré : {detail}")

    def run(self, job: Task | Call, timeout_s: float) -> tuple[Any, bool]:
        """The job's result, and whether this worker may take another job."""
        # a task standing for several jobs (a group of files) counts as that many
        self.jobs_done += getattr(job, "job_count", 1)
        try:
            self._conn.send(job)
        except OSError:
            return self._death(0), False
        deadline = time.monotonic() + timeout_s
        peak = 0
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                if self._conn.poll(min(_SAMPLE_PERIOD_S, remaining)):
                    result = self._conn.recv()
                    return result, getattr(result, "error", None) != "memory"
            except (EOFError, OSError):
                return self._death(peak), False
            peak = max(peak, self._address_space())
        self.kill()
        return CallOutcome(error="timeout", detail=f"killed after {timeout_s:g} s"), False

    def _death(self, peak: int) -> CallOutcome:
        self._process.join(_REAP_TIMEOUT_S)
        code = self._process.exitcode
        self.kill()  # if it is still running, it no longer answers: it must not linger
        reason, detail = _cause_of_death(code, peak, self._memory_bytes)
        return CallOutcome(error=reason, detail=detail)

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
