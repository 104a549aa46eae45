"""Bad input and failing dependencies: each gets a clear error and leaves nothing behind."""

from __future__ import annotations

import errno
import io
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text

from ged.adapters.extraction.pool import ExtractionPool
from ged.api.app import create_app
from ged.domain.model import ExtractionStatus, Metadata
from ged.services import documents, filing, processing
from kernel.blobstore import filesystem
from kernel.blobstore.s3 import S3BlobStore
from tests.fixtures import hostile_pdfs, leftovers
from tests.fixtures.ged import Ged, make_ged
from tests.fixtures.s3 import S3Endpoint, create_bucket


def counts(ged: Ged) -> tuple[int, int, int]:
    with ged.ctx.uow() as uow:
        conn = uow.repo.conn  # type: ignore[attr-defined]
        docs = conn.execute(text("SELECT count(*) FROM documents")).scalar_one()
        blobs = conn.execute(text("SELECT count(*) FROM blobs")).scalar_one()
    return docs, blobs, len(list(ged.ctx.blobs.iter_digests()))


def temp_files(ged: Ged) -> list[Path]:
    return leftovers.temp_files(ged.settings.blob_root / "tmp")


def dossier_id(ged: Ged) -> str:
    return filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Pièces").id


@pytest.fixture
def live_server(sqlite_ged: Ged) -> Iterator[tuple[str, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(sqlite_ged.ctx), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(timeout=10)


def test_truncated_upload_stores_nothing(sqlite_ged: Ged, live_server: tuple[str, int]) -> None:
    target = dossier_id(sqlite_ged)
    host, port = live_server
    with socket.create_connection((host, port)) as conn:
        conn.sendall(
            (
                f"POST /api/v1/dossiers/{target}/documents?filename=a.bin HTTP/1.1\r\n"
                f"Host: {host}\r\nAuthorization: Bearer {sqlite_ged.admin_token}\r\n"
                "Content-Type: application/octet-stream\r\nContent-Length: 3000000\r\n\r\n"
            ).encode()
            + b"x" * 1_500_000
        )
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(10)
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
    for _ in range(100):  # the server notices the disconnect asynchronously
        if not temp_files(sqlite_ged):
            break
        time.sleep(0.05)
    assert counts(sqlite_ged) == (0, 0, 0)
    assert temp_files(sqlite_ged) == []


def test_disk_full_answers_507_and_leaves_nothing(
    client: TestClient, sqlite_ged: Ged, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = dossier_id(sqlite_ged)

    def full(fd: int, chunk: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(filesystem, "write_all", full)
    response = client.post(f"/api/v1/dossiers/{target}/documents", content=b"y" * 100_000)
    assert response.status_code == 507 and response.json()["code"] == "storage_full"
    assert counts(sqlite_ged) == (0, 0, 0) and temp_files(sqlite_ged) == []


def test_s3_endpoint_stopped_answers_503_and_records_nothing(
    tmp_path: Path, killable_s3_endpoint: S3Endpoint
) -> None:
    bucket = create_bucket(killable_s3_endpoint.url)
    (tmp_path / "spool").mkdir()
    store = S3BlobStore(
        bucket.name,
        endpoint_url=bucket.endpoint_url,
        region=bucket.region,
        access_key_id=bucket.access_key_id,
        secret_access_key=bucket.secret_access_key,
        spool_dir=tmp_path / "spool",
        connect_timeout=0.5,
        read_timeout=2,
        max_attempts=1,
    )
    ged = make_ged(tmp_path / "home", blobs=store)
    target = dossier_id(ged)
    with TestClient(create_app(ged.ctx)) as client:
        client.headers["Authorization"] = f"Bearer {ged.admin_token}"
        ok = client.post(f"/api/v1/dossiers/{target}/documents", content=b"avant la panne")
        assert ok.status_code == 201
        killable_s3_endpoint.kill()
        response = client.post(f"/api/v1/dossiers/{target}/documents", content=b"z" * 3_000_000)
    assert response.status_code == 503 and response.json()["code"] == "storage_unavailable"
    assert int(response.headers["retry-after"]) > 0
    with ged.ctx.uow() as uow:
        rows = uow.repo.conn.execute(text("SELECT count(*) FROM versions")).scalar_one()  # type: ignore[attr-defined]
    assert rows == 1  # only the document stored before the outage
    ged.engine.dispose()


def test_locked_database_retries_then_answers_503(tmp_path: Path) -> None:
    ged = make_ged(tmp_path, db_busy_timeout_ms=50, db_busy_retries=2)
    target = dossier_id(ged)
    blocker = sqlite3.connect(ged.settings.home / "gedsae.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with TestClient(create_app(ged.ctx)) as client:
            client.headers["Authorization"] = f"Bearer {ged.admin_token}"
            response = client.post(f"/api/v1/dossiers/{target}/documents", content=b"bloque")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert response.status_code == 503 and response.json()["code"] == "database_busy"
    assert "retry-after" in response.headers
    assert counts(ged) == (0, 0, 0)
    ged.engine.dispose()


def test_same_content_uploaded_concurrently_is_stored_once(sqlite_ged: Ged) -> None:
    target = dossier_id(sqlite_ged)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def upload() -> None:
        barrier.wait()
        filed = documents.file_document(
            sqlite_ged.ctx,
            sqlite_ged.admin,
            target,
            io.BytesIO(b"meme facture" * 10_000),
            filename="f.pdf",
            metadata=Metadata(title="f"),
        )
        results.append(filed.document.id)

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 4
    assert counts(sqlite_ged) == (4, 1, 1)


@pytest.mark.parametrize(
    "make",
    [
        hostile_pdfs.truncated_pdf,
        lambda: hostile_pdfs.encrypted_pdf(user_password="secret"),
        lambda: hostile_pdfs.flate_bomb_pdf(2048),
        hostile_pdfs.page_tree_cycle_pdf,
    ],
    ids=["malformed", "encrypted", "bomb", "page-tree-cycle"],
)
def test_hostile_pdf_is_kept_with_extraction_failed(tmp_path: Path, make: object) -> None:
    with ExtractionPool(1, timeout_s=10, memory_mb=256) as pool:
        ged = make_ged(tmp_path)
        ged.ctx = type(ged.ctx)(**{**ged.ctx.__dict__, "extract": pool.extract})  # the real sandbox
        filed = documents.file_document(
            ged.ctx,
            ged.admin,
            dossier_id(ged),
            io.BytesIO(make()),
            filename="piege.pdf",
            metadata=Metadata(title="piège"),
            mime_type="application/pdf",  # type: ignore[operator]
        )
        version = processing.process(ged.ctx, filed.document.id, 1)
        assert version is not None and version.extraction_status is ExtractionStatus.FAILED
        assert (
            documents.get_document(ged.ctx, ged.admin, filed.document.id)[0].id == filed.document.id
        )
        ged.engine.dispose()
