"""People's accounts over the admin API: created, given a password, disabled, listed; a
password is never returned; another organisation's account is not found."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ged.domain.model import Role
from tests.fixtures.ged import Ged

PASSWORD = "un mot de passe assez long"


def test_an_administrator_creates_lists_and_disables_a_person(
    client: TestClient, sqlite_ged: Ged
) -> None:
    made = client.post(
        "/api/v1/users",
        json={
            "login": "marie",
            "roles": ["agent"],
            "service_ids": [sqlite_ged.service.id],
            "password": PASSWORD,
        },
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["login"], body["has_password"], body["disabled"]) == ("marie", True, False)
    assert PASSWORD not in made.text
    assert (
        client.put(
            "/api/v1/users/marie/password", json={"password": "encore un autre mot de passe"}
        ).status_code
        == 204
    )
    assert client.post("/api/v1/users/marie/disable").status_code == 204
    again = client.post("/api/v1/users/marie/disable")
    assert (again.status_code, again.json()["code"]) == (409, "account_already_disabled")
    [listed] = [u for u in client.get("/api/v1/users").json() if u["login"] == "marie"]
    assert listed["disabled"] is True and "password" not in listed


def test_every_bad_field_is_listed_and_a_short_password_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/users",
        json={"login": "é", "roles": ["application"], "password": "court", "email": "x"},
    )
    assert answer.status_code == 422
    assert {i["path"] for i in answer.json()["issues"]} == {"login", "roles", "password", "email"}
    short = client.post("/api/v1/users", json={"login": "paul", "roles": ["agent"]})
    assert short.status_code == 201
    refused = client.put("/api/v1/users/paul/password", json={"password": "court"})
    assert (refused.status_code, refused.json()["code"]) == (422, "invalid")


def test_only_an_administrator_manages_accounts_and_only_in_their_organisation(
    client: TestClient, sqlite_ged: Ged
) -> None:
    _, agent_token = sqlite_ged.user("agent1", Role.AGENT)
    as_agent = {"Authorization": f"Bearer {agent_token}"}
    forbidden = client.post(
        "/api/v1/users", json={"login": "x1", "roles": ["agent"]}, headers=as_agent
    )
    assert forbidden.status_code == 403
    client.post("/api/v1/users", json={"login": "marie", "roles": ["agent"]})
    _, other_token, _ = sqlite_ged.other_organisation()
    foreign = {"Authorization": f"Bearer {other_token}"}
    answer = client.post("/api/v1/users/marie/disable", headers=foreign)
    assert (answer.status_code, answer.json()["code"]) == (404, "account_not_found")
    taken = client.post(
        "/api/v1/users", json={"login": "marie", "roles": ["admin"]}, headers=foreign
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "login_exists")
