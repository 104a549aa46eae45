"""The key checker of configuration files: unknown keys found at every depth, with their line
and the closest known key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kernel.config_keys import NamedTables, UnknownConfigKey, check_keys, key_lines, unknown_keys

SCHEMA = {
    "port": None,
    "replica": {"storage": None, "root": None},
    "connectors": NamedTables(
        lambda t: {"kind": None, "base_url": None} if t.get("kind") else None
    ),
}
TEXT = """\
# a comment = not a key
port = 8000
notes = '''
fake = "inside a multi-line string"
'''
ports = [
  8001,  # a comment ]
  8002,
]
replica.root = "/srv"
replica . "storage" = "filesystem"

[connectors."dépôt 1"]
kind = "sae_http"
base_ur = "http://x"
"""


def test_each_key_is_found_on_its_line() -> None:
    lines = key_lines(TEXT)
    assert lines[("port",)] == 2
    assert lines[("ports",)] == 6
    assert lines[("replica", "root")] == 10
    assert lines[("replica", "storage")] == 11
    assert lines[("connectors", "dépôt 1", "base_ur")] == 15
    assert ("fake",) not in lines and ("8002",) not in lines


def test_unknown_keys_are_found_at_every_depth() -> None:
    data = tomllib.loads(TEXT)
    found = [".".join(key) for key, _ in unknown_keys(data, SCHEMA)]
    assert found == ["notes", "ports", "connectors.dépôt 1.base_ur"]


def test_a_table_whose_schema_depends_on_it_may_be_left_to_its_reader() -> None:
    data = {"connectors": {"weird": {"kind": "", "anything": 1}}}
    assert list(unknown_keys(data, SCHEMA)) == []


def test_the_refusal_names_the_file_the_line_and_the_closest_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    with pytest.raises(UnknownConfigKey) as refused:
        check_keys(path, TEXT, tomllib.loads(TEXT), SCHEMA)
    assert refused.value.code == "config_key_unknown"
    issues = {i.path: i for i in refused.value.issues}
    base = issues["connectors.dépôt 1.base_ur"]
    assert base.line == 15
    assert f"{path}, ligne 15" in base.message and "« base_url »" in base.message
    assert "« port »" in issues["ports"].message
