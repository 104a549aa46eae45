"""A stored blob altered or removed behind the GED's back is never served as intact: downloads
from a real ``gedsae serve`` process, against a blob whose bytes a test flips on disk."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_crash_leftovers import Instance, new_instance
from tests.fixtures.processes import Service

SMALL = b"Deliberation du conseil municipal du 3 mars\n" * 100
LARGE = os.urandom(5 * 1024 * 1024)  # past what is verified before the answer starts


@pytest.fixture
def served(tmp_path: Path, services: list[Service]) -> tuple[Instance, Service]:
    instance = new_instance(tmp_path, services)
    server = instance.server("ged", tmp_path)
    services.append(server)
    server.start()
    return instance, server


def upload(instance: Instance, server: Service, body: bytes, name: str) -> str:
    response = httpx.post(
        f"{server.base_url}/api/v1/dossiers/{instance.dossier}/documents",
        content=body,
        params={"filename": name},
        headers={**instance.headers, "Content-Type": "application/octet-stream"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def blob_path(instance: Instance, body: bytes) -> Path:
    digest = hashlib.sha256(body).hexdigest()
    return instance.home / "blobs" / "sha256" / digest[:2] / digest


def flip_byte(path: Path, at: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def document(instance: Instance, server: Service, document_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.base_url}/api/v1/documents/{document_id}", headers=instance.headers
    )
    result: dict[str, Any] = response.json()
    return result


def logged(instance: Instance, action: str) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(instance.home / "gedsae.db")) as db:
        query = "SELECT object_id, details FROM oplog WHERE action = ? ORDER BY seq"
        return list(db.execute(query, (action,)))


def test_download_of_a_small_altered_blob_answers_409_marks_the_version_and_logs_it(
    served: tuple[Instance, Service],
) -> None:
    instance, server = served
    document_id = upload(instance, server, SMALL, "deliberation.txt")
    flip_byte(blob_path(instance, SMALL))
    url = f"{server.base_url}/api/v1/documents/{document_id}/content"

    response = httpx.get(url, headers=instance.headers)

    assert response.status_code == 409, response.headers
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "content_corrupted"
    assert "empreintes" in response.json()["detail"]
    shown = document(instance, server, document_id)
    assert shown["damaged"] is True and shown["versions"][0]["damage"] == "altered"
    assert [object_id for object_id, _ in logged(instance, "document.content_damaged")] == [
        document_id
    ]
    again = httpx.get(url, headers=instance.headers)  # known damaged: refused before reading
    assert again.status_code == 409 and again.json()["code"] == "content_corrupted"
    assert len(logged(instance, "document.content_damaged")) == 1


def test_download_of_a_large_altered_blob_is_cut_short_never_complete(
    served: tuple[Instance, Service],
) -> None:
    instance, server = served
    document_id = upload(instance, server, LARGE, "plans.bin")
    flip_byte(blob_path(instance, LARGE), at=len(LARGE) // 2)
    url = f"{server.base_url}/api/v1/documents/{document_id}/content"

    received = bytearray()
    with (
        pytest.raises(httpx.RemoteProtocolError),  # fewer bytes than Content-Length: cut short
        httpx.stream("GET", url, headers=instance.headers, timeout=60) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-length"] == str(len(LARGE))
        for chunk in response.iter_raw():
            received += chunk

    assert len(received) < len(LARGE)
    shown = document(instance, server, document_id)
    assert shown["damaged"] is True and shown["versions"][0]["damage"] == "altered"
    assert httpx.get(url, headers=instance.headers).status_code == 409


def test_download_of_a_missing_blob_answers_409_and_marks_it_missing(
    served: tuple[Instance, Service],
) -> None:
    instance, server = served
    document_id = upload(instance, server, SMALL, "deliberation.txt")
    blob_path(instance, SMALL).unlink()

    response = httpx.get(
        f"{server.base_url}/api/v1/documents/{document_id}/content", headers=instance.headers
    )

    assert response.status_code == 409 and response.json()["code"] == "content_corrupted"
    assert document(instance, server, document_id)["versions"][0]["damage"] == "missing"
    assert len(logged(instance, "document.content_damaged")) == 1


def test_intact_content_is_served_whole_with_its_digest(
    served: tuple[Instance, Service],
) -> None:
    instance, server = served
    for body, name in ((SMALL, "petit.txt"), (LARGE, "grand.bin")):
        document_id = upload(instance, server, body, name)
        response = httpx.get(
            f"{server.base_url}/api/v1/documents/{document_id}/content",
            headers=instance.headers,
            timeout=60,
        )
        assert response.status_code == 200 and response.content == body
        assert response.headers["etag"] == f'"{hashlib.sha256(body).hexdigest()}"'
        assert document(instance, server, document_id)["damaged"] is False
