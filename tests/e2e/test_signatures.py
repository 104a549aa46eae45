"""Signatures of documents uploaded over HTTP to a real ``gedsae serve``: verified after the
acknowledgement against the anchors in ``$GEDSAE_HOME/trust``, reported on the version,
searchable, and verified again by ``gedsae signatures verify`` once the anchors change.

The PKI is made relative to the wall clock (the server's time): nothing depends on the date."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.fixtures import signatures as samples
from tests.fixtures.processes import GedServer, gedsae_cli

DEADLINE_S = 120.0


@pytest.fixture(scope="module")
def pki() -> samples.Pki:
    return samples.make_pki(datetime.now(UTC))


def trust(server: GedServer, pem: bytes) -> None:
    folder = server.home / "trust"
    folder.mkdir(exist_ok=True)
    (folder / "racine.pem").write_bytes(pem)


def new_dossier(http: httpx.Client) -> str:
    service = http.post("/api/v1/services", json={"name": "Finances", "seda_identifier": "FR_F"})
    assert service.status_code == 201, service.text
    dossier = http.post(
        "/api/v1/dossiers", json={"service_id": service.json()["id"], "title": "Mandats"}
    )
    assert dossier.status_code == 201, dossier.text
    return str(dossier.json()["id"])


def upload(
    http: httpx.Client, dossier: str, body: bytes, name: str, mime: str, **params: str
) -> str:
    response = http.post(
        f"/api/v1/dossiers/{dossier}/documents",
        content=body,
        params={"filename": name, **params},
        headers={"Content-Type": mime},
    )
    assert response.status_code == 201, response.text
    assert response.json()["versions"][0].get("signature") is None  # acknowledged before
    return str(response.json()["id"])


def report(http: httpx.Client, document_id: str) -> dict[str, Any]:
    """The current version's signature report once the background stage wrote it."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        found = http.get(f"/api/v1/documents/{document_id}").json()
        signature: dict[str, Any] | None = found["versions"][-1]["signature"]
        if signature is not None:
            return signature
        assert time.monotonic() < deadline, found
        time.sleep(0.1)


def search(http: httpx.Client, status: str) -> set[str]:
    hits = http.get("/api/v1/search", params={"signature": status}).json()["hits"]
    return {hit["document"]["id"] for hit in hits}


def test_signatures_are_verified_reported_and_searchable(
    ged_server: GedServer, pki: samples.Pki
) -> None:
    trust(ged_server, pki.root.pem)
    signed = samples.signed_pdf(pki, pki.agent, stamped_at=datetime.now(UTC) - timedelta(hours=1))
    xml = samples.signed_xml(pki, pki.agent)
    with ged_server.client() as http:
        dossier = new_dossier(http)
        valid = upload(http, dossier, signed, "arrete.pdf", "application/pdf")
        tampered = upload(
            http, dossier, samples.tampered_pdf(signed), "faux.pdf", "application/pdf"
        )
        stranger = upload(
            http, dossier, samples.signed_pdf(pki, pki.stranger), "x.pdf", "application/pdf"
        )
        pes = upload(http, dossier, xml, "pes.xml", "application/xml")
        plain = upload(http, dossier, b"sans signature", "note.txt", "text/plain")

        first = report(http, valid)
        assert (first["status"], first["format"]) == ("valid", "pades")
        assert "Agent signataire" in first["signer"] and first["timestamp_time"] is not None
        altered = report(http, tampered)
        assert altered["status"] == "invalid" and "signature_altered" in altered["reasons"]
        assert altered["messages"][0].startswith("Le document ou la signature a été modifié")
        unknown = report(http, stranger)
        assert (unknown["status"], unknown["reasons"]) == ("indeterminate", ["untrusted_root"])
        assert (report(http, pes)["status"], report(http, pes)["format"]) == ("valid", "xades")
        assert report(http, plain)["status"] == "none"

        assert search(http, "valid") == {valid, pes}
        assert search(http, "invalid") == {tampered}
        assert search(http, "indeterminate") == {stranger}
        assert search(http, "none") == {plain}


def test_a_detached_signature_is_matched_by_name_or_by_parameter(
    ged_server: GedServer, pki: samples.Pki
) -> None:
    trust(ged_server, pki.root.pem)
    content = samples.signed_pdf(pki, pki.agent)  # any bytes: the .p7s signs them
    p7s = samples.detached_signature(pki, pki.agent, content)
    with ged_server.client() as http:
        dossier = new_dossier(http)
        early = upload(http, dossier, p7s, "mandat.pdf.p7s", "application/pkcs7-signature")
        assert report(http, early)["reasons"] == ["signed_document_missing"]
        signed = upload(http, dossier, content, "mandat.pdf", "application/pdf")
        other = upload(http, dossier, content, "copie.pdf", "application/pdf")
        explicit = upload(
            http, dossier, p7s, "signature.p7s", "application/pkcs7-signature", signature_of=other
        )

        by_name = report(http, signed)
        assert [(s["format"], s["status"], s["source"]) for s in by_name["signatures"]] == [
            ("pades", "valid", None),
            ("cades", "valid", early),
        ]
        deadline = time.monotonic() + DEADLINE_S
        while report(http, early)["status"] != "valid":  # re-verified once its document came
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert report(http, explicit)["status"] == "valid"
        related = http.get(f"/api/v1/documents/{other}").json()["related"]
        assert related["signatures"] == [explicit]


def test_signatures_are_verified_again_when_the_anchors_change(
    ged_server: GedServer, pki: samples.Pki
) -> None:
    with ged_server.client() as http:
        dossier = new_dossier(http)
        document = upload(
            http, dossier, samples.signed_pdf(pki, pki.agent), "a.pdf", "application/pdf"
        )
        assert report(http, document)["reasons"] == ["no_trust_anchors"]  # nothing trusted yet
        trust(ged_server, pki.root.pem)

        out = gedsae_cli(ged_server.env, "signatures", "verify", "--all", "--json")

        lines = [json.loads(line) for line in out.splitlines()]
        assert {"document_id": document, "status": "valid"}.items() <= next(
            line for line in lines if line["document_id"] == document
        ).items()
        assert report(http, document)["status"] == "valid"
