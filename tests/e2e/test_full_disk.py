"""A full disk under the database of a real ``gedsae serve``: 507 ``storage_full``, nothing
recorded, and the service works again once there is room.

The disk is a real one: a small tmpfs filled to its last byte. SQLite's files live on it; for
PostgreSQL, the GED's database lives in a tablespace on it.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fixtures.disks import fill, small_filesystem
from tests.fixtures.postgres import server_owner
from tests.fixtures.processes import GedServer, gedsae_cli, serve_ged


def create_dossier(served: GedServer, service_id: str, title: str) -> tuple[int, dict[str, str]]:
    with served.client() as client:
        response = client.post("/api/v1/dossiers", json={"service_id": service_id, "title": title})
    return response.status_code, response.json()


def check_nothing_partial_then_room_again(
    served: GedServer, service_id: str, before: list[str]
) -> None:
    with served.client() as client:
        titles = [d["title"] for d in client.get("/api/v1/dossiers").json()]
        log = client.get("/api/v1/log/verify").json()
    assert titles == before
    assert log["ok"] is True
    assert create_dossier(served, service_id, "Après")[0] == 201


def assert_storage_full(status: int, problem: dict[str, str]) -> None:
    assert status == 507, problem
    assert problem["code"] == "storage_full"
    assert "espace" in problem["detail"].lower()


def test_a_full_disk_under_sqlite_answers_507_and_records_nothing(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", 16) as disk:
        served = serve_ged(tmp_path, home=disk / "home")
        try:
            service_id = gedsae_cli(served.env, "services", "create", "Finances", "FR_DF").strip()
            assert create_dossier(served, service_id, "Avant")[0] == 201
            filler = fill(disk)
            assert_storage_full(*create_dossier(served, service_id, "Pendant"))
            filler.unlink()
            check_nothing_partial_then_room_again(served, service_id, ["Avant"])
        finally:
            served.service.stop()


@contextmanager
def database_on(disk: Path, server_url: str) -> Iterator[str]:
    """A database whose tables live in a tablespace on ``disk``; dropped afterwards."""
    import psycopg

    name, admin = "t_" + uuid.uuid4().hex[:12], server_url.replace("+psycopg", "") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE TABLESPACE {name} LOCATION '{disk}'")
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 TABLESPACE {name}')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f"DROP TABLESPACE IF EXISTS {name}")


@pytest.mark.postgres
def test_a_full_disk_under_postgresql_answers_507_and_records_nothing(
    tmp_path: Path, postgres_server: str
) -> None:
    """The dossiers table is still empty when the disk fills: its first row needs a new page,
    which PostgreSQL cannot add (53100 disk_full)."""
    with (
        tempfile.TemporaryDirectory(prefix="gedsae-disk-") as folder,
        small_filesystem(reachable(Path(folder)) / "disk", 16, server_owner()) as disk,
        database_on(disk, postgres_server) as url,
    ):
        served = serve_ged(tmp_path, GEDSAE_DATABASE_URL=url)
        try:
            service_id = gedsae_cli(served.env, "services", "create", "Finances", "FR_DF").strip()
            filler = fill(disk)
            assert_storage_full(*create_dossier(served, service_id, "Pendant"))
            filler.unlink()
            check_nothing_partial_then_room_again(served, service_id, [])
        finally:
            served.service.stop()


def reachable(folder: Path) -> Path:
    """``folder``, which the server's own user may now traverse (tmp_path is root's only)."""
    folder.chmod(0o755)
    return folder
