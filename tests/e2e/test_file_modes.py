"""Databases, their journals (-wal, -shm) and spool files hold document text and metadata: they
are readable by their owner only (0600), whatever the umask, and files left looser by an earlier
version are tightened at start (GED and repository)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sae.api.app import create_app
from sae.bootstrap import build_config
from sae.config import load_settings
from tests.fixtures.processes import Service, sae_cli, start_ged
from tests.fixtures.seda_corpus import shared_path
from tests.sae.test_ingest import build_sip


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask a default shell gives (0644 files): what the files must not inherit."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def loose(paths: list[Path]) -> dict[str, int]:
    return {p.name: mode(p) for p in paths if mode(p) != 0o600}


def test_the_ged_database_and_its_journals_are_private(
    tmp_path: Path, services: list[Service], loose_umask: None
) -> None:
    server = start_ged(tmp_path, services)
    with server.client() as http:
        service = http.post("/api/v1/services", json={"name": "DF", "seda_identifier": "FR_DF"})
        dossier = http.post(
            "/api/v1/dossiers", json={"service_id": service.json()["id"], "title": "Budget"}
        ).json()["id"]
        filed = http.post(
            f"/api/v1/dossiers/{dossier}/documents",
            params={"filename": "budget.txt", "title": "Budget"},
            content=b"budget primitif, texte extrait",
            headers={"Content-Type": "text/plain"},
        )
        assert filed.status_code == 201, filed.text
    files = sorted(server.home.glob("gedsae.db*"))
    assert {p.name for p in files} >= {"gedsae.db", "gedsae.db-wal", "gedsae.db-shm"}
    assert loose(files) == {}


def test_files_left_readable_by_others_are_tightened_when_the_ged_starts(
    tmp_path: Path, services: list[Service], loose_umask: None
) -> None:
    server = start_ged(tmp_path, services)
    server.service.stop()
    spooled = server.home / "transfers" / "left-over.zip"
    spooled.parent.mkdir(exist_ok=True)
    spooled.write_bytes(b"PK")
    files = [*server.home.glob("gedsae.db*"), spooled]
    for path in files:
        path.chmod(0o644)
    server.service.start()
    assert loose(files) == {}


def test_a_sip_is_written_readable_by_its_owner_only(tmp_path: Path, loose_umask: None) -> None:
    assert mode(build_sip(tmp_path, "SIP-1")) == 0o600


def test_the_repository_databases_and_spools_are_private_and_tightened_at_start(
    tmp_path: Path, loose_umask: None
) -> None:
    home = tmp_path / "sae"
    sae_cli(
        {"GEDSAE_SAE_HOME": str(home)},
        "init", "--organisation", "ARCH", "--schemas-from", str(shared_path("official")),
    )  # fmt: skip
    with TestClient(create_app(build_config(load_settings(home)))):
        pass
    databases = [*home.glob("repository.sqlite*")]
    assert {p.name for p in databases} >= {"repository.sqlite"}
    assert loose(databases) == {}
    left = home / "quarantine" / "upload-left.zip"
    left.parent.mkdir(exist_ok=True)
    left.write_bytes(b"PK")
    for path in [*databases, left]:
        path.chmod(0o644)
    with TestClient(create_app(build_config(load_settings(home)))):
        pass
    assert loose([*databases, left]) == {}
