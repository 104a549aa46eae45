"""Bearer tokens can be revoked (API and CLI, effective on the very next request, logged) and
expire (``expires_at``, optional at creation; an expired token is a 401)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.fixtures.ged import Ged
from tests.fixtures.processes import GedServer, gedsae_cli


def logged(server: GedServer, action: str) -> list[tuple[str, dict[str, str]]]:
    with closing(sqlite3.connect(server.home / "gedsae.db")) as db:
        rows = db.execute("SELECT object_id, details FROM oplog WHERE action = ?", (action,))
        return [(oid, json.loads(details)) for oid, details in rows.fetchall()]


def test_a_token_revoked_over_http_is_refused_on_the_next_request(
    ged_server: GedServer,
) -> None:
    with ged_server.client() as http:
        created = http.post("/api/v1/principals", json={"name": "agent", "roles": ["agent"]})
        assert created.status_code == 201, created.text
        issued = created.json()
        listed = {t["id"]: t for t in http.get("/api/v1/tokens").json()}
        assert listed[issued["token_id"]]["revoked_at"] is None
    with ged_server.client(issued["token"]) as agent:
        assert agent.get("/api/v1/services").status_code == 200
        with ged_server.client() as http:
            revoked = http.delete(f"/api/v1/tokens/{issued['token_id']}")
            assert revoked.status_code == 204, revoked.text
            again = http.delete(f"/api/v1/tokens/{issued['token_id']}")
            assert again.status_code == 409 and again.json()["code"] == "token_already_revoked"
        refused = agent.get("/api/v1/services")
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
    assert logged(ged_server, "token.revoke") == [
        (issued["token_id"], {"principal_id": issued["principal_id"], "label": "initial"})
    ]


def test_a_token_revoked_from_the_command_line_is_refused_by_the_running_server(
    ged_server: GedServer,
) -> None:
    token = gedsae_cli(ged_server.env, "tokens", "create", "robot", "--role", "agent").strip()
    listing = gedsae_cli(ged_server.env, "tokens", "list", "--json")
    (entry,) = [t for t in json.loads(listing) if t["principal"] == "robot"]
    with ged_server.client(token) as robot:
        assert robot.get("/api/v1/services").status_code == 200
        gedsae_cli(ged_server.env, "tokens", "revoke", entry["id"])
        assert robot.get("/api/v1/services").status_code == 401
    assert [oid for oid, _ in logged(ged_server, "token.revoke")] == [entry["id"]]


def test_another_organisation_cannot_revoke_or_see_a_token(
    client: TestClient, sqlite_ged: Ged
) -> None:
    mine = client.post("/api/v1/principals", json={"name": "agent", "roles": ["agent"]}).json()
    _, other_token, _ = sqlite_ged.other_organisation()
    foreign = {"Authorization": f"Bearer {other_token}"}
    listed = client.get("/api/v1/tokens", headers=foreign).json()
    assert mine["token_id"] not in {t["id"] for t in listed}
    refused = client.delete(f"/api/v1/tokens/{mine['token_id']}", headers=foreign)
    assert refused.status_code == 404 and refused.json()["code"] == "token_not_found"


def test_a_token_past_its_expiry_is_refused_with_401(client: TestClient, sqlite_ged: Ged) -> None:
    expires = sqlite_ged.clock() + timedelta(hours=1)
    created = client.post(
        "/api/v1/principals",
        json={"name": "stagiaire", "roles": ["agent"], "expires_at": expires.isoformat()},
    )
    assert created.status_code == 201, created.text
    assert created.json()["expires_at"] is not None
    temporary = {"Authorization": f"Bearer {created.json()['token']}"}
    assert client.get("/api/v1/services", headers=temporary).status_code == 200
    sqlite_ged.clock.advance(hours=1)
    expired = client.get("/api/v1/services", headers=temporary)
    assert expired.status_code == 401 and expired.json()["code"] == "token_expired"


def test_an_expiry_in_the_past_is_refused_at_creation(client: TestClient, sqlite_ged: Ged) -> None:
    past = sqlite_ged.clock() - timedelta(minutes=1)
    refused = client.post(
        "/api/v1/principals",
        json={"name": "trop-tard", "roles": ["agent"], "expires_at": past.isoformat()},
    )
    assert refused.status_code == 422 and refused.json()["issues"][0]["code"] == "expiry_in_past"


def test_a_token_issued_under_an_idempotency_key_is_never_stored_nor_replayed(
    ged_server: GedServer,
) -> None:
    key = {"Idempotency-Key": "creer-agent-1"}
    body = {"name": "agent", "roles": ["agent"]}
    with ged_server.client() as http:
        first = http.post("/api/v1/principals", json=body, headers=key)
        replay = http.post("/api/v1/principals", json=body, headers=key)
    assert first.status_code == 201 and first.json()["token"].startswith("gst_")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == {**first.json(), "token": None}
    with closing(sqlite3.connect(ged_server.home / "gedsae.db")) as db:
        stored = db.execute("SELECT group_concat(response) FROM idempotency_keys").fetchone()[0]
    assert first.json()["token"] not in stored
    with ged_server.client(first.json()["token"]) as agent:
        assert agent.get("/api/v1/services").status_code == 200
