"""``POST /api/v1/imports?profile=…`` on a real ``gedsae serve`` process: the export as the
raw body, 201 then 200 for the same input, 422 listing every problem with nothing stored."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_two_processes import wait_for
from tests.fixtures.inbound_samples import (
    ActeSample,
    Parapheur4Sample,
    ParapheurSample,
    SeanceSample,
    pdf,
    tar_gz_bytes,
    zip_bytes,
)
from tests.fixtures.processes import GedServer, Service, start_ged

PLAN = """
[inbound.actes.plan]
"DE 7" = "FINANCES"
"*" = "ACTES"
"""


@pytest.fixture
def server(tmp_path: Path, services: list[Service]) -> GedServer:
    return start_ged(tmp_path, services, config=PLAN)


def setup_service(server: GedServer) -> str:
    with server.client() as client:
        for code in ("FINANCES", "ACTES"):
            made = client.post("/api/v1/plan", json={"code": code, "label": code.title()})
            assert made.status_code == 201, made.text
        svc = client.post(
            "/api/v1/services", json={"name": "Assemblées", "seda_identifier": "FR_ASS"}
        )
    assert svc.status_code == 201, svc.text
    return str(svc.json()["id"])


def post_import(
    server: GedServer, service_id: str, body: bytes, name: str, profile: str = "actes"
) -> httpx.Response:
    with server.client() as client:
        return client.post(
            "/api/v1/imports",
            params={"profile": profile, "service_id": service_id, "filename": name},
            content=body,
            headers={"Content-Type": "application/gzip"},
        )


def rows(server: GedServer, table: str) -> int:
    with closing(sqlite3.connect(server.home / "gedsae.db")) as db:
        count: int = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - table names are ours
    return count


def blob_files(server: GedServer) -> list[Path]:
    return [p for p in (server.home / "blobs" / "sha256").rglob("*") if p.is_file()]


def test_an_acte_tar_gz_posted_as_the_body_is_imported_once(
    server: GedServer, tmp_path: Path
) -> None:
    service_id = setup_service(server)
    sample = ActeSample()
    body = tar_gz_bytes(sample.files())

    first = post_import(server, service_id, body, "transaction.tar.gz")
    again = post_import(server, service_id, body, "transaction.tar.gz")

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    made: dict[str, Any] = first.json()
    assert made["business_id"] == sample.id_acte and made["created"] is True
    assert again.json()["dossier_id"] == made["dossier_id"] and again.json()["created"] is False
    acte = next(d for d in made["documents"] if d["document_type"] == "acte")
    assert acte["extra"]["nature"] == "DE" and acte["extra"]["matiere"] == "7.1"
    assert acte["filename"] == sample.acte_file
    with server.client() as client:
        shown = client.get(f"/api/v1/imports/actes/{sample.id_acte}")
        dossier = client.get(f"/api/v1/dossiers/{made['dossier_id']}").json()
        plan = {n["id"]: n["code"] for n in client.get("/api/v1/plan").json()}
    assert shown.status_code == 200 and shown.json()["dossier_id"] == made["dossier_id"]
    assert plan[dossier["plan_node_id"]] == "FINANCES"
    assert rows(server, "dossiers") == 1


def test_a_refused_acte_answers_422_with_every_problem_and_stores_nothing(
    server: GedServer,
) -> None:
    service_id = setup_service(server)
    sample = ActeSample(nature_code="9", letters="ZZ")
    files = sample.files()
    del files[f"{sample.id_acte}-1-2.xml"]

    answer = post_import(server, service_id, zip_bytes(files), "export.zip")

    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "inbound_refused"
    assert {i["code"] for i in problem["issues"]} == {
        "actes_unknown_nature",
        "actes_acknowledgement_missing",
    }
    assert "rien n'a été enregistré" in problem["detail"]
    assert [rows(server, t) for t in ("dossiers", "documents", "blobs", "inbound_records")] == [
        0,
        0,
        0,
        0,
    ]
    assert blob_files(server) == []
    assert not [p for p in (server.home / "spool").glob("inbound-*")]


def test_other_files_under_an_imported_idacte_answer_409(server: GedServer) -> None:
    service_id = setup_service(server)
    sample = ActeSample()
    assert post_import(server, service_id, tar_gz_bytes(sample.files()), "a.tar.gz").is_success
    changed = {**sample.files(), sample.acte_file: b"%PDF-1.4 une autre version"}

    answer = post_import(server, service_id, tar_gz_bytes(changed), "b.tar.gz")

    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "inbound_already_imported"
    assert rows(server, "documents") == 5
    assert len(blob_files(server)) == 5


def test_a_parapheur_zip_is_imported_and_its_signed_document_shows_its_circuit(
    server: GedServer,
) -> None:
    service_id = setup_service(server)

    answer = post_import(
        server, service_id, zip_bytes(ParapheurSample().files()), "dossier.zip", "parapheur"
    )

    assert answer.status_code == 201, answer.text
    signed = next(d for d in answer.json()["documents"] if d["document_type"] == "document_signe")
    with server.client() as client:
        history = client.get(f"/api/v1/documents/{signed['id']}/history")
    assert history.status_code == 200, history.text
    assert [e["kind"] for e in history.json()] == ["START", "READ", "VISA", "SIGNATURE", "ARCHIVE"]
    assert history.json()[3]["agent"] == "Agent maire (Maire)"


def test_a_parapheur_zip_whose_files_differ_from_its_premis_answers_422(
    server: GedServer,
) -> None:
    service_id = setup_service(server)
    sample = ParapheurSample(declared={"plan-de-la-salle.pdf": pdf("le plan signé")})

    answer = post_import(server, service_id, zip_bytes(sample.files()), "d.zip", "parapheur")

    assert answer.status_code == 422, answer.text
    assert "parapheur_digest_mismatch" in {i["code"] for i in answer.json()["issues"]}
    assert rows(server, "documents") == 0 and blob_files(server) == []


def test_an_iparapheur_4_zip_takes_its_id_from_the_uploaded_name(server: GedServer) -> None:
    service_id = setup_service(server)
    body = zip_bytes(Parapheur4Sample().files())

    named = post_import(server, service_id, body, "ARRETE-2026-031.zip", "parapheur")

    assert named.status_code == 201, named.text
    assert named.json()["business_id"] == "ARRETE-2026-031"


def test_a_seance_zip_is_linked_to_the_acte_imported_before_it(server: GedServer) -> None:
    service_id = setup_service(server)
    acte = post_import(server, service_id, tar_gz_bytes(ActeSample().files()), "acte.tar.gz")
    assert acte.status_code == 201, acte.text

    voted = post_import(server, service_id, zip_bytes(SeanceSample().files()), "s.zip", "seance")

    assert voted.status_code == 201, voted.text
    assert [(link["number"], link["acte_dossier_id"]) for link in voted.json()["links"]] == [
        ("2026_014", acte.json()["dossier_id"])
    ]
    with server.client() as client:
        seen = client.get(f"/api/v1/imports/actes/{ActeSample().id_acte}").json()
    assert seen["links"][0]["seance_dossier_id"] == voted.json()["dossier_id"]
    assert not list((server.home / "spool").glob("inbound-*"))


def spooled(server: GedServer) -> list[Path]:
    return [p for p in (server.home / "spool").glob("inbound-*") if p.stat().st_size > 0]


@pytest.mark.slow
def test_kill9_while_an_import_is_received_leaves_no_spooled_body_after_restart(
    server: GedServer,
) -> None:
    service_id = setup_service(server)
    done = threading.Event()

    def trickle() -> Iterator[bytes]:
        yield b"\x1f\x8b" + b"x" * 65536
        while not done.wait(0.05):
            yield b"x" * 65536

    sender = threading.Thread(
        target=lambda: _post_quietly(server, service_id, trickle()), daemon=True
    )
    sender.start()
    wait_for(lambda: spooled(server), "corps de l'import en cours de réception")
    server.service.kill()
    done.set()
    sender.join(timeout=30)
    assert spooled(server)

    server.service.start()  # the restart removes what the killed process was receiving

    assert list((server.home / "spool").glob("inbound-*")) == []


def _post_quietly(server: GedServer, service_id: str, body: Iterator[bytes]) -> None:
    with suppress(httpx.HTTPError), server.client() as client:
        client.post(
            "/api/v1/imports",
            params={"profile": "actes", "service_id": service_id},
            content=body,
            headers={"Content-Type": "application/gzip"},
        )
