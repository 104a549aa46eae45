"""Memory freed by a large piece of work goes back to the system (``kernel.memory``)."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys
from pathlib import Path

import pytest

from kernel.memory import _glibc, give_back_memory


def resident_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux only")
def test_heap_memory_freed_under_a_block_still_in_use_goes_back_to_the_system() -> None:
    if not give_back_memory():
        pytest.skip(f"no malloc_trim in {ctypes.util.find_library('c')}")
    blocks = [bytes(range(256)) * 8 for _ in range(40_000)]  # 80 MiB of 2 KiB heap blocks
    kept = blocks[-1]  # the top of the heap stays in use: free() alone cannot shrink it
    del blocks
    before = resident_kib()

    assert give_back_memory()

    assert before - resident_kib() > 40 * 1024 and kept


ARENAS_PROBE = """
import ctypes, ctypes.util, re, sys, threading
from kernel.memory import limit_malloc_arenas
if sys.argv[1] == "limited":
    assert limit_malloc_arenas(2)
all_started = threading.Barrier(6)  # alive together: no thread inherits an arena freed by another
def work():
    all_started.wait()
    blocks = [bytes(100_000) for _ in range(20)]  # malloc'd (no pymalloc): in this thread's arena
    all_started.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.open_memstream.restype = ctypes.c_void_p
buffer, size = ctypes.c_char_p(), ctypes.c_size_t()
stream = libc.open_memstream(ctypes.byref(buffer), ctypes.byref(size))
libc.malloc_info(0, ctypes.c_void_p(stream))
libc.fclose(ctypes.c_void_p(stream))
print(len(re.findall(rb'<heap nr="', buffer.value)))
"""


def arenas_after_six_threads(mode: str) -> int:
    found = subprocess.run(
        [sys.executable, "-c", ARENAS_PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(found.stdout)


@pytest.mark.skipif(_glibc("mallopt") is None, reason="glibc's allocator only")
def test_a_server_process_keeps_to_two_malloc_arenas_whatever_its_threads() -> None:
    assert arenas_after_six_threads("default") > 2  # one per thread that allocated
    assert arenas_after_six_threads("limited") <= 2
