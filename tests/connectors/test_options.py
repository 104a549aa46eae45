"""Every option a connector reads is one its kind declares (``connectors.options``), so that a
configuration file never refuses a key a connector uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import connectors
from connectors.config import KINDS
from connectors.options import kinds, known_options

READ = re.compile(
    r"settings\.(?:text|optional_text|integer|number|flag|path|optional_path|secret)\(\s*\"(\w+)\""
)
PACKAGE = Path(connectors.__file__).parent
SHARED = {"sftp": ["dropfolder.py"], "drop_folder": []}  # others use config.py's HTTP client


def keys_read(kind: str) -> set[str]:
    module = KINDS[kind].rsplit(".", 1)[1] + ".py"
    files = [module, *SHARED.get(kind, ["config.py"])]
    return {key for name in files for key in READ.findall((PACKAGE / name).read_text())}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_option_a_connector_reads_is_declared_for_its_kind(kind: str) -> None:
    declared = known_options(kind)
    assert declared is not None
    read = keys_read(kind)
    assert read, kind
    assert read <= declared, sorted(read - declared)


def test_a_secret_is_known_in_each_of_its_three_spellings() -> None:
    declared = known_options("sae_http") or frozenset()
    assert {"token", "token_file", "token_env"} <= declared


def test_an_unknown_kind_has_no_declared_options() -> None:
    assert known_options("ftp") is None


def test_every_kind_of_the_registry_declares_its_options() -> None:
    assert sorted(kinds()) == sorted(KINDS)
