"""Fixtures for the SEDA library tests: the corpus in ../shared/seda and an installed schema set.

Corpus tests skip with a clear reason when ../shared is absent, and fail when CI=true.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schemas.install import install

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "seda"


def shared_path(sub: str) -> Path:
    path = SHARED / sub
    if path.exists():
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"corpus SEDA absent en CI : {path}")
    pytest.skip(f"corpus SEDA absent ({path}) : tests de conformité ignorés")


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return shared_path("samples")


@pytest.fixture(scope="session")
def corpus_xsd_dir() -> Path:
    """The corpus' own XSD sets (official ones rewritten to local imports, plus Vitam's)."""
    return shared_path("xsd")


@pytest.fixture(scope="session")
def schema_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official schemas installed by `schemas.install` from the verbatim copies."""
    official = shared_path("official")
    dest = tmp_path_factory.mktemp("schemas") / "installed"
    install(dest, official)
    return dest
