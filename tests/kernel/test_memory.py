"""Memory freed by a large piece of work goes back to the system (``kernel.memory``)."""

from __future__ import annotations

import ctypes.util
from pathlib import Path

import pytest

from kernel.memory import give_back_memory


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
