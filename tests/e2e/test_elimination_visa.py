"""The two-person visa of an elimination (Code du patrimoine R212-14) over HTTP, against a real
``gedsae serve``: one administrator must not be able to pass it alone.

The visa comes from a person (never an application client), other than the author of the
proposal, whose archivist role was not granted by the author and existed before the proposal
was made. Every refusal is written to the operation log with its reason.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import httpx

from tests.fixtures.processes import GedServer, gedsae_cli

TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"


def due_dossier(http: httpx.Client, server: GedServer) -> str:
    """A closed dossier under AG-08 (destroy), due in 2023."""
    service_id = gedsae_cli(server.env, "services", "create", "Finances", "FR_DF").strip()
    assert http.post("/api/v1/rules/import?format=csv", content=TABLEAU.read_bytes()).is_success
    node = http.post("/api/v1/plan", json={"code": "AG", "label": "Courrier"}).json()["id"]
    http.put(
        "/api/v1/bindings", json={"target": "plan_node", "target_id": node, "rule_id": "AG-08"}
    )
    dossier = http.post(
        "/api/v1/dossiers",
        json={
            "service_id": service_id,
            "title": "Courrier 2020",
            "plan_node_id": node,
            "opened_on": "2020-01-01",
        },
    ).json()["id"]
    http.post(f"/api/v1/dossiers/{dossier}/close", json={"closed_on": "2020-12-31"})
    return str(dossier)


def propose(http: httpx.Client) -> str:
    proposed = http.post("/api/v1/eliminations", json={"as_of": "2023-06-01"})
    assert proposed.status_code == 201, proposed.text
    return str(proposed.json()["id"])


def archivist(server: GedServer, name: str, *extra: str) -> str:
    """An archivist created on the host by the operator (not by the proposal's author)."""
    return gedsae_cli(server.env, "tokens", "create", name, "--role", "archivist", *extra).strip()


def approve(server: GedServer, pid: str, token: str) -> httpx.Response:
    with server.client(token) as http:
        return http.post(f"/api/v1/eliminations/{pid}/approve", json={"note": "vu"})


def refusals(server: GedServer) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(server.home / "gedsae.db")) as db:
        rows = db.execute(
            "SELECT object_id, details FROM oplog WHERE action = 'elimination.approval_refused'"
        ).fetchall()
    return [(pid, json.loads(details)["reason"]) for pid, details in rows]


def test_an_archivist_appointed_by_the_author_cannot_approve_the_proposal(
    ged_server: GedServer,
) -> None:
    with ged_server.client() as http:
        due_dossier(http, ged_server)
        pid = propose(http)
        created = http.post("/api/v1/principals", json={"name": "complice", "roles": ["archivist"]})
        assert created.status_code == 201, created.text
    visa = approve(ged_server, pid, created.json()["token"])
    assert visa.status_code == 403, visa.text
    assert visa.headers["content-type"] == "application/problem+json"
    assert visa.json()["code"] == "approver_appointed_by_author"
    assert refusals(ged_server) == [(pid, "approver_appointed_by_author")]
    with ged_server.client() as http:
        assert http.get(f"/api/v1/eliminations/{pid}").json()["status"] == "proposed"


def test_an_archivist_whose_role_came_after_the_proposal_cannot_approve_it(
    ged_server: GedServer,
) -> None:
    with ged_server.client() as http:
        due_dossier(http, ged_server)
        pid = propose(http)
    late = archivist(ged_server, "retardataire")
    visa = approve(ged_server, pid, late)
    assert visa.status_code == 403 and visa.json()["code"] == "approver_role_too_recent"
    assert refusals(ged_server) == [(pid, "approver_role_too_recent")]


def test_an_application_client_cannot_give_the_visa(ged_server: GedServer) -> None:
    robot = archivist(ged_server, "robot", "--application")
    with ged_server.client() as http:
        due_dossier(http, ged_server)
        pid = propose(http)
    visa = approve(ged_server, pid, robot)
    assert visa.status_code == 403 and visa.json()["code"] == "approval_by_application"
    assert refusals(ged_server) == [(pid, "approval_by_application")]


def test_an_archivist_appointed_before_the_proposal_by_someone_else_approves_it(
    ged_server: GedServer,
) -> None:
    person = archivist(ged_server, "archiviste")
    with ged_server.client() as http:
        due_dossier(http, ged_server)
        pid = propose(http)
    visa = approve(ged_server, pid, person)
    assert visa.status_code == 200, visa.text
    assert visa.json()["status"] == "approved"
    assert refusals(ged_server) == []
