"""People's accounts over the admin API: created, given a password, disabled, listed; a
password is never returned; another organisation's account is not found."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ged.domain.model import Role
from ged.services import admin
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


def test_an_administrator_grants_and_takes_back_a_role_each_grant_recorded_with_who_and_when(
    client: TestClient, sqlite_ged: Ged
) -> None:
    client.post("/api/v1/users", json={"login": "marie", "roles": ["agent"]})
    sqlite_ged.clock.advance(days=1)
    granted = client.post("/api/v1/users/marie/roles", json={"role": "archivist"})
    assert granted.status_code == 201, granted.text
    assert granted.json() == {
        "login": "marie",
        "role": "archivist",
        "granted_by": sqlite_ged.admin.id,
        "granted_at": "2026-01-16T09:30:00Z",
    }
    [listed] = [u for u in client.get("/api/v1/users").json() if u["login"] == "marie"]
    assert listed["roles"] == ["agent", "archivist"]
    again = client.post("/api/v1/users/marie/roles", json={"role": "archivist"})
    assert (again.status_code, again.json()["code"]) == (409, "role_already_held")
    assert client.delete("/api/v1/users/marie/roles/archivist").status_code == 204
    gone = client.delete("/api/v1/users/marie/roles/archivist")
    assert (gone.status_code, gone.json()["code"]) == (409, "role_not_held")
    last = client.delete("/api/v1/users/marie/roles/agent")
    assert (last.status_code, last.json()["code"]) == (409, "last_role")
    robot = client.post("/api/v1/users/marie/roles", json={"role": "application"})
    assert (robot.status_code, robot.json()["issues"][0]["path"]) == (422, "role")
    with sqlite_ged.ctx.uow() as uow:
        logged = [e.action for e in uow.iter_log() if e.action.startswith("account.role")]
    assert logged == ["account.role_grant", "account.role_revoke"]


def test_roles_are_granted_by_an_administrator_of_the_same_organisation_only(
    client: TestClient, sqlite_ged: Ged
) -> None:
    client.post("/api/v1/users", json={"login": "marie", "roles": ["agent"]})
    client.post("/api/v1/users", json={"login": "chef", "roles": ["admin"], "password": PASSWORD})
    _, agent_token = sqlite_ged.user("agent1", Role.AGENT)
    as_agent = {"Authorization": f"Bearer {agent_token}"}
    refused = client.post("/api/v1/users/marie/roles", json={"role": "admin"}, headers=as_agent)
    assert refused.status_code == 403
    _, other_token, _ = sqlite_ged.other_organisation()
    foreign = {"Authorization": f"Bearer {other_token}"}
    answer = client.post("/api/v1/users/marie/roles", json={"role": "admin"}, headers=foreign)
    assert (answer.status_code, answer.json()["code"]) == (404, "account_not_found")
    chef = admin.create_token(sqlite_ged.ctx, "test", sqlite_ged.admin.organisation_id, "chef", "")
    as_chef = {"Authorization": f"Bearer {chef.token}"}
    own = client.delete("/api/v1/users/chef/roles/admin", headers=as_chef)
    assert (own.status_code, own.json()["code"]) == (409, "own_administrator_role")
