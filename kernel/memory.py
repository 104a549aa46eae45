"""Giving the system back the memory a large piece of work has freed (glibc ``malloc_trim``).

CPython frees its small objects into 256 KiB arenas that go back to the system only when wholly
empty, and glibc keeps the freed blocks of its heap for later ``malloc`` calls; libxml2 (the
manifest's parsing and XSD validation) and SQLite allocate through that heap too. After the
checks of a large transfer, a long-lived process (the repository's server or worker) would
otherwise keep tens of MiB it no longer uses, and the acceptance that follows would allocate on
top of them: measured on the checks of 100,000 documents, RSS 162 MiB once done, 121 MiB after
this (114 MiB before the checks). ``malloc_trim(0)`` returns every free page of the heap
(glibc ≥ 2.8); elsewhere (musl, macOS) only the garbage collection is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from functools import cache


def give_back_memory() -> bool:
    """Collects garbage, then returns the heap's free pages to the system; whether it could."""
    gc.collect()
    trim = _glibc("malloc_trim")
    if trim is None:
        return False
    trim(0)
    return True


# mallopt's parameter for the number of arenas (glibc malloc/malloc.h: M_ARENA_MAX).
_M_ARENA_MAX = -8
SERVER_ARENAS = 2


def limit_malloc_arenas(arenas: int = SERVER_ARENAS) -> bool:
    """At most ``arenas`` glibc malloc arenas for this process; whether it could be set.

    glibc gives a thread that finds the arenas busy one of its own, up to eight per core, and
    memory freed in one arena serves only that arena's later ``malloc`` calls: a threaded server
    (uvicorn's loop, the pool running the synchronous routes, the checks and the acceptance)
    grows by the sum of its threads' peaks rather than their common peak. Python allocates with
    the GIL held, so fewer arenas cost no contention worth measuring here. Measured on the
    repository's server at 100,000 documents (``bench/bench_transfer.py``): peak RSS 152 MiB with
    glibc's default, 143–146 MiB with two arenas (the ``glibc.malloc.arena_max`` tunable, set
    before threads allocate). Elsewhere (musl, macOS), nothing is done."""
    mallopt = _glibc("mallopt")
    return mallopt is not None and bool(mallopt(_M_ARENA_MAX, arenas))


@cache
def _glibc(function: str) -> Callable[..., int] | None:
    """A function of glibc's allocator; None under another C library (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        found: Callable[..., int] = getattr(ctypes.CDLL(name), function)
    except (OSError, AttributeError):
        return None
    return found
