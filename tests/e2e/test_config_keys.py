"""A key ``config.toml`` does not know is refused before anything runs, with the file, the line
and the closest known key — at the top level and in every table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def gedsae(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GEDSAE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "ged", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_a_misspelt_setting_is_refused_with_its_file_line_and_the_right_spelling(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("port = 8000\nmax_upload_byte = 1024\n", encoding="utf-8")
    done = gedsae(tmp_path, "status")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "config_key_unknown" in done.stderr
    assert f"{config}, ligne 2" in done.stderr and "« max_upload_byte »" in done.stderr
    assert "vouliez-vous dire « max_upload_bytes » ?" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "gedsae.db").exists()


NESTED = """\
[replica]
storage = "filesystem"
roots = "/srv/replique"

[connectors.depot]
kind = "sae_http"
base_url = "http://127.0.0.1:1"
token_file = "/run/secrets/depot"
poll_intervall = 30

[agreements.etat-civil]
organisation = "Commune d'Essai"
connector = "depot"
seda_version = "2.2"
archival_agency = "FR_AD"
transferring_agency = "FR_DF"
purge_after = true
"""


@pytest.mark.parametrize(
    ("key", "line", "meant"),
    [("replica.roots", 3, "root"),
     ("connectors.depot.poll_intervall", 9, "poll_interval"),
     ("agreements.etat-civil.purge_after", 17, "purge")],
)  # fmt: skip
def test_a_misspelt_key_of_a_nested_table_is_refused_with_its_line(
    tmp_path: Path, key: str, line: int, meant: str
) -> None:
    (tmp_path / "config.toml").write_text(NESTED, encoding="utf-8")
    done = gedsae(tmp_path, "status")
    assert done.returncode == 1
    shown = next(row for row in done.stderr.splitlines() if f"« {key} »" in row)
    assert f"ligne {line}" in shown and f"« {meant} »" in shown


def test_an_unreadable_config_toml_is_refused_with_its_line_never_a_traceback(
    tmp_path: Path,
) -> None:
    (tmp_path / "config.toml").write_text('port = 8000\nstorage = "s3\n', encoding="utf-8")
    done = gedsae(tmp_path, "status")
    assert done.returncode == 1
    assert "config_unreadable" in done.stderr and "line 2" in done.stderr
    assert "Traceback" not in done.stderr
