"""The transfer carries the lifecycle: dossiers bound to a real tableau de gestion (95 rules, the
records officers' communicability wordings) leave through ``POST /api/v1/transfers``, and the
bordereau the repository receives, read back with ``seda.reader``, carries for each dossier the
rules, start dates and final actions ``GET /api/v1/dossiers/{id}/lifecycle`` shows; it is valid
against the official XSD of SEDA 2.1, 2.2 and 2.3. The repository is the scripted ``sae_http``
remote of the transfer loop's tests."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from connectors.base import Connector
from connectors.sae_http import SaeHttpConnector
from ged.api.app import create_app
from ged.domain.lifecycle import BindingTarget
from ged.domain.model import Metadata, Role
from ged.domain.retention import RetentionRule
from ged.services import documents, filing, lifecycle, processing, rules
from ged.services.agreements import Agreement
from ged.services.transfer_setup import TransferSetup
from kernel.retention import Duration, RuleCategory
from seda import model as m
from seda.reader import read_transfer
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion
from tests.fixtures.ged import Ged
from tests.integration.test_transfer_loop import ScriptedSae

TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"
BLOCKS = {
    "AppraisalRule": "appraisal",
    "AccessRule": "access",
    "DisseminationRule": "dissemination",
    "ReuseRule": "reuse",
}
# plan node code -> rules bound to it, and the dates of the events they count from
PLAN = {
    "contentieux": (("AG-07", "AG-07-ACC"), {"date de la décision définitive": date(1995, 5, 2)}),
    "budgets": (
        ("FIN-01", "FIN-01-ACC", "DIF-01", "REU-01"),
        {"fin de l'exercice": date(1999, 12, 31)},
    ),
    "enfance": (("SAN-03", "SAN-03-ACC"), {}),
    "marches": (("MP-01", "MP-01-ACC"), {"date de réception des travaux": date(1998, 3, 1)}),
    "paie": (("RH-03", "RH-03-ACC"), {"fin de l'exercice": date(1970, 12, 31)}),
    "rapports": (("SAN-06", "SAN-06-ACC"), {"fin de l'exercice": date(2001, 12, 31)}),
    "elections": (
        ("ELE-01", "ELE-01-ACC"),
        {"date de proclamation des résultats": date(2001, 3, 18)},
    ),
}


@dataclass
class Archive:
    client: TestClient
    remote: ScriptedSae
    dossiers: dict[str, str]  # plan code -> dossier id
    spool: Path


def referential(ged: Ged) -> None:
    """The departmental tableau, plus a dissemination and a reuse rule (a tableau has no column
    for them: Vitam's referential does)."""
    rules.import_rules(ged.ctx, ged.admin, io.BytesIO(TABLEAU.read_bytes()), "csv")
    extra = (
        RetentionRule("DIF-01", RuleCategory.DISSEMINATION, "Diffusion", Duration(years=10)),
        RetentionRule("REU-01", RuleCategory.REUSE, "Réutilisation", Duration(years=5)),
    )
    with ged.ctx.uow() as uow:
        for rule in extra:
            uow.lifecycle.add_rule_version(ged.admin.organisation_id, rule, ged.clock(), "test")
        uow.commit()


def filed(ged: Ged, code: str, opened: date, closed: date) -> str:
    """A closed dossier of node ``code`` with one dated document, its events recorded."""
    ctx, admin = ged.ctx, ged.admin
    bound, events = PLAN[code]
    node = filing.create_plan_node(ctx, admin, code, f"Rubrique {code}", None).id
    for rule in bound:
        rules.bind_rule(ctx, admin, BindingTarget.PLAN_NODE, node, rule)
    dossier = filing.create_dossier(
        ctx,
        admin,
        service_id=ged.service.id,
        title=f"Dossier {code}",
        plan_node_id=node,
        opened_on=opened,
    ).id
    meta = Metadata(
        title=f"Pièce {code}", created_on=closed, keywords=["voirie"], document_type="rapport"
    )
    document = documents.file_document(
        ctx, admin, dossier, io.BytesIO(code.encode()), filename="piece.txt", metadata=meta
    )
    processing.process(ctx, document.document.id, 1)
    filing.close_dossier(ctx, admin, dossier, closed)
    for name, on in events.items():
        lifecycle.record_event(ctx, admin, dossier, name, on)
    return dossier


def archive(
    ged: Ged, tmp_path: Path, version: SedaVersion, table: dict[str, str] | None = None
) -> Iterator[Archive]:
    referential(ged)
    dossiers = {
        "contentieux": filed(ged, "contentieux", date(1990, 1, 1), date(1994, 6, 30)),
        "budgets": filed(ged, "budgets", date(1999, 1, 1), date(1999, 12, 31)),
        "enfance": filed(ged, "enfance", date(1935, 1, 1), date(1940, 6, 30)),
        "marches": filed(ged, "marches", date(1996, 1, 1), date(1998, 3, 1)),
        "paie": filed(ged, "paie", date(1970, 1, 1), date(1970, 12, 31)),
        "rapports": filed(ged, "rapports", date(2001, 1, 1), date(2001, 12, 31)),
        "elections": filed(ged, "elections", date(2001, 1, 1), date(2001, 3, 31)),
    }
    lifecycle.record_event(
        ged.ctx, ged.admin, dossiers["enfance"], "date du décès", date(1980, 7, 14)
    )
    lifecycle.run_lifecycle(ged.ctx, ged.admin)
    archivist, _ = ged.user("archiviste", Role.ARCHIVIST)
    for code in ("contentieux", "enfance", "marches"):  # sort final « tri »: decided
        lifecycle.sort_dossier(ged.ctx, archivist, dossiers[code], lifecycle.SortDecision.KEEP)
    remote = ScriptedSae()
    agreement = Agreement(
        name="ad",
        connector="sae",
        seda_version=version,
        archival_agency="FR_AD",
        transferring_agency="FR_DF",
        organisation="Département de test",
        rules=table,
    )

    def connector(name: str) -> Connector:
        return SaeHttpConnector(
            "https://sae.test", "t", httpx.Client(transport=httpx.MockTransport(remote))
        )

    spool = tmp_path / "spool"
    setup = TransferSetup({"ad": agreement}, connector, spool)
    with TestClient(create_app(ged.ctx, setup)) as client:
        client.headers["Authorization"] = f"Bearer {ged.admin_token}"
        yield Archive(client, remote, dossiers, spool)


@pytest.fixture
def seda_2_2(sqlite_ged: Ged, tmp_path: Path) -> Iterator[Archive]:
    yield from archive(sqlite_ged, tmp_path, SedaVersion.V2_2)


def manifest(found: Archive, message_identifier: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(found.remote.received[message_identifier])) as sip:
        return sip.read("manifest.xml")


def units_by_dossier(data: bytes) -> dict[str, m.ArchiveUnit]:
    transfer = read_transfer(lambda: io.BytesIO(data))
    return {unit.content.system_ids[0]: unit for unit in transfer.units}


def expected_final_action(body: dict[str, Any]) -> str:
    """The lifecycle's final action as the repository must apply it: tri resolved."""
    state = body["state"]
    if state["final_action"] == "Sort":
        return {"keep": "Keep", "destroy": "Destroy"}[state["sort_decision"]]
    return str(state["final_action"])


def assert_rules_match_the_lifecycle(
    found: Archive, unit: m.ArchiveUnit, dossier: str, mapped: dict[str, str] | None = None
) -> None:
    body = found.client.get(f"/api/v1/dossiers/{dossier}/lifecycle").json()
    management = unit.management
    assert management is not None
    shown = {}
    for view in body["rules"]:
        block = getattr(management, BLOCKS[view["category"]])
        [rule] = block.rules
        identifier = view["rule"]["identifier"]
        shown[view["category"]] = identifier
        assert rule.rule_id == (mapped or {}).get(identifier, identifier)
        starts_on = view["starts_on"]
        assert rule.start_date == (date.fromisoformat(starts_on) if starts_on else None)
    assert management.appraisal is not None
    assert management.appraisal.final_action == expected_final_action(body)
    present = {name for name, field in BLOCKS.items() if getattr(management, field) is not None}
    assert present == set(shown)  # nothing more than the lifecycle shows
    assert management.hold is None and management.storage is None


@pytest.mark.parametrize("version", list(SedaVersion))
def test_the_bordereau_carries_the_rules_the_lifecycle_shows_valid_in_each_version(
    sqlite_ged: Ged, tmp_path: Path, schema_dir: Path, version: SedaVersion
) -> None:
    for found in archive(sqlite_ged, tmp_path, version):
        sent = found.client.post("/api/v1/transfers", json={"agreement": "ad", "due": True})
        assert sent.status_code == 201, sent.text
        assert sent.json()["left"] == []
        mid = sent.json()["message_identifier"]
        data = manifest(found, mid)
        units = units_by_dossier(data)
        assert set(units) == set(found.dossiers.values())
        for dossier in found.dossiers.values():
            assert_rules_match_the_lifecycle(found, units[dossier], dossier)
        sip = tmp_path / "received.zip"
        sip.write_bytes(found.remote.received[mid])
        report = validate_path(sip, ValidationOptions(schema_dir=schema_dir))
        assert report.valid, [(i.code, i.message) for i in report.issues]


def test_start_dates_come_from_the_dossiers_events(seda_2_2: Archive) -> None:
    found = seda_2_2
    mid = found.client.post("/api/v1/transfers", json={"agreement": "ad", "due": True}).json()[
        "message_identifier"
    ]
    units = units_by_dossier(manifest(found, mid))
    enfance = units[found.dossiers["enfance"]]
    assert enfance.management is not None and enfance.management.appraisal is not None
    assert enfance.management.appraisal.rules[0].start_date == date(1940, 6, 30)  # the closing
    contentieux = units[found.dossiers["contentieux"]].management
    assert contentieux is not None and contentieux.appraisal is not None
    assert contentieux.appraisal.rules[0].start_date == date(1995, 5, 2)  # décision définitive
    assert contentieux.appraisal.final_action == "Keep"  # « tri » decided by the archivist


def test_the_content_describes_the_dossier_its_documents_and_its_history(seda_2_2: Archive) -> None:
    found = seda_2_2
    mid = found.client.post("/api/v1/transfers", json={"agreement": "ad", "due": True}).json()[
        "message_identifier"
    ]
    unit = units_by_dossier(manifest(found, mid))[found.dossiers["enfance"]]
    c = unit.content
    assert (c.description_level, c.titles, c.start_date, c.end_date) == (
        "File",
        ("Dossier enfance",),
        "1935-01-01",
        "1940-06-30",
    )
    [agency] = c.extra  # the reader keeps OriginatingAgency verbatim (seda.content)
    assert agency.name == "OriginatingAgency" and b"<Identifier>FR_DF</Identifier>" in agency.xml
    assert c.keywords == (m.Keyword("Rubrique enfance", "enfance", "function"),)
    kinds = [(e.type_code, e.date_time[:10]) for e in c.events]
    assert kinds == [
        ("opened", "1935-01-01"),
        ("closed", "1940-06-30"),
        ("business_event", "1980-07-14"),
        ("transferred", "2026-01-15"),
    ]
    assert c.events[-1].detail == mid
    [document] = unit.children
    d = document.content
    assert d.description_level == "Item" and d.titles == ("Pièce enfance",)
    assert d.keywords == (
        m.Keyword("voirie", type="subject"),
        m.Keyword("rapport", type="genreform"),
    )
    assert len(d.system_ids) == 1 and d.start_date == "1940-06-30"
    assert document.management is None  # documents inherit their dossier's rules


def test_rules_are_sent_under_the_repositorys_identifiers(sqlite_ged: Ged, tmp_path: Path) -> None:
    codes = sorted({r for bound, _ in PLAN.values() for r in bound})
    table = {code: f"R-{code}" for code in codes}
    for found in archive(sqlite_ged, tmp_path, SedaVersion.V2_3, table):
        mid = found.client.post("/api/v1/transfers", json={"agreement": "ad", "due": True}).json()[
            "message_identifier"
        ]
        units = units_by_dossier(manifest(found, mid))
        for dossier in found.dossiers.values():
            assert_rules_match_the_lifecycle(found, units[dossier], dossier, table)


def test_a_rule_without_mapping_stops_the_transfer_before_anything_is_sent(
    sqlite_ged: Ged, tmp_path: Path
) -> None:
    codes = sorted({r for bound, _ in PLAN.values() for r in bound} - {"SAN-03-ACC"})
    for found in archive(sqlite_ged, tmp_path, SedaVersion.V2_2, {c: c for c in codes}):
        refused = found.client.post("/api/v1/transfers", json={"agreement": "ad", "due": True})
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["code"] == "rule_unmapped" and "SAN-03-ACC" in problem["detail"]
        assert [(i["code"], i["path"]) for i in problem["issues"]] == [
            ("rule_unmapped", "SAN-03-ACC")
        ]
        assert found.remote.posts == 0  # nothing sent
        assert list(found.spool.glob("*.zip*")) == []  # no package left behind
        phases = {
            found.client.get(f"/api/v1/dossiers/{d}/lifecycle").json()["phase"]
            for d in found.dossiers.values()
        }
        assert phases == {"due"}  # the dossiers did not move
