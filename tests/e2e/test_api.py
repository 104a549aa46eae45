"""The REST API driven over HTTP (TestClient): uploads, downloads, errors, idempotency."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.testclient import TestClient

from ged.domain.model import Role
from tests.fixtures.ged import Ged


def new_dossier(client: TestClient, ged: Ged, title: str = "Conseil municipal") -> str:
    response = client.post("/api/v1/dossiers", json={"service_id": ged.service.id, "title": title})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def upload(client: TestClient, dossier_id: str, body: bytes, **params: Any) -> Any:
    headers = {"Content-Type": "text/plain"}
    return client.post(
        f"/api/v1/dossiers/{dossier_id}/documents", content=body, params=params, headers=headers
    )


def test_upload_process_download(client: TestClient, sqlite_ged: Ged) -> None:
    dossier_id = new_dossier(client, sqlite_ged)
    response = upload(
        client,
        dossier_id,
        b"proces-verbal de la seance",
        filename="pv.txt",
        title="PV",
        keywords=["seance"],
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["versions"][0]["sha256"] == hashlib.sha256(b"proces-verbal de la seance").hexdigest()
    got = client.get(f"/api/v1/documents/{doc['id']}").json()
    assert got["versions"][0]["extraction_status"] == "done"  # background step ran
    content = client.get(f"/api/v1/documents/{doc['id']}/content")
    assert content.content == b"proces-verbal de la seance"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-disposition"].startswith('attachment; filename="pv.txt"')
    hits = client.get("/api/v1/search", params={"q": "séance"}).json()["hits"]
    assert [h["document"]["id"] for h in hits] == [doc["id"]]


def test_hostile_filename_is_kept_as_metadata_and_header_is_safe(
    client: TestClient, sqlite_ged: Ged
) -> None:
    dossier_id = new_dossier(client, sqlite_ged)
    name = "../../etc/\r\nSet-Cookie: x=1\x07" + "é" * 300 + ".txt"
    doc = upload(client, dossier_id, b"x", filename=name).json()
    stored = doc["versions"][0]["filename"]
    assert "/" not in stored and "\r" not in stored and "\n" not in stored and len(stored) <= 255
    header = client.get(f"/api/v1/documents/{doc['id']}/content").headers["content-disposition"]
    assert "\r" not in header and "\n" not in header and "../" not in header


def test_new_version(client: TestClient, sqlite_ged: Ged) -> None:
    doc = upload(client, new_dossier(client, sqlite_ged), b"v1", filename="a.txt").json()
    response = client.post(
        f"/api/v1/documents/{doc['id']}/versions", content=b"v2", params={"filename": "a.txt"}
    )
    assert response.status_code == 201 and response.json()["number"] == 2
    assert client.get(f"/api/v1/documents/{doc['id']}/content").content == b"v2"
    assert (
        client.get(f"/api/v1/documents/{doc['id']}/content", params={"version": 1}).content == b"v1"
    )


def test_declared_body_over_the_limit_is_refused_before_reading(
    client: TestClient, sqlite_ged: Ged
) -> None:
    dossier_id = new_dossier(client, sqlite_ged)
    headers = {"Content-Length": str(10 * 1024**3 + 1), "Content-Type": "application/octet-stream"}
    response = client.post(f"/api/v1/dossiers/{dossier_id}/documents", content=b"", headers=headers)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "content_too_large"
    assert list(sqlite_ged.ctx.blobs.iter_digests()) == []


def test_another_organisation_gets_404_like_missing(client: TestClient, sqlite_ged: Ged) -> None:
    doc = upload(client, new_dossier(client, sqlite_ged), b"secret", filename="s.txt").json()
    _, other_token, _ = sqlite_ged.other_organisation()
    other = {"Authorization": f"Bearer {other_token}"}
    for path in (
        f"/api/v1/documents/{doc['id']}",
        f"/api/v1/documents/{doc['id']}/content",
        f"/api/v1/dossiers/{doc['dossier_id']}",
    ):
        foreign = client.get(path, headers=other)
        missing = client.get(
            path.replace(doc["id"], "00000000-0000-0000-0000-000000000000").replace(
                doc["dossier_id"], "00000000-0000-0000-0000-000000000000"
            )
        )
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json()["code"] == missing.json()["code"]


def test_problem_json_for_validation_auth_and_conflicts(
    client: TestClient, sqlite_ged: Ged
) -> None:
    response = client.post("/api/v1/dossiers", json={"title": ""})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"
    assert {i["path"] for i in response.json()["issues"]} >= {"body.service_id", "body.title"}
    anonymous = client.get("/api/v1/dossiers", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    bad = client.get("/api/v1/dossiers", headers={"Authorization": "Bearer gst_nope"})
    assert bad.status_code == 401
    dossier_id = new_dossier(client, sqlite_ged)
    assert client.post(f"/api/v1/dossiers/{dossier_id}/close", json={}).status_code == 200
    again = client.post(f"/api/v1/dossiers/{dossier_id}/close", json={})
    assert again.status_code == 409 and again.json()["code"] == "dossier_closed"


def test_idempotency_key_replays_and_refuses_reuse(client: TestClient, sqlite_ged: Ged) -> None:
    body = {"service_id": sqlite_ged.service.id, "title": "Marché 2026-004"}
    headers = {"Idempotency-Key": "k-1"}
    first = client.post("/api/v1/dossiers", json=body, headers=headers)
    second = client.post("/api/v1/dossiers", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert (
        first.json()["id"] == second.json()["id"]
        and second.headers["idempotent-replayed"] == "true"
    )
    assert len(client.get("/api/v1/dossiers").json()) == 1
    other = client.post("/api/v1/dossiers", json={**body, "title": "Autre"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"


def test_idempotent_upload_stores_one_document(client: TestClient, sqlite_ged: Ged) -> None:
    dossier_id = new_dossier(client, sqlite_ged)
    headers = {"Idempotency-Key": "upload-1", "Content-Type": "text/plain"}
    url = f"/api/v1/dossiers/{dossier_id}/documents"
    first = client.post(url, content=b"facture", headers=headers)
    second = client.post(url, content=b"facture", headers=headers)
    assert first.json()["id"] == second.json()["id"]
    assert len(client.get("/api/v1/search").json()["hits"]) == 1


def test_agent_scoped_to_services(client: TestClient, sqlite_ged: Ged) -> None:
    _, token = sqlite_ged.user("agent", Role.AGENT, services=(sqlite_ged.other_service,))
    dossier_id = new_dossier(client, sqlite_ged)
    upload(client, dossier_id, b"finances", filename="f.txt")
    agent = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/search", headers=agent).json()["hits"] == []
    assert client.get(f"/api/v1/dossiers/{dossier_id}", headers=agent).status_code == 404


def test_health_openapi_and_log_verify(client: TestClient, sqlite_ged: Ged) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    assert "/api/v1/dossiers/{dossier_id}/documents" in spec["paths"]
    new_dossier(client, sqlite_ged)
    report = client.get("/api/v1/log/verify").json()
    assert report["ok"] is True and report["entries"] >= 5


def test_plan_tree(client: TestClient, sqlite_ged: Ged) -> None:
    root = client.post(
        "/api/v1/plan", json={"code": "1", "label": "Administration générale"}
    ).json()
    child = client.post(
        "/api/v1/plan", json={"code": "1.1", "label": "Assemblées", "parent_id": root["id"]}
    )
    assert child.status_code == 201
    duplicate = client.post("/api/v1/plan", json={"code": "1.1", "label": "Doublon"})
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "plan_code_exists"
    assert [n["code"] for n in client.get("/api/v1/plan").json()] == ["1", "1.1"]


def test_get_dossier_shows_its_lifecycle(client: TestClient, sqlite_ged: Ged) -> None:
    dossier_id = new_dossier(client, sqlite_ged)
    body = client.get(f"/api/v1/dossiers/{dossier_id}").json()
    assert body["id"] == dossier_id and body["status"] == "open"
    assert body["lifecycle"]["computed_phase"] == "current"
    assert body["lifecycle"]["rules"] == [] and body["lifecycle"]["held"] is False


def test_metadata_patch_ignores_explicit_nulls(client: TestClient, sqlite_ged: Ged) -> None:
    doc = upload(
        client, new_dossier(client, sqlite_ged), b"x", filename="a.txt", title="Avant"
    ).json()
    response = client.patch(
        f"/api/v1/documents/{doc['id']}", json={"title": None, "author": "Mme Martin"}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Avant" and response.json()["author"] == "Mme Martin"


def test_dossiers_are_listed_by_service_and_recorded_phase(
    client: TestClient, sqlite_ged: Ged
) -> None:
    finances = new_dossier(client, sqlite_ged, "Budget")
    staff = client.post(
        "/api/v1/dossiers", json={"service_id": sqlite_ged.other_service.id, "title": "Carrière"}
    ).json()["id"]

    def listed(**params: str) -> list[str]:
        response = client.get("/api/v1/dossiers", params=params)
        assert response.status_code == 200, response.text
        return [d["id"] for d in response.json()]

    assert listed(service_id=sqlite_ged.other_service.id) == [staff]
    assert listed(phase="current") == []  # the engine has not run: no recorded phase
    assert client.post("/api/v1/lifecycle/run", json={}).status_code == 200
    assert sorted(listed(phase="current")) == sorted([finances, staff])
    assert listed(phase="due") == []
    assert client.get("/api/v1/dossiers", params={"phase": "bientôt"}).status_code == 422


def test_a_dossiers_documents_and_events_are_listed(client: TestClient, sqlite_ged: Ged) -> None:
    dossier_id = new_dossier(client, sqlite_ged)
    upload(client, dossier_id, b"ordre du jour", filename="odj.txt", title="Ordre du jour")
    for name, on in (("date du décès", "2020-05-04"), ("date de la séance", "2019-03-01")):
        recorded = client.post(
            f"/api/v1/dossiers/{dossier_id}/events", json={"name": name, "on": on}
        )
        assert recorded.status_code == 204
    events = client.get(f"/api/v1/dossiers/{dossier_id}/events").json()
    assert [(e["name"], e["on"]) for e in events] == [
        ("date de la séance", "2019-03-01"),
        ("date du décès", "2020-05-04"),
    ]
    docs = client.get(f"/api/v1/dossiers/{dossier_id}/documents").json()
    assert [(d["title"], len(d["versions"])) for d in docs] == [("Ordre du jour", 1)]
    _, other_token, _ = sqlite_ged.other_organisation()
    stranger = {"Authorization": f"Bearer {other_token}"}
    for path in ("events", "documents"):
        hidden = client.get(f"/api/v1/dossiers/{dossier_id}/{path}", headers=stranger)
        assert hidden.status_code == 404


def test_a_service_needs_a_name_and_an_identifier_without_spaces(client: TestClient) -> None:
    refused = client.post("/api/v1/services", json={"name": " ", "seda_identifier": "FR DF"})
    assert refused.status_code == 422
    assert {i["path"] for i in refused.json()["issues"]} == {"name", "seda_identifier"}
    assert all(s["seda_identifier"] != "FR DF" for s in client.get("/api/v1/services").json())
    made = client.post("/api/v1/services", json={"name": "Archives", "seda_identifier": " FR_AR "})
    assert (made.status_code, made.json()["seda_identifier"]) == (201, "FR_AR")
