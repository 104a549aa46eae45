"""The archive catalogue: filled by acceptance, searched and read over HTTP, per organisation.

The helpers here (``open_sae``, ``make_sip``, ``submit``, ``decide``) are shared with
``test_journal`` and ``test_checkpoints``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from sae.journal.checkpoints import Sealing
from sae.model import ArchivalAgreement, ArchiveQuery, UnitRules
from sae.ports import Database
from sae.review import archiving
from sae.storage.offers import StorageOffers
from seda.disk_import import transfer_from_directory
from seda.sip import write_sip
from seda.versions import SedaVersion
from tests.fixtures.sae import TestDatabase
from tests.sae.test_ingest import open_repository

API = "/api/v1/sae"
SENDER = {"Authorization": "Bearer ged-token"}
ARCHIVIST = {"Authorization": "Bearer archivist-token"}
OTHER_ARCHIVIST = {"Authorization": "Bearer other-archivist-token"}
DELIBERATION = "Délibération {id} : vote du budget\n"
COURRIER_XML = """<Content>
  <DescriptionLevel>Item</DescriptionLevel>
  <Title>Courrier au préfet</Title>
  <Description>Demande de subvention pour l'école</Description>
  <OriginatingAgency><Identifier>MAIRIE-ORIG</Identifier></OriginatingAgency>
  <StartDate>2019-06-01</StartDate>
  <EndDate>2021-02-01</EndDate>
</Content>
"""
METADATA_CSV = """File,Title,Description,StartDate,EndDate
.,Fonds du conseil {id},,,
conseil,Séances du conseil municipal,Registre des séances,2020-01-01,2020-12-31
conseil/délibération.txt,Délibération sur l'éclairage public,Vote du budget,2020-03-12,2020-03-12
"""


@dataclass
class Sae:
    client: TestClient
    offers: StorageOffers  # ARCH's view of the offers
    db: Database  # the database the app opened
    database: TestDatabase  # the same, as its owner sees it (to tamper with it)


AGREEMENTS = {
    "AGR-1": ArchivalAgreement("ARCH", frozenset({"SERVICE-A"}), frozenset({SedaVersion.V2_2})),
}


@contextmanager
def open_sae(
    tmp_path: Path, database: TestDatabase, schema_dir: Path, *, sealing: Sealing | None = None
) -> Iterator[Sae]:
    with open_repository(tmp_path, database, schema_dir, AGREEMENTS, sealing=sealing) as repo:
        yield Sae(repo.client, repo.offers, repo.db, database)


def make_sip(tmp_path: Path, message_id: str) -> Path:
    """A fonds, a folder with one deliberation (metadata.csv) and a letter (XML side file)."""
    root = tmp_path / f"tree-{message_id}"
    (root / "conseil").mkdir(parents=True)
    (root / "conseil" / "délibération.txt").write_text(DELIBERATION.format(id=message_id))
    (root / "courrier.txt").write_text("Courrier au préfet\n")
    (root / "courrier.txt.metadata.xml").write_text(COURRIER_XML)
    (root / "metadata.csv").write_text(METADATA_CSV.format(id=message_id))
    built = transfer_from_directory(
        root,
        SedaVersion.V2_2,
        message_identifier=message_id,
        archival_agency="ARCH",
        transferring_agency="SERVICE-A",
        archival_agreement="AGR-1",
    )
    sip = tmp_path / f"{message_id}.zip"
    write_sip(sip, built.transfer, built.members)
    return sip


def submit(sae: Sae, sip: Path, message_id: str) -> str:
    response = sae.client.post(
        f"{API}/transfers",
        content=sip.read_bytes(),
        headers={
            **SENDER,
            "Content-Type": "application/zip",
            "Idempotency-Key": message_id,
            "X-Transferring-Agency": "SERVICE-A",
        },
    )
    assert response.status_code == 202, response.text
    transfer_id: str = response.json()["transfer_id"]
    return transfer_id


def decide(sae: Sae, transfer_id: str, verb: str, comment: str | None = None) -> dict[str, Any]:
    response = sae.client.post(
        f"{API}/review/transfers/{transfer_id}/{verb}", json={"comment": comment}, headers=ARCHIVIST
    )
    assert response.status_code == 200, response.text
    decided: dict[str, Any] = response.json()
    return decided


def accepted(sae: Sae, tmp_path: Path, message_id: str) -> dict[str, Any]:
    return decide(
        sae, submit(sae, make_sip(tmp_path, message_id), message_id), "accept", "Conforme"
    )


def search(sae: Sae, headers: dict[str, str] = ARCHIVIST, **params: Any) -> dict[str, Any]:
    response = sae.client.get(f"{API}/archives", params=params, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def titles(found: dict[str, Any]) -> set[str]:
    return {item["title"] for item in found["items"]}


@pytest.fixture
def sae(tmp_path: Path, schema_dir: Path, sae_database: TestDatabase) -> Iterator[Sae]:
    with open_sae(tmp_path, sae_database, schema_dir) as opened:
        yield opened


@pytest.fixture
def one(sae: Sae, tmp_path: Path) -> dict[str, Any]:
    return accepted(sae, tmp_path, "TR-1")


@pytest.fixture(scope="module")
def kept(
    tmp_path_factory: pytest.TempPathFactory, schema_dir: Path, sae_module_database: TestDatabase
) -> Iterator[tuple[Sae, dict[str, Any]]]:
    """One accepted transfer shared by the tests that only read (an acceptance takes ~0.5 s)."""
    tmp_path = tmp_path_factory.mktemp("kept")
    with open_sae(tmp_path, sae_module_database, schema_dir) as opened:
        yield opened, accepted(opened, tmp_path, "TR-1")


@pytest.fixture
def reader(kept: tuple[Sae, dict[str, Any]]) -> Sae:
    return kept[0]


def archive_of(sae: Sae, title_words: str) -> dict[str, Any]:
    (item,) = search(sae, q=title_words)["items"]
    response = sae.client.get(f"{API}/archives/{item['archive_id']}", headers=ARCHIVIST)
    assert response.status_code == 200
    detail: dict[str, Any] = response.json()
    return detail


def test_acceptance_catalogues_every_unit_with_its_place_and_objects(
    reader: Sae, kept: tuple[Sae, dict[str, Any]]
) -> None:
    one = kept[1]
    given = {a["archive_identifier"]: a["unit"] for a in one["archive_identifiers"]}
    found = search(reader)["items"]
    assert {i["archive_id"]: i["unit_id"] for i in found} == given
    assert {i["transfer_id"] for i in found} == {one["transfer_id"]}
    assert {i["message_identifier"] for i in found} == {"TR-1"}

    fonds = archive_of(reader, "fonds")
    assert (fonds["description_level"], fonds["parent_archive_id"]) == ("Fonds", None)
    assert [c["title"] for c in fonds["children"]] == [
        "Séances du conseil municipal",
        "Courrier au préfet",
    ]
    folder = archive_of(reader, "seances")
    assert (folder["description_level"], folder["parent_archive_id"]) == (
        "RecordGrp",
        fonds["archive_id"],
    )
    assert (folder["start_date"], folder["end_date"]) == ("2020-01-01", "2020-12-31")
    item = archive_of(reader, "eclairage")
    assert item["parent_archive_id"] == folder["archive_id"]
    assert item["description"] == "Vote du budget"
    (obj,) = item["objects"]
    original = DELIBERATION.format(id="TR-1").encode()
    assert (obj["filename"], obj["size"]) == ("délibération.txt", len(original))
    assert (obj["sha256"], obj["sha512"]) == (
        hashlib.sha256(original).hexdigest(),
        hashlib.sha512(original).hexdigest(),
    )
    assert obj["mime_type"] == "text/plain"


def test_units_recorded_by_batches_keep_their_order_parents_and_objects(
    sae: Sae, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One row a batch: a parent's row goes before its children's, its links after them.
    monkeypatch.setattr(archiving, "BATCH_ROWS", 1)
    one = accepted(sae, tmp_path, "TR-B")

    found = search(sae)["items"]
    given = {a["archive_identifier"]: a["unit"] for a in one["archive_identifiers"]}
    assert {i["archive_id"]: i["unit_id"] for i in found} == given
    fonds = archive_of(sae, "fonds")
    assert fonds["parent_archive_id"] is None
    assert [c["title"] for c in fonds["children"]] == [
        "Séances du conseil municipal",
        "Courrier au préfet",
    ]
    item = archive_of(sae, "eclairage")
    assert item["parent_archive_id"] == archive_of(sae, "seances")["archive_id"]
    assert [o["filename"] for o in item["objects"]] == ["délibération.txt"]


def test_originating_agency_is_the_units_own_else_the_packages(reader: Sae) -> None:
    assert titles(search(reader, agency="MAIRIE-ORIG")) == {"Courrier au préfet"}
    assert titles(search(reader, agency="SERVICE-A")) == {
        "Fonds du conseil TR-1",
        "Séances du conseil municipal",
        "Délibération sur l'éclairage public",
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("deliberation eclairage", {"Délibération sur l'éclairage public"}),
        ("DÉLIBÉRATION", {"Délibération sur l'éclairage public"}),
        ("prefet", {"Courrier au préfet"}),
        ("ecole subvention", {"Courrier au préfet"}),  # in the description
        ("séances", {"Séances du conseil municipal"}),
        ("budget", {"Délibération sur l'éclairage public"}),
        ("inexistant", set()),
    ],
)
def test_full_text_folds_accents_and_case(reader: Sae, q: str, expected: set[str]) -> None:
    assert titles(search(reader, q=q)) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"level": "Item"}, {"Délibération sur l'éclairage public", "Courrier au préfet"}),
        ({"from": "2021-01-01"}, {"Courrier au préfet"}),
        ({"to": "2019-12-31"}, {"Courrier au préfet"}),
        (
            {"from": "2020-03-01", "to": "2020-03-31"},
            {
                "Séances du conseil municipal",
                "Délibération sur l'éclairage public",
                "Courrier au préfet",
            },
        ),
        ({"from": "2020-06-01", "level": "Item"}, {"Courrier au préfet"}),
        ({"q": "conseil", "level": "RecordGrp"}, {"Séances du conseil municipal"}),
    ],
)
def test_filters_by_level_and_overlapping_dates(
    reader: Sae, params: dict[str, str], expected: set[str]
) -> None:
    assert titles(search(reader, **params)) == expected


def test_filter_by_transfer_and_pagination(sae: Sae, one: dict[str, Any], tmp_path: Path) -> None:
    two = accepted(sae, tmp_path, "TR-2")
    assert titles(search(sae, level="Fonds")) == {"Fonds du conseil TR-1", "Fonds du conseil TR-2"}
    assert titles(search(sae, level="Fonds", transfer=two["transfer_id"])) == {
        "Fonds du conseil TR-2"
    }
    pages = [search(sae, q="conseil", page=n, page_size=3) for n in (1, 2)]
    assert [p["next_page"] for p in pages] == [2, None]
    ids = [i["archive_id"] for p in pages for i in p["items"]]
    # Each transfer: the fonds and the folder match "conseil".
    assert len(ids) == len(set(ids)) == 4


def test_page_size_is_bounded(reader: Sae) -> None:
    response = reader.client.get(f"{API}/archives", params={"page_size": 1000}, headers=ARCHIVIST)
    assert (response.status_code, response.json()["code"]) == (422, "invalid_request")


def test_object_content_is_served_verified_with_its_name_and_digest(reader: Sae) -> None:
    item = archive_of(reader, "eclairage")
    (obj,) = item["objects"]
    response = reader.client.get(
        f"{API}/archives/{item['archive_id']}/objects/{obj['object_id']}", headers=SENDER
    )
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == obj["sha256"]
    assert response.content == DELIBERATION.format(id="TR-1").encode()
    assert response.headers["ETag"] == f'"{obj["sha256"]}"'
    assert response.headers["Content-Length"] == str(obj["size"])
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="deliberation.txt"')
    assert f"filename*=UTF-8''{quote('délibération.txt')}" in disposition


def test_object_not_referenced_by_the_unit_is_not_found(reader: Sae) -> None:
    item = archive_of(reader, "eclairage")
    letter = archive_of(reader, "prefet")
    other_object = letter["objects"][0]["object_id"]
    response = reader.client.get(
        f"{API}/archives/{item['archive_id']}/objects/{other_object}", headers=ARCHIVIST
    )
    assert (response.status_code, response.json()["code"]) == (404, "archive_object_not_found")


def test_another_organisation_never_sees_the_archives(reader: Sae) -> None:
    item = archive_of(reader, "eclairage")
    object_id = item["objects"][0]["object_id"]
    assert search(reader, OTHER_ARCHIVIST)["items"] == []
    assert search(reader, OTHER_ARCHIVIST, q="eclairage")["items"] == []
    for path in (
        f"{API}/archives/{item['archive_id']}",
        f"{API}/archives/{item['archive_id']}/objects/{object_id}",
    ):
        response = reader.client.get(path, headers=OTHER_ARCHIVIST)
        assert (response.status_code, response.json()["code"]) == (404, "archive_not_found")


def test_quarantined_object_is_a_conflict(sae: Sae, one: dict[str, Any]) -> None:
    item = archive_of(sae, "eclairage")
    obj = item["objects"][0]
    sae.offers.registry.quarantine(obj["sha256"], "aucune copie conforme (test)")
    response = sae.client.get(
        f"{API}/archives/{item['archive_id']}/objects/{obj['object_id']}", headers=ARCHIVIST
    )
    assert (response.status_code, response.json()["code"]) == (409, "object_quarantined")
    assert "Retry-After" not in response.headers


def test_rejected_transfer_adds_nothing_to_the_catalogue(sae: Sae, tmp_path: Path) -> None:
    decide(sae, submit(sae, make_sip(tmp_path, "TR-R"), "TR-R"), "reject", "Incomplet")
    assert search(sae)["items"] == []


def test_reading_needs_a_token_and_log_verification_an_archivist(reader: Sae) -> None:
    assert reader.client.get(f"{API}/archives").status_code == 401
    assert search(reader, SENDER)["items"]
    assert reader.client.get(f"{API}/log/verify", headers=SENDER).status_code == 403
    assert reader.client.get(f"{API}/log/verify", headers=ARCHIVIST).json()["ok"] is True


def test_units_catalogued_before_their_rules_were_kept_read_without_them(
    sae: Sae, one: dict[str, Any]
) -> None:
    assert sae.database.tamper("UPDATE catalogue_units SET rules = NULL", "ARCH") > 0
    with sae.db.reading("ARCH") as uow:
        found = uow.catalogue.search(ArchiveQuery("ARCH", "eclairage"))
    assert [u.rules for u in found.units] == [UnitRules()]
