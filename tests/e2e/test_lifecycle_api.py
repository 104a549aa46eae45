"""Rules, bindings, holds, the engine and eliminations over HTTP and from the command line."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from lxml import etree
from pypdf import PdfReader

from ged.cli import main
from ged.domain.lifecycle import BindingTarget
from ged.domain.model import Role
from ged.services import eliminations, filing, rules
from schemas.install import install
from seda.destruction import parse_authorization_request, parse_destruction_notification
from seda.safexml import log_entries, parse_bytes
from seda.schemaset import official_schema
from seda.versions import SedaVersion, version_from_namespace
from tests.fixtures.ged import Ged
from tests.fixtures.processes import INIT
from tests.fixtures.seda_corpus import shared_path

TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"
BAD_VITAM = (
    "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n"
    "A-1,AppraisalRule,ok,,5,YEAR\n"
    "A-2,appraisalrule,casse,,5,YEAR\n"
    "A-3,AppraisalRule,neg,,-5,YEAR\n"
)


def as_user(client: TestClient, token: str) -> dict[str, str]:
    del client
    return {"Authorization": f"Bearer {token}"}


def test_rules_bindings_phases_and_elimination_over_http(
    client: TestClient, sqlite_ged: Ged
) -> None:
    ged = sqlite_ged
    refused = client.post("/api/v1/rules/import?format=vitam", content=BAD_VITAM.encode())
    assert refused.status_code == 422
    assert [(i["code"], i["line"]) for i in refused.json()["issues"]] == [
        ("unknown_rule_type", 3),
        ("negative_duration", 4),
    ]
    imported = client.post("/api/v1/rules/import?format=csv", content=TABLEAU.read_bytes())
    assert imported.status_code == 200 and len(imported.json()["created"]) == 95
    exported = client.get("/api/v1/rules/export?format=vitam")
    assert exported.text.startswith("RuleId,RuleType") and "AG-08,AppraisalRule" in exported.text
    node = client.post("/api/v1/plan", json={"code": "AG", "label": "Courrier"}).json()["id"]
    bound = client.put(
        "/api/v1/bindings", json={"target": "plan_node", "target_id": node, "rule_id": "AG-08"}
    )
    assert bound.status_code == 200, bound.text
    dossier = client.post(
        "/api/v1/dossiers",
        json={
            "service_id": ged.service.id,
            "title": "Courrier",
            "plan_node_id": node,
            "opened_on": "2020-01-01",
        },
    ).json()["id"]
    client.post(f"/api/v1/dossiers/{dossier}/close", json={"closed_on": "2020-12-31"})
    override = client.put(
        "/api/v1/bindings", json={"target": "dossier", "target_id": dossier, "rule_id": "AG-02"}
    )
    assert override.status_code == 422 and override.json()["code"] == "justification_required"
    _, agent_token = ged.user("agent", Role.AGENT, services=(ged.service,))
    seen = client.get(f"/api/v1/dossiers/{dossier}/lifecycle", headers=as_user(client, agent_token))
    assert seen.status_code == 200
    body = seen.json()
    assert body["phase"] is None and body["computed_phase"] == "due"
    assert (
        body["rules"][0]["rule"]["identifier"] == "AG-08"
        and body["rules"][0]["source"] == "plan_node"
    )
    detail = client.get(f"/api/v1/dossiers/{dossier}", headers=as_user(client, agent_token)).json()
    assert detail["lifecycle"]["rules"] == body["rules"]  # GET on the dossier shows them too
    assert (
        client.put(
            "/api/v1/bindings",
            headers=as_user(client, agent_token),
            json={"target": "plan_node", "target_id": node, "rule_id": "AG-02"},
        ).status_code
        == 403
    )
    run = client.post("/api/v1/lifecycle/run", json={"as_of": "2022-01-01"}).json()
    assert [t["to"] for t in run["transitions"]] == ["intermediate"]
    forecast = client.get(
        "/api/v1/lifecycle/forecast", params={"months": 12, "as_of": "2022-01-01"}
    ).json()
    assert [(r["month"], r["final_action"], r["service_name"], r["count"]) for r in forecast] == [
        ("2022-12", "Destroy", "Direction des finances", 1)
    ]
    hold = client.post("/api/v1/holds", json={"dossier_id": dossier, "reason": "contentieux"})
    assert hold.status_code == 201
    assert client.post("/api/v1/eliminations", json={}).json()["code"] == "nothing_to_propose"
    client.post(f"/api/v1/holds/{hold.json()['id']}/lift", json={"reason": "fin"})
    _, author = ged.user("auteur", Role.ARCHIVIST)
    _, approver = ged.user("archiviste", Role.ARCHIVIST)
    ged.clock.advance(minutes=1)  # the approver's role predates the proposal
    proposed = client.post("/api/v1/eliminations", json={}, headers=as_user(client, author))
    assert proposed.status_code == 201 and len(proposed.json()["items"]) == 1
    pid = proposed.json()["id"]
    by_author = client.post(
        f"/api/v1/eliminations/{pid}/approve", json={}, headers=as_user(client, author)
    )
    assert by_author.status_code == 403 and by_author.json()["code"] == "approval_by_author"
    ok = client.post(
        f"/api/v1/eliminations/{pid}/approve",
        json={"note": "vu"},
        headers=as_user(client, approver),
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = client.post(
        f"/api/v1/eliminations/{pid}/approve", json={}, headers=as_user(client, approver)
    )
    assert again.status_code == 409 and again.json()["code"] == "proposal_not_pending"
    slip = client.get(f"/api/v1/eliminations/{pid}/slip?format=html")
    assert slip.headers["content-type"].startswith("text/html") and "archiviste" in slip.text
    pdf = client.get(f"/api/v1/eliminations/{pid}/slip?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Bordereau d'élimination" in text and "visée" in text
    executed = client.post(f"/api/v1/eliminations/{pid}/execute").json()
    assert executed["eliminated"] == [dossier]
    stone = client.get(f"/api/v1/dossiers/{dossier}/tombstone").json()
    assert (stone["rule_id"], stone["rule_version"], stone["kind"]) == ("AG-08", 1, "eliminated")
    assert client.get("/api/v1/lifecycle/phases").json() == {"eliminated": 1}


def test_the_lifecycle_says_when_a_dossier_becomes_communicable(
    client: TestClient, sqlite_ged: Ged
) -> None:
    client.post("/api/v1/rules/import?format=csv", content=TABLEAU.read_bytes())
    node = client.post("/api/v1/plan", json={"code": "8.3", "label": "Enfance"}).json()["id"]
    for rule in ("SAN-03", "SAN-03-ACC"):
        client.put(
            "/api/v1/bindings", json={"target": "plan_node", "target_id": node, "rule_id": rule}
        )
    dossier = client.post(
        "/api/v1/dossiers",
        json={
            "service_id": sqlite_ged.service.id,
            "title": "Dossier ASE",
            "plan_node_id": node,
            "opened_on": "1990-01-01",
        },
    ).json()["id"]
    url = f"/api/v1/dossiers/{dossier}/lifecycle"
    body = client.get(url).json()
    assert (body["communicable_on"], body["communicability_reason"]) == (
        None,
        "missing_start_date",  # no document yet: nothing to count the 75 years from
    )
    [access] = [r for r in body["rules"] if r["category"] == "AccessRule"]
    assert (access["rule"]["duration"], access["rule"]["start_event"]) == (
        "P75Y",
        "date du document le plus récent",
    )
    assert access["rule"]["alternative_duration"] == "P25Y"
    assert access["rule"]["alternative_start_event"] == "date du décès"
    client.post(
        f"{url.removesuffix('/lifecycle')}/events",
        json={"name": "date du décès", "on": "1999-04-05"},
    )
    body = client.get(url).json()
    assert (body["communicable_on"], body["communicability_reason"]) == ("2024-04-05", None)


@pytest.fixture(scope="module")
def schema_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("schemas") / "installed"
    install(dest, shared_path("official"))
    return dest


def assert_xsd_valid(schema_dir: Path, data: bytes) -> SedaVersion:
    tree = parse_bytes(data)
    version = version_from_namespace(etree.QName(tree.getroot()).namespace)
    schema = official_schema(schema_dir, version)
    assert schema.validate(tree), [e.message for e in log_entries(schema.error_log)]
    return version


def test_seda_elimination_messages_over_http(
    client: TestClient, sqlite_ged: Ged, schema_dir: Path
) -> None:
    ged = sqlite_ged
    client.post("/api/v1/rules/import?format=csv", content=TABLEAU.read_bytes())
    node = filing.create_plan_node(ged.ctx, ged.admin, "AG", "Courrier", None)
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, node.id, "AG-08")
    dossier = filing.create_dossier(
        ged.ctx,
        ged.admin,
        service_id=ged.service.id,
        title="Courrier & factures <2020>",
        plan_node_id=node.id,
        opened_on=date(2020, 1, 1),
    )
    filing.close_dossier(ged.ctx, ged.admin, dossier.id, date(2020, 12, 31))
    author, _ = ged.user("auteur", Role.ARCHIVIST)
    approver, _ = ged.user("archiviste", Role.ARCHIVIST)
    ged.clock.advance(minutes=1)  # the approver's role predates the proposal
    pid = eliminations.propose_eliminations(ged.ctx, author, date(2023, 1, 1)).proposal.id
    base = f"/api/v1/eliminations/{pid}"
    missing = client.get(f"{base}/authorization-request")
    assert missing.status_code == 422  # the control authority is required
    for version in ("2.1", "2.2", "2.3"):
        got = client.get(
            f"{base}/authorization-request",
            params={"version": version, "control_authority": "FRAD033"},
        )
        assert got.status_code == 200 and got.headers["content-type"] == "application/xml"
        assert assert_xsd_valid(schema_dir, got.content) == SedaVersion(version)
        _, request = parse_authorization_request(got.content)
        assert [(u.identifier, u.title) for u in request.units] == [
            (dossier.id, "Courrier & factures <2020>")
        ]
        assert (request.requester, request.control_authority) == ("FR_DF", "FRAD033")
    early = client.get(f"{base}/destruction-notification")
    assert early.status_code == 409 and early.json()["code"] == "proposal_not_executed"
    eliminations.approve_elimination(ged.ctx, approver, pid, "vu")
    approved = client.get(f"{base}/destruction-notification", params={"version": "2.3"})
    assert approved.status_code == 409 and approved.json()["code"] == "proposal_not_executed"
    client.post(f"{base}/execute")
    for version in ("2.1", "2.2", "2.3"):
        notice = client.get(
            f"{base}/destruction-notification",
            params={"version": version, "archival_agency": "FRAD033", "reply_identifier": "R-9"},
        )
        assert notice.status_code == 200, notice.text
        assert assert_xsd_valid(schema_dir, notice.content) == SedaVersion(version)
        _, notification = parse_destruction_notification(notice.content)
        assert [u.identifier for u in notification.units] == [dossier.id]
        assert notification.authorization_reply_identifier == "R-9"
    wrong = client.get(f"{base}/destruction-notification", params={"version": "3.0"})
    assert wrong.status_code == 422
    unknown = client.get("/api/v1/eliminations/nope/destruction-notification")
    assert unknown.status_code == 404 and unknown.json()["code"] == "proposal_not_found"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "instance"
    monkeypatch.setenv("GEDSAE_HOME", str(root))
    monkeypatch.setenv("GEDSAE_EXTRACTION_WORKERS", "1")
    return root


def gedsae(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_cli_rules_holds_lifecycle_and_eliminations(home: Path, tmp_path: Path) -> None:
    gedsae(*INIT)
    bad = tmp_path / "regles.csv"
    bad.write_text(BAD_VITAM, encoding="utf-8")
    out = gedsae("rules", "import", str(bad), code=1)
    assert "(ligne 3)" in out and "(ligne 4)" in out and "negative_duration" in out
    assert "95 créées" in gedsae("rules", "import", str(TABLEAU))
    exported = tmp_path / "export.csv"
    gedsae("rules", "export", "--format", "csv", "--out", str(exported))
    assert "0 créées, 0 révisées, 95 inchangées" in gedsae("rules", "import", str(exported))
    gedsae("services", "create", "Direction des finances", "FR_DF")
    from ged.bootstrap import build_context
    from ged.config import load_settings
    from ged.services import filing

    ctx = build_context(load_settings(home))
    with ctx.uow() as uow:
        org = uow.repo.list_organisations()[0]
        admin = uow.repo.find_principal(org.id, "admin")
        service = uow.repo.find_service(org.id, "FR_DF")
    assert admin is not None and service is not None
    node = filing.create_plan_node(ctx, admin, "AG", "Courrier", None)
    dossier = filing.create_dossier(
        ctx,
        admin,
        service_id=service.id,
        title="Courrier",
        plan_node_id=node.id,
        opened_on=date(2020, 1, 1),
    )
    filing.close_dossier(ctx, admin, dossier.id, date(2020, 12, 31))
    gedsae("rules", "bind", "plan_node", "AG", "AG-08")
    assert "1 changement de phase" in gedsae("lifecycle", "run", "--as-of", "2021-01-01")
    assert "0 changement de phase" in gedsae("lifecycle", "run", "--as-of", "2021-01-01")
    assert "décembre 2022\tdestruction\tDirection des finances\t1 dossier" in gedsae(
        "lifecycle", "forecast", "--months", "24", "--as-of", "2021-01-01"
    )
    hold_id = gedsae("holds", "place", dossier.id, "--reason", "contentieux").strip()
    assert "actif" in gedsae("holds", "list")
    gedsae("eliminations", "propose", code=4)
    gedsae("holds", "lift", hold_id, "--reason", "fin")
    gedsae("tokens", "create", "archiviste", "--role", "archivist")
    proposal = gedsae("eliminations", "propose").strip().splitlines()[0]
    gedsae("eliminations", "approve", proposal, code=6)  # admin is not an archivist
    request = tmp_path / "demande.xml"
    gedsae(
        "eliminations",
        "authorization-request",
        proposal,
        "--version",
        "2.1",
        "--control-authority",
        "FRAD033",
        "--out",
        str(request),
    )
    assert parse_authorization_request(request.read_bytes())[1].requester == "FR_DF"
    notice = tmp_path / "notification.xml"
    early = gedsae("eliminations", "notification", proposal, "--out", str(notice), code=4)
    assert "proposal_not_executed" in early and not notice.exists()
    gedsae("eliminations", "approve", proposal, "--as", "archiviste")
    slip = tmp_path / "bordereau.csv"
    gedsae("eliminations", "slip", proposal, "--out", str(slip))
    assert "AG-08;1;Destruction" in slip.read_text(encoding="utf-8-sig")
    printed = tmp_path / "bordereau.pdf"
    gedsae("eliminations", "slip", proposal, "--format", "pdf", "--out", str(printed))
    assert printed.read_bytes().startswith(b"%PDF-")
    assert "1 dossiers éliminés" in gedsae("eliminations", "execute", proposal)
    gedsae("eliminations", "notification", proposal, "--version", "2.3", "--out", str(notice))
    version, notification = parse_destruction_notification(notice.read_bytes())
    assert (version, [u.identifier for u in notification.units]) == (
        SedaVersion.V2_3,
        [dossier.id],
    )
    assert "éliminé\t1" in gedsae("lifecycle", "phases")
