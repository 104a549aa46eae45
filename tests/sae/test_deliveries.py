"""Communication on the repository's side of docs/exchanges.md, driven through the GED's own
connector (``connectors.sae_http_exchanges``): a unit communicable is delivered with a DIP whose
every digest the GED verifies; a unit whose access delay is not over is refused, then delivered
under an archivist's derogation; every communication and download is in the access register's
CSV (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from connectors.exchanges import ExchangeKind, ExchangeReply, Exchanges, exchanges_of
from sae.model import FileKind
from seda.communication import ArchiveDeliveryRequest, ArchiveDeliveryRequestReply
from seda.messages import build_message, parse_message
from seda.model import AccessRule, ArchiveTransfer, ArchiveUnit, Management, Rule
from seda.versions import SedaVersion
from tests.fixtures.sae import TestDatabase
from tests.sae.test_ingest import (
    AGREEMENTS,
    API,
    ARCHIVIST,
    Repository,
    build_sip,
    decide,
    open_repository,
    submit,
)
from tests.seda.test_destruction import assert_valid

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SENDER = {"Authorization": "Bearer ged-token"}
RULES_CSV = """RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement
ACC-LIBRE,AccessRule,Communicable immédiatement,,0,YEAR
ACC-50,AccessRule,Cinquante ans,,50,YEAR
"""


def with_access_rules(transfer: ArchiveTransfer) -> ArchiveTransfer:
    """Every unit communicable at once (the bordereau's rule) but the letter: fifty years from
    its date (2071-02-01)."""
    free = Management(access=AccessRule((Rule("ACC-LIBRE", date(2020, 1, 1)),)))
    closed = Management(access=AccessRule((Rule("ACC-50", date(2021, 2, 1)),)))
    metadata = dataclasses.replace(transfer.management_metadata, rules=free)
    [root] = list(transfer.units)
    assert isinstance(root, ArchiveUnit)
    children = [
        dataclasses.replace(c, management=closed) if c.content.titles == ("courrier.txt",) else c
        for c in root.children
    ]
    units = [dataclasses.replace(root, children=tuple(children))]
    return dataclasses.replace(transfer, management_metadata=metadata, units=units)


@pytest.fixture
def repo(tmp_path: Path, schema_dir: Path, sae_database: TestDatabase) -> Iterator[Repository]:
    files = [(FileKind.RULES, RULES_CSV.encode(), "")]
    with open_repository(
        tmp_path, sae_database, schema_dir, AGREEMENTS, files=files, clock=lambda: NOW
    ) as repository:
        sip = build_sip(tmp_path, "TR-1", edit=with_access_rules)
        accepted = decide(repository, submit(repository, sip, "TR-1").remote_reference, "accept")
        assert accepted.status_code == 200, accepted.text
        yield repository


def archive_id(repo: Repository, title: str) -> str:
    found = repo.client.get(f"{API}/archives", params={"q": title}, headers=ARCHIVIST).json()
    (item,) = [i for i in found["items"] if i["title"] == title]
    return str(item["archive_id"])


def root_id(repo: Repository) -> str:
    found = repo.client.get(f"{API}/archives", headers=ARCHIVIST).json()
    (item,) = [i for i in found["items"] if i["parent_archive_id"] is None]
    return str(item["archive_id"])


def exchanges(repo: Repository) -> Exchanges:
    found = exchanges_of(repo.connector)
    assert found is not None
    return found


def request(
    repo: Repository,
    mid: str,
    *units: str,
    version: SedaVersion = SedaVersion.V2_2,
    requester: str = "SERVICE-A",
) -> ExchangeReply:
    message = ArchiveDeliveryRequest(mid, NOW, "ARCH", requester, units, archival_agreement="AGR-1")
    exchanges(repo).request(ExchangeKind.DELIVERY, mid, build_message(version, message))
    reply = exchanges(repo).reply(ExchangeKind.DELIVERY, mid)
    assert isinstance(reply, ExchangeReply), reply
    return reply


def delivered(client: TestClient, archive: str, mid: str = "COM-1") -> str:
    """A delivery of ``archive`` asked by ARCH's GED for SERVICE-A; its MessageIdentifier."""
    message = ArchiveDeliveryRequest(mid, NOW, "ARCH", "SERVICE-A", (archive,))
    response = client.post(
        f"{API}/deliveries",
        content=build_message(SedaVersion.V2_2, message),
        headers={**SENDER, "Content-Type": "application/xml", "Idempotency-Key": mid},
    )
    assert response.status_code == 202, response.text
    return mid


def derogated(client: TestClient, archive: str) -> str:
    """A derogation on ``archive`` for SERVICE-A (until a day no test will reach); its id."""
    body = {"requester": "SERVICE-A", "reason": "Recherche", "until": "2999-12-31"}
    given = client.post(f"{API}/archives/{archive}/derogations", json=body, headers=ARCHIVIST)
    assert given.status_code == 201, given.text
    return str(given.json()["derogation_id"])


def derogation(repo: Repository, archive: str, **body: Any) -> Any:
    given = {"requester": "SERVICE-A", "reason": "Recherche généalogique", "until": "2026-12-31"}
    return repo.client.post(
        f"{API}/archives/{archive}/derogations", json={**given, **body}, headers=ARCHIVIST
    )


def register(repo: Repository) -> list[dict[str, str]]:
    response = repo.client.get(f"{API}/access-register.csv", headers=ARCHIVIST)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_a_communicable_unit_is_delivered_with_a_dip_whose_every_digest_the_ged_verifies(
    repo: Repository, tmp_path: Path
) -> None:
    folder = archive_id(repo, "dossier")
    reply = request(repo, "COM-1", folder)
    assert reply.granted, reply.message.comments
    dip = tmp_path / "recu" / "COM-1.zip"
    verified = exchanges(repo).fetch_package(ExchangeKind.DELIVERY, "COM-1", dip)
    assert verified.request_identifier == "COM-1"
    with zipfile.ZipFile(dip) as archive:
        contents = [archive.read(n) for n in archive.namelist() if n != "manifest.xml"]
    assert contents == ["Délibération TR-1\n".encode()]
    assert reply.raw == dip_manifest(dip)
    line, below = register(repo)  # the folder, then the deliberation in it
    assert below["Archive"] == archive_id(repo, "deliberation.txt")
    assert (line["Nature"], line["Archive"], line["Demandeur"]) == (
        "communication",
        folder,
        "SERVICE-A",
    )
    assert line["Fondement"] == "librement communicable"
    assert (line["Règle de communicabilité"], line["Demande de communication"]) == (
        "ACC-LIBRE",
        "COM-1",
    )


def dip_manifest(dip: Path) -> bytes:
    with zipfile.ZipFile(dip) as archive:
        return archive.read("manifest.xml")


def test_a_unit_not_yet_communicable_is_refused_then_delivered_under_a_derogation(
    repo: Repository, tmp_path: Path
) -> None:
    root, letter = root_id(repo), archive_id(repo, "courrier.txt")
    refused = request(repo, "COM-1", root)
    assert not refused.granted
    [reason] = refused.message.comments
    assert reason == (
        f"Archive {letter} « courrier.txt » : communicable à partir du 1er février 2071 "
        "(règle ACC-50), sans dérogation"
    )
    dip = repo.client.get(f"{API}/deliveries/COM-1/dip", headers=SENDER)
    assert (dip.status_code, dip.json()["code"]) == (409, "delivery_refused")
    assert register(repo) == []

    given = derogation(repo, letter)
    assert given.status_code == 201, given.text
    granted = request(repo, "COM-2", root)
    assert granted.granted, granted.message.comments
    out = tmp_path / "COM-2.zip"
    exchanges(repo).fetch_package(ExchangeKind.DELIVERY, "COM-2", out)
    with zipfile.ZipFile(out) as archive:
        assert len(archive.namelist()) == 3  # the reply, the deliberation and the letter
    lines = {line["Archive"]: line for line in register(repo)}
    assert len(lines) == 4  # the fonds, the folder, the deliberation, the letter
    assert lines[letter]["Fondement"] == "dérogation"
    assert lines[letter]["Dérogation"] == given.json()["derogation_id"]


def test_a_derogation_given_to_another_requester_or_withdrawn_opens_nothing(
    repo: Repository,
) -> None:
    letter = archive_id(repo, "courrier.txt")
    other = derogation(repo, letter, requester="SERVICE-B").json()
    assert not request(repo, "COM-1", letter).granted
    mine = derogation(repo, letter).json()
    withdrawn = repo.client.post(
        f"{API}/derogations/{mine['derogation_id']}/revoke", headers=ARCHIVIST
    )
    assert withdrawn.json()["revoked_at"] == NOW.isoformat()
    assert not request(repo, "COM-2", letter).granted
    listed = repo.client.get(f"{API}/derogations", headers=ARCHIVIST).json()["items"]
    assert {d["derogation_id"] for d in listed} == {other["derogation_id"], mine["derogation_id"]}


def test_a_derogation_lists_every_missing_or_past_field(repo: Repository) -> None:
    letter = archive_id(repo, "courrier.txt")
    refused = derogation(repo, letter, requester=" ", reason=None, until="2026-03-01")
    assert (refused.status_code, refused.json()["code"]) == (422, "derogation_invalid")
    codes = {i["code"] for i in refused.json()["issues"]}
    assert codes == {"requester_missing", "reason_missing", "until_past"}
    missing = derogation(repo, "AU-inconnue")
    assert (missing.status_code, missing.json()["code"]) == (404, "archive_not_found")


def test_the_same_request_again_gets_the_same_reply_and_another_under_its_identifier_conflicts(
    repo: Repository,
) -> None:
    folder, letter = archive_id(repo, "dossier"), archive_id(repo, "courrier.txt")
    body = build_message(
        SedaVersion.V2_2, ArchiveDeliveryRequest("COM-1", NOW, "ARCH", "SERVICE-A", (folder,))
    )
    headers = {**SENDER, "Content-Type": "application/xml", "Idempotency-Key": "COM-1"}
    first = repo.client.post(f"{API}/deliveries", content=body, headers=headers)
    again = repo.client.post(f"{API}/deliveries", content=body, headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json() == again.json()
    other = build_message(
        SedaVersion.V2_2, ArchiveDeliveryRequest("COM-1", NOW, "ARCH", "SERVICE-A", (letter,))
    )
    conflict = repo.client.post(f"{API}/deliveries", content=other, headers=headers)
    assert (conflict.status_code, conflict.json()["code"]) == (409, "idempotency_conflict")
    assert len(register(repo)) == 2  # the folder and its deliberation, once


def test_a_request_of_an_agency_no_agreement_names_or_not_seda_is_refused(
    repo: Repository,
) -> None:
    stranger = build_message(
        SedaVersion.V2_2, ArchiveDeliveryRequest("COM-9", NOW, "ARCH", "INCONNU", ("AU-1",))
    )
    headers = {**SENDER, "Content-Type": "application/xml", "Idempotency-Key": "COM-9"}
    refused = repo.client.post(f"{API}/deliveries", content=stranger, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "agency_not_allowed")
    garbage = repo.client.post(f"{API}/deliveries", content=b"<pas-seda/>", headers=headers)
    assert (garbage.status_code, garbage.json()["code"]) == (422, "exchange_message_invalid")
    unknown = repo.client.get(f"{API}/deliveries/COM-9/reply", headers=SENDER)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "delivery_not_found")


@pytest.mark.parametrize("version", list(SedaVersion))
def test_the_reply_is_valid_against_the_xsd_of_the_requests_version_and_reads_back(
    repo: Repository, schema_dir: Path, version: SedaVersion
) -> None:
    folder, letter = archive_id(repo, "dossier"), archive_id(repo, "courrier.txt")
    for mid, unit in ((f"OK-{version.value}", folder), (f"NO-{version.value}", letter)):
        reply = request(repo, mid, unit, version=version)
        assert_valid(schema_dir, version, reply.raw)
        read_version, message = parse_message(reply.raw)
        assert read_version is version
        assert isinstance(message, ArchiveDeliveryRequestReply)
        assert (message.request_identifier, message.unit_identifiers) == (mid, (unit,))


def test_every_download_of_an_object_is_in_the_access_register(repo: Repository) -> None:
    letter = archive_id(repo, "courrier.txt")
    detail = repo.client.get(f"{API}/archives/{letter}", headers=ARCHIVIST).json()
    object_id = detail["objects"][0]["object_id"]
    got = repo.client.get(f"{API}/archives/{letter}/objects/{object_id}", headers=SENDER)
    assert got.status_code == 200
    [line] = register(repo)
    assert (line["Nature"], line["Objet"], line["Agent"], line["Demandeur"]) == (
        "téléchargement",
        object_id,
        "ged",
        "service versant",
    )
    assert next(iter(line)) == "Date et heure (UTC)"
    assert line["Date et heure (UTC)"] == "2026-03-02T09:00:00+00:00"
