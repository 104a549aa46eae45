"""Hostile tableaux de gestion (XLSX, ODS) sent to a real ``gedsae serve`` process and to the
``gedsae rules import`` command: each is refused with a reason, and the server stays up."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fixtures import hostile_spreadsheets as hostile
from tests.fixtures.processes import GedServer, gedsae_cli, serve_ged

WORKBOOKS: dict[str, tuple[str, Callable[[], bytes], str]] = {
    "xlsx whole-sheet dimension": ("xlsx", hostile.whole_sheet_dimension_xlsx, "spreadsheet_limit_exceeded"),
    "xlsx many shared strings": ("xlsx", hostile.many_shared_strings_xlsx, "spreadsheet_limit_exceeded"),
    "xlsx long shared string": ("xlsx", hostile.long_shared_string_xlsx, "spreadsheet_limit_exceeded"),
    "xlsx zip bomb": ("xlsx", hostile.zip_bomb_xlsx, "spreadsheet_limit_exceeded"),
    "xlsx deep XML": ("xlsx", hostile.deep_xlsx, "spreadsheet_limit_exceeded"),
    "xlsx billion laughs": ("xlsx", hostile.laughs_xlsx, "bad_spreadsheet"),
    "xlsx many zip members": ("xlsx", hostile.many_members_xlsx, "spreadsheet_limit_exceeded"),
    "ods repeated cells": ("ods", hostile.repeated_cells_ods, "spreadsheet_limit_exceeded"),
    "ods far cell": ("ods", hostile.far_cell_ods, "spreadsheet_limit_exceeded"),
    "ods zip bomb": ("ods", hostile.zip_bomb_ods, "spreadsheet_limit_exceeded"),
    "ods deep XML": ("ods", hostile.deep_ods, "spreadsheet_limit_exceeded"),
    "ods billion laughs": ("ods", hostile.laughs_ods, "bad_spreadsheet"),
}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GedServer]:
    """One ``gedsae serve`` for the module: every hostile workbook goes to the same process."""
    served = serve_ged(tmp_path_factory.mktemp("ged"))
    yield served
    served.service.stop()


@pytest.mark.parametrize("name", WORKBOOKS)
def test_a_hostile_workbook_gets_422_with_a_reason_and_the_server_stays_up(
    server: GedServer, name: str
) -> None:
    format_, make, code = WORKBOOKS[name]
    with server.client() as client:
        response = client.post(f"/api/v1/rules/import?format={format_}", content=make())
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "rules_file_refused"
        assert [issue["code"] for issue in problem["issues"]] == [code]
        assert problem["issues"][0]["message"]  # the reason, in French
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/api/v1/rules").json() == []  # all or nothing


@pytest.mark.parametrize(
    "name", ["xlsx whole-sheet dimension", "ods repeated cells", "xlsx zip bomb"]
)
def test_the_rules_import_command_refuses_a_hostile_workbook_with_the_invalid_exit_code(
    tmp_path: Path, name: str
) -> None:
    format_, make, code = WORKBOOKS[name]
    env = {**os.environ, "GEDSAE_HOME": str(tmp_path / "home"), "GEDSAE_EXTRACTION_WORKERS": "1"}
    gedsae_cli(env, "init")
    workbook = tmp_path / f"tableau.{format_}"
    workbook.write_bytes(make())
    done = subprocess.run(
        [sys.executable, "-m", "ged", "rules", "import", str(workbook)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("rules_file_refused: ")
    assert f"- {code}" in done.stderr and "Classeur" in done.stderr
