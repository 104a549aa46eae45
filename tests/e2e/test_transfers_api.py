"""``/api/v1/transfers``: who may run transfers, what an instance without agreements answers,
and another organisation's transfer (404). The full loop over HTTP is in test_two_processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ged.api.app import create_app
from ged.domain.model import Role
from ged.services.transfer_setup import TransferSetup
from tests.fixtures.ged import Ged


def test_an_instance_without_agreements_says_so(client: TestClient) -> None:
    started = client.post("/api/v1/transfers", json={"agreement": "ad35", "dossier_ids": ["x"]})
    assert started.status_code == 503
    assert started.json()["code"] == "transfers_not_configured"
    polled = client.post("/api/v1/transfers/GEDSAE-x/poll")
    assert polled.status_code == 503
    assert client.get("/api/v1/transfers").json() == []


def test_only_records_officers_archivists_and_admins_see_transfers(
    client: TestClient, sqlite_ged: Ged
) -> None:
    _, agent = sqlite_ged.user("agent", Role.AGENT)
    _, archivist = sqlite_ged.user("archiviste", Role.ARCHIVIST)
    refused = client.get("/api/v1/transfers", headers={"Authorization": f"Bearer {agent}"})
    assert refused.status_code == 403
    allowed = client.get("/api/v1/transfers", headers={"Authorization": f"Bearer {archivist}"})
    assert allowed.status_code == 200


def test_unknown_or_foreign_transfer_is_not_found(client: TestClient, sqlite_ged: Ged) -> None:
    missing = client.get("/api/v1/transfers/GEDSAE-inconnu")
    assert missing.status_code == 404 and missing.json()["code"] == "transfer_not_found"
    _, other_token, _ = sqlite_ged.other_organisation()
    foreign = client.get(
        "/api/v1/transfers/GEDSAE-inconnu", headers={"Authorization": f"Bearer {other_token}"}
    )
    assert foreign.status_code == 404
    assert client.get("/api/v1/transfers?state=nowhere").status_code == 422


def test_the_openapi_description_shows_packages_and_webhooks_with_examples(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    package = paths["/api/v1/transfers/packages"]["post"]
    assert "application/zip" in package["requestBody"]["content"]
    refused = package["responses"]["422"]["content"]["application/problem+json"]["example"]
    assert refused["code"] == "package_refused" and refused["issues"]
    followed = paths["/api/v1/transfers/{message_identifier}"]["get"]["responses"]["200"]
    assert followed["content"]["application/json"]["example"]["state"] == "accepted"
    registered = paths["/api/v1/webhooks"]["post"]["responses"]["201"]["content"]
    assert "secret" in registered["application/json"]["example"]
    deliveries = paths["/api/v1/webhooks/{webhook_id}/deliveries"]["get"]["responses"]["200"]
    assert deliveries["content"]["application/json"]["example"][0]["attempts"]


def test_an_instance_without_webhooks_says_so(client: TestClient) -> None:
    refused = client.post("/api/v1/webhooks", json={"url": "https://app.example/hook"})
    assert refused.status_code == 503 and refused.json()["code"] == "webhooks_not_configured"


def test_a_package_is_refused_to_an_agent_and_under_an_unknown_agreement_before_its_body(
    sqlite_ged: Ged, tmp_path: Path
) -> None:
    setup = TransferSetup({}, lambda name: pytest.fail("no connector is built"), tmp_path / "spool")
    _, agent = sqlite_ged.user("agent", Role.AGENT, services=(sqlite_ged.service,))
    with TestClient(create_app(sqlite_ged.ctx, setup)) as client:
        body = {"content": b"PK" + bytes(1000), "headers": {"Content-Type": "application/zip"}}
        refused = client.post(
            "/api/v1/transfers/packages?agreement=ad35",
            headers={"Authorization": f"Bearer {agent}", **body["headers"]},
            content=body["content"],
        )
        assert refused.status_code == 403
        unknown = client.post(
            "/api/v1/transfers/packages?agreement=ad35",
            headers={"Authorization": f"Bearer {sqlite_ged.admin_token}", **body["headers"]},
            content=body["content"],
        )
        assert unknown.status_code == 404 and unknown.json()["code"] == "agreement_not_found"
    assert not (tmp_path / "spool").exists()
