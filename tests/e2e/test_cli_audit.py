"""``gedsae audit`` on an instance home, with the ``[replica]`` of ``config.toml`` on a
filesystem or on an S3 endpoint; and the periodic audit of a real ``gedsae serve``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ged.cli import main
from tests.e2e.test_crash_leftovers import new_instance
from tests.e2e.test_two_processes import wait_for
from tests.fixtures.processes import INIT, Service
from tests.fixtures.s3 import S3Bucket

NOTE = "note de synthèse budgétaire\n" * 200


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "instance"
    monkeypatch.setenv("GEDSAE_HOME", str(root))
    monkeypatch.setenv("GEDSAE_EXTRACTION_WORKERS", "1")
    return root


def gedsae(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def filed_instance(home: Path, tmp_path: Path, replica: str = "") -> str:
    """An instance holding one imported note; its SHA-256."""
    home.mkdir(parents=True)
    (home / "config.toml").write_text(replica, encoding="utf-8")
    gedsae(*INIT)
    gedsae("services", "create", "Direction des finances", "FR_DF")
    tree = tmp_path / "versement"
    tree.mkdir()
    (tree / "note.txt").write_text(NOTE, encoding="utf-8")
    gedsae("import", str(tree), "--service", "FR_DF", "--no-process")
    return hashlib.sha256(NOTE.encode()).hexdigest()


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))


def blob(root: Path, sha256: str) -> Path:
    return root / "sha256" / sha256[:2] / sha256


def document_id() -> str:
    return str(json.loads(gedsae("search", "note", "--json"))["id"])


def test_audit_fills_the_filesystem_replica_then_repairs_the_store_from_it(
    home: Path, tmp_path: Path
) -> None:
    sha256 = filed_instance(home, tmp_path, '[replica]\nstorage = "filesystem"\nroot = "replica"\n')
    first = json.loads(gedsae("audit", "--json"))
    assert first["clean"] and first["counts"]["replica_copy_added"] == 1
    assert blob(home / "replica", sha256).read_text(encoding="utf-8") == NOTE
    flip_byte(blob(home / "blobs", sha256))

    out = gedsae("audit")

    assert "copy_altered [filesystem]" in out and "copy_repaired [filesystem]" in out
    assert blob(home / "blobs", sha256).read_text(encoding="utf-8") == NOTE
    copy = tmp_path / "copie.txt"
    gedsae("get", document_id(), "--out", str(copy))
    assert copy.read_text(encoding="utf-8") == NOTE


def test_audit_without_replica_exits_1_and_get_refuses_the_damaged_content(
    home: Path, tmp_path: Path
) -> None:
    sha256 = filed_instance(home, tmp_path)
    flip_byte(blob(home / "blobs", sha256))

    out = gedsae("audit", code=1)

    assert "content_damaged" in out
    copy = tmp_path / "copie.txt"
    refused = gedsae("get", document_id(), "--out", str(copy), code=4)
    assert "content_corrupted" in refused and not copy.exists()


@pytest.mark.s3
def test_audit_fills_an_s3_replica_whose_keys_come_from_the_environment(
    home: Path, tmp_path: Path, s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICA_ACCESS_KEY", s3_bucket.access_key_id)
    monkeypatch.setenv("REPLICA_SECRET_KEY", s3_bucket.secret_access_key)
    sha256 = filed_instance(
        home,
        tmp_path,
        f'[replica]\nstorage = "s3"\nbucket = "{s3_bucket.name}"\n'
        f'endpoint_url = "{s3_bucket.endpoint_url}"\nprefix = "ged/"\n'
        'access_key_env = "REPLICA_ACCESS_KEY"\nsecret_key_env = "REPLICA_SECRET_KEY"\n',
    )

    assert json.loads(gedsae("audit", "--json"))["counts"]["replica_copy_added"] == 1

    stored = s3_bucket.client().get_object(Bucket=s3_bucket.name, Key=f"ged/blobs/{sha256}")
    assert stored["Body"].read().decode() == NOTE


def test_a_replica_secret_written_in_clear_is_refused(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text(
        '[replica]\nstorage = "s3"\nbucket = "b"\naccess_key = "AKIA"\n', encoding="utf-8"
    )
    out = gedsae("audit", code=1)
    assert "storage_misconfigured" in out and "access_key_file" in out


def text_between_repairs(path: Path) -> str | None:
    """The blob's text, or None while the audit is replacing it (it is briefly absent)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


@pytest.mark.slow
def test_serve_audits_periodically_and_repairs_its_store_from_the_replica(
    tmp_path: Path, services: list[Service]
) -> None:
    instance = new_instance(tmp_path, services)
    (instance.home / "config.toml").write_text(
        'audit_interval_s = 0.5\n[replica]\nstorage = "filesystem"\nroot = "replica"\n',
        encoding="utf-8",
    )
    server = instance.server("ged", tmp_path)
    services.append(server)
    server.start()
    filed = httpx.post(
        f"{server.base_url}/api/v1/dossiers/{instance.dossier}/documents",
        content=NOTE.encode(),
        params={"filename": "note.txt"},
        headers={**instance.headers, "Content-Type": "text/plain"},
    )
    assert filed.status_code == 201, filed.text
    sha256 = filed.json()["versions"][0]["sha256"]
    copy = blob(instance.home / "replica", sha256)
    wait_for(copy.exists, "copie ajoutée à la réplique par l'audit périodique")
    flip_byte(blob(instance.home / "blobs", sha256))

    wait_for(
        lambda: text_between_repairs(blob(instance.home / "blobs", sha256)) == NOTE,
        "copie réparée depuis la réplique par l'audit périodique",
    )
    content = httpx.get(
        f"{server.base_url}/api/v1/documents/{filed.json()['id']}/content",
        headers=instance.headers,
    )
    assert content.status_code == 200 and content.text == NOTE
