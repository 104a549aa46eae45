"""The worker process: runs sandboxed jobs one at a time under resource limits (POSIX setrlimit).

Limits are set before any job's module (and so any PDF library) is imported:

- ``RLIMIT_AS`` caps the address space, so a decompression bomb fails an allocation inside this
  process instead of exhausting the host;
- ``RLIMIT_CPU`` is moved before each job to "CPU used so far + the job's timeout": if the pool
  itself disappears while a job spins, the kernel still ends the worker (SIGXCPU);
- ``RLIMIT_CORE`` is 0, so a crashing parser leaves no core dump of its memory on disk.

The pool talks to the worker over a pipe: a job in, its result out, ``None`` to stop. A job is
a ``Call`` ("module:function" and picklable arguments: its value or failure comes back as a
``CallOutcome``), or any picklable ``Task`` whose ``run`` gives the result (the GED's text
extraction jobs). Either way a function gives up on a file by raising an ``ExtractionError``.
"""

from __future__ import annotations

import importlib
import logging
import resource
import warnings
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

from kernel.sandbox.failures import ExtractionError, FailureReason

READY = "ready"


class Task(Protocol):
    """A job that knows how to run itself in the worker (picklable, as it crosses the pipe);
    its result has an ``error`` attribute (None on success, a ``FailureReason`` otherwise)."""

    def run(self) -> Any: ...


@dataclass(frozen=True)
class Call:
    """Any sandboxed function ("module:function") with picklable arguments and result; used
    for work as risky as extraction on the same files (signature verification)."""

    function: str
    args: tuple[Any, ...]
    cpu_seconds: int


@dataclass(frozen=True)
class CallOutcome:
    """A call's value, or why it failed (the extraction failure codes)."""

    value: Any = None
    error: FailureReason | None = None
    detail: str = ""


def serve(conn: Connection, memory_bytes: int) -> None:
    """Worker main loop: set the limits, announce readiness, then answer jobs until told to stop."""
    limit_resources(memory_bytes)
    # Hostile files make libraries warn and log at length; the outcome travels back in the
    # result, and the worker must not flood the server's stderr.
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    conn.send(READY)
    while True:
        try:
            job = conn.recv()
        except EOFError:  # the pool went away
            return
        if job is None:
            return
        conn.send(run_call(job) if isinstance(job, Call) else job.run())


def limit_resources(memory_bytes: int) -> None:
    """Cap the address space and forbid core dumps for the rest of this process's life."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory_bytes = min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def limit_cpu(seconds: int) -> None:
    """Let this job use at most ``seconds`` more CPU seconds before the kernel sends SIGXCPU."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + seconds + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def run_call(call: Call) -> CallOutcome:
    """Run one call and turn every way it can end inside Python into an outcome."""
    limit_cpu(call.cpu_seconds)
    try:
        module_name, _, name = call.function.partition(":")
        function = getattr(importlib.import_module(module_name), name)
        return CallOutcome(value=function(*call.args))
    except ExtractionError as exc:  # what the file is (encrypted, malformed…), as for text
        return CallOutcome(error=exc.reason, detail=str(exc))
    except MemoryError:
        return CallOutcome(error="memory", detail="MemoryError under the address-space limit")
    except RecursionError:
        return CallOutcome(error="malformed", detail="structures nested too deeply")
    except Exception as exc:  # the job fails, not the worker
        return CallOutcome(error="error", detail=f"{type(exc).__name__}: {exc}"[:500])
