"""A signed PDF goes from the GED to the repository, both as processes on loopback: the GED
verifies it after the upload, its report travels in the SIP, and the repository, which trusts
the same root for documents (``gedsae-sae signature-anchors``), verifies it again and agrees;
the archivist sees it at review and accepts.

The PKI is made relative to the wall clock (both servers verify at their own time)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.test_two_processes import setup_pair, start_transfer, wait_for
from tests.fixtures import signatures as samples
from tests.fixtures.due_dossiers import TABLEAU, lifecycle_phase
from tests.fixtures.processes import Service, gedsae_cli, sae_cli

DEADLINE_S = 120.0


def signed_due_dossier(ged: httpx.Client, service_id: str, pdf: bytes) -> tuple[str, str]:
    """A due dossier (kept for good, EC-04) holding the signed PDF; its id and the PDF's."""
    assert ged.post("/api/v1/rules/import?format=csv", content=TABLEAU.read_bytes()).is_success
    node = ged.post("/api/v1/plan", json={"code": "EC", "label": "État civil"}).json()["id"]
    binding = {"target": "plan_node", "target_id": node, "rule_id": "EC-04"}
    assert ged.put("/api/v1/bindings", json=binding).is_success
    dossier = ged.post(
        "/api/v1/dossiers",
        json={"service_id": service_id, "title": "Arrêtés 2010", "plan_node_id": node,
              "opened_on": "2010-01-01"},
    ).json()["id"]  # fmt: skip
    document = ged.post(
        f"/api/v1/dossiers/{dossier}/documents",
        content=pdf,
        params={"filename": "arrete.pdf", "title": "Arrêté signé"},
        headers={"Content-Type": "application/pdf"},
    )
    assert document.status_code == 201, document.text
    ged.post(f"/api/v1/dossiers/{dossier}/close", json={"closed_on": "2010-12-31"})
    ged.post(
        f"/api/v1/dossiers/{dossier}/events",
        json={"name": "Clôture de la table", "on": "2010-12-31"},
    )
    assert ged.post("/api/v1/lifecycle/run", json={}).status_code == 200
    assert lifecycle_phase(ged, dossier) == "due"
    return dossier, str(document.json()["id"])


def report(ged: httpx.Client, document_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        found = ged.get(f"/api/v1/documents/{document_id}").json()
        signature: dict[str, Any] | None = found["versions"][-1]["signature"]
        if signature is not None:
            return signature
        assert time.monotonic() < deadline, found
        time.sleep(0.2)


def test_a_signed_pdf_is_verified_again_by_the_repository_as_a_process(
    tmp_path: Path, services: list[Service]
) -> None:
    pki = samples.make_pki(datetime.now(UTC))
    pair = setup_pair(tmp_path, services)
    root = tmp_path / "racine.pem"
    root.write_bytes(pki.root.pem)
    (tmp_path / "ged" / "trust").mkdir(exist_ok=True)
    (tmp_path / "ged" / "trust" / "racine.pem").write_bytes(pki.root.pem)
    sae_cli(pair.sae_env, "signature-anchors", str(root))
    service_id = gedsae_cli(pair.ged_env, "services", "create", "Finances", "SERVICE-A").strip()

    with (
        httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60) as ged,
        httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60) as sae,
    ):
        dossier, document = signed_due_dossier(ged, service_id, samples.signed_pdf(pki, pki.agent))
        assert report(ged, document)["status"] == "valid"
        mid = start_transfer(ged, dossier)

        def checked() -> dict[str, Any] | None:
            listed = sae.get("/api/v1/sae/review/transfers").json()
            return next((t for t in listed if t["message_identifier"] == mid), None)

        summary = wait_for(checked, f"{mid} contrôlé par le dépôt")
        assert summary["checks_passed"], summary["issues"]
        (check,) = summary["signature_checks"]
        assert (check["filename"], check["declared"], check["found"]) == (
            "arrete.pdf",
            "valid",
            "valid",
        )
        accepted = sae.post(
            f"/api/v1/sae/review/transfers/{summary['transfer_id']}/accept",
            json={"comment": "Signatures vérifiées"},
        )
        assert accepted.status_code == 200, accepted.text
