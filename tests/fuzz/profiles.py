"""How long the fuzz tests run: ``short`` (the default, part of every ``pytest`` run: a fixed
seed, a few examples each) or ``long`` (``scripts/fuzz``: random, many examples, the example
database kept under ``tests/fuzz/corpus``). ``GEDSAE_FUZZ`` chooses; ``GEDSAE_FUZZ_EXAMPLES``
overrides the number of examples of the long run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

CORPUS: Final = Path(__file__).parent / "corpus"
LONG: Final = os.environ.get("GEDSAE_FUZZ", "short") == "long"
_SLOW: Final = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def examples(short: int) -> int:
    """``short`` examples in the normal run; the long run's number otherwise."""
    return int(os.environ.get("GEDSAE_FUZZ_EXAMPLES", "1000")) if LONG else short


def fuzz_settings(short: int, *, api: bool = False) -> settings:
    """Settings of one fuzz test. No deadline: time per input is bounded by the size limits
    of the inputs, never asserted (the machine may be loaded)."""
    if not LONG:
        return settings(
            max_examples=short,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=[*_SLOW, HealthCheck.function_scoped_fixture],
        )
    return settings(
        max_examples=examples(short) // (10 if api else 1),
        derandomize=False,
        deadline=None,
        database=DirectoryBasedExampleDatabase(CORPUS / "hypothesis"),
        suppress_health_check=[*_SLOW, HealthCheck.function_scoped_fixture],
        print_blob=True,
    )
