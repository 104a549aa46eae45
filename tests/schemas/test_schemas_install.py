"""Installing the pinned schemas: digests verified, mismatches refused, nothing half-installed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from schemas.cli import schemas_group
from schemas.install import PinnedDigestMismatch, SchemaSourceMissing, install
from schemas.pins import PINS, pins_for

OFFICIAL = Path(__file__).resolve().parents[2].parent / "shared" / "seda" / "official"


@pytest.fixture
def official() -> Path:
    if OFFICIAL.is_dir():
        return OFFICIAL
    if os.environ.get("CI") == "true":
        pytest.fail(f"corpus SEDA absent en CI : {OFFICIAL}")
    pytest.skip(f"corpus SEDA absent ({OFFICIAL}) : tests d'installation ignorés")


def test_install_from_folder_places_every_pinned_file_of_every_version_and_the_catalog(
    official: Path, tmp_path: Path
) -> None:
    report = install(tmp_path / "schemas", official)
    expected = {p.relative_path for p in pins_for(("1.0", "2.1", "2.2", "2.3"))} | {"catalog.xml"}
    assert set(report.files) == expected
    assert all((tmp_path / "schemas" / f).is_file() for f in expected)


def test_a_tampered_file_is_refused_and_nothing_is_installed(
    official: Path, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(official, source)
    (source / "2.2" / "seda-2.2-main.xsd").write_bytes(b"<tampered/>")
    with pytest.raises(PinnedDigestMismatch, match=r"seda-2\.2-main\.xsd"):
        install(tmp_path / "schemas", source)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source"]


def test_a_failed_reinstall_keeps_the_previous_install(official: Path, tmp_path: Path) -> None:
    dest = tmp_path / "schemas"
    install(dest, official)
    with pytest.raises(SchemaSourceMissing):
        install(dest, tmp_path / "empty")
    assert (dest / "2.3" / "seda-2.3-main.xsd").is_file()


def test_download_uses_pinned_addresses_and_checks_digests(official: Path, tmp_path: Path) -> None:
    by_url = {p.url: (official / p.relative_path).read_bytes() for p in PINS if p.group != "1.0"}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=by_url[str(request.url)])

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        install(tmp_path / "schemas", versions=("2.3",), client=client)
    assert len(seen) == 8 and all(u.startswith("https://raw.githubusercontent.com/") for u in seen)


def test_cli_install(official: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        schemas_group, ["install", "--from", str(official), "--dest", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "catalog.xml").is_file()
    assert (tmp_path / "s" / "1.0" / "seda_v1-0.xsd").is_file()
