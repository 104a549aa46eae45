"""Office documents and e-mails uploaded over HTTP to a real ``gedsae serve``: their words are
found by search once the background stage has run, and an e-mail's attachments become documents
of its dossier, related to the message."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.fixtures import office_files as office
from tests.fixtures.processes import GedServer

PROCESSING_DEADLINE_S = 120.0


def new_dossier(http: httpx.Client) -> str:
    service = http.post(
        "/api/v1/services", json={"name": "Secrétariat général", "seda_identifier": "FR_SG"}
    )
    assert service.status_code == 201, service.text
    created = http.post(
        "/api/v1/dossiers", json={"service_id": service.json()["id"], "title": "Conseil"}
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def upload(http: httpx.Client, dossier_id: str, body: bytes, name: str, mime: str) -> str:
    response = http.post(
        f"/api/v1/dossiers/{dossier_id}/documents",
        content=body,
        params={"filename": name},
        headers={"Content-Type": mime},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def processed(http: httpx.Client, document_id: str) -> dict[str, Any]:
    """The document once its background stage is over (waits for it, never asserts time)."""
    deadline = time.monotonic() + PROCESSING_DEADLINE_S
    while True:
        found: dict[str, Any] = http.get(f"/api/v1/documents/{document_id}").json()
        if found["versions"][0]["extraction_status"] != "pending":
            return found
        assert time.monotonic() < deadline, f"still pending: {found}"
        time.sleep(0.1)


def hits(http: httpx.Client, words: str) -> list[str]:
    found = http.get("/api/v1/search", params={"q": words}).json()["hits"]
    return [hit["document"]["id"] for hit in found]


def test_words_inside_office_documents_are_found(ged_server: GedServer) -> None:
    samples = [
        (office.docx("Délibération relative au columbarium"), "d.docx", office.DOCX_MIME),
        (office.odt("Arrêté portant sur le marché forain"), "a.odt", office.ODF_MIME["text"]),
        (office.xlsx([["Subvention", "Harmonie"]]), "s.xlsx", office.XLSX_MIME),
        (office.rtf("Procès-verbal de la kermesse"), "p.rtf", "application/rtf"),
    ]
    with ged_server.client() as http:
        dossier = new_dossier(http)
        ids = [upload(http, dossier, body, name, mime) for body, name, mime in samples]
        statuses = [processed(http, doc)["versions"][0]["extraction_status"] for doc in ids]

        assert statuses == ["done"] * 4
        assert hits(http, "columbarium") == [ids[0]]
        assert hits(http, "forain") == [ids[1]]
        assert hits(http, "harmonie") == [ids[2]]
        assert hits(http, "kermesse") == [ids[3]]


def test_an_emails_attachments_are_filed_as_documents_of_its_dossier(
    ged_server: GedServer,
) -> None:
    agenda = office.odt("Budget de la médiathèque")
    message = office.eml(
        "Convocation",
        "Madame, Monsieur, vous êtes convoqués.",
        [
            ("ordre-du-jour.odt", office.ODF_MIME["text"], agenda),
            ("plan.txt", "text/plain", b"plan du parking"),
        ],
    )
    with ged_server.client() as http:
        dossier = new_dossier(http)
        message_id = upload(http, dossier, message, "convocation.eml", "message/rfc822")
        found = processed(http, message_id)
        attachments = found["related"]["attachments"]
        filed = [processed(http, attachment) for attachment in attachments]

        assert found["versions"][0]["extraction_status"] == "done"
        assert sorted(doc["title"] for doc in filed) == ["ordre-du-jour.odt", "plan.txt"]
        assert {doc["dossier_id"] for doc in filed} == {dossier}
        assert {doc["related"]["attachment_of"] for doc in filed} == {message_id}
        assert hits(http, "convoqués") == [message_id]
        odt = next(doc for doc in filed if doc["title"] == "ordre-du-jour.odt")
        assert hits(http, "médiathèque") == [odt["id"]]
        content = http.get(f"/api/v1/documents/{odt['id']}/content").content
        assert content == agenda
