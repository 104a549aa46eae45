"""Idempotency-Key on uploads to a real ``gedsae serve``: a retry is recognised by its bytes, not
only by its size and name."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.processes import GedServer, gedsae_cli, serve_ged

TEXT = {"Content-Type": "text/plain"}


@pytest.fixture(scope="module")
def ged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GedServer, str]]:
    """A served GED and one of its dossiers."""
    served = serve_ged(tmp_path_factory.mktemp("ged"))
    service_id = gedsae_cli(served.env, "services", "create", "Finances", "FR_DF").strip()
    with served.client() as client:
        dossier = client.post("/api/v1/dossiers", json={"service_id": service_id, "title": "D"})
    yield served, dossier.json()["id"]
    served.service.stop()


def upload(client: httpx.Client, url: str, body: bytes, key: str) -> httpx.Response:
    headers = {**TEXT, "Idempotency-Key": key}
    return client.post(url, content=body, params={"filename": "facture.txt"}, headers=headers)


def test_the_same_key_with_other_bytes_of_the_same_size_and_name_is_refused(
    ged: tuple[GedServer, str],
) -> None:
    served, dossier = ged
    url = f"/api/v1/dossiers/{dossier}/documents"
    with served.client() as client:
        first = upload(client, url, b"facture A", "upload-1")
        other = upload(client, url, b"facture B", "upload-1")
        retry = upload(client, url, b"facture A", "upload-1")
        stored = client.get(f"/api/v1/documents/{first.json()['id']}/content").content
        fresh = upload(client, url, b"facture B", "upload-2")
    assert first.status_code == 201, first.text
    assert other.status_code == 422, other.text
    assert other.json()["code"] == "idempotency_key_reused"
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"] and stored == b"facture A"
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]


def test_a_new_version_with_a_reused_key_and_other_bytes_is_refused(
    ged: tuple[GedServer, str],
) -> None:
    served, dossier = ged
    with served.client() as client:
        document = upload(client, f"/api/v1/dossiers/{dossier}/documents", b"v1", "doc-v")
        url = f"/api/v1/documents/{document.json()['id']}/versions"
        second = upload(client, url, b"v2", "version-2")
        other = upload(client, url, b"v3", "version-2")
        versions = client.get(url).json()
    assert second.status_code == 201, second.text
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert [v["number"] for v in versions] == [1, 2]
