"""Defects the fuzzers found, each replayed as it was found (the smallest failing request)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.ged import Ged


def test_a_plan_node_under_an_empty_parent_id_is_a_404_not_a_500(client: TestClient) -> None:
    answer = client.post("/api/v1/plan", json={"code": "A", "label": "B", "parent_id": ""})
    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_dossier_in_an_empty_plan_node_id_is_a_404_not_a_500(
    client: TestClient, sqlite_ged: Ged, method: str
) -> None:
    service = client.post("/api/v1/services", json={"name": "S", "seda_identifier": "FR_S"})
    body = {"service_id": service.json()["id"], "title": "D"}
    if method == "post":
        answer = client.post("/api/v1/dossiers", json={**body, "plan_node_id": ""})
    else:
        dossier = client.post("/api/v1/dossiers", json=body).json()
        answer = client.patch(f"/api/v1/dossiers/{dossier['id']}", json={"plan_node_id": ""})
    assert answer.status_code == 404, answer.text


@pytest.mark.parametrize("version", ["99999999999999999999999", "-99999999999999999999999", "0"])
def test_a_version_number_beyond_what_sql_holds_is_a_422_not_a_500(
    client: TestClient, version: str
) -> None:
    service = client.post("/api/v1/services", json={"name": "S", "seda_identifier": "FR_S"})
    dossier = client.post(
        "/api/v1/dossiers", json={"service_id": service.json()["id"], "title": "D"}
    ).json()
    document = client.post(
        f"/api/v1/dossiers/{dossier['id']}/documents",
        content=b"x",
        headers={"Content-Type": "text/plain"},
    ).json()
    answer = client.get(f"/api/v1/documents/{document['id']}/content", params={"version": version})
    assert answer.status_code == 422, answer.text
    assert [issue["path"] for issue in answer.json()["issues"]] == ["query.version"]
