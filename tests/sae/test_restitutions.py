"""Restitution on the repository's side of docs/exchanges.md, driven through the GED's own
connector: the package is given and verified by the GED; nothing is deleted before the
producer's acknowledgement of the reply, then the archives leave the catalogue, the registry and
the offers, a tombstone kept of each (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from connectors.exchanges import ExchangeKind, ExchangeReply
from sae.model import ArchivalAgreement
from sae.tenancy.setup import put_agreement
from seda.acknowledgement import Acknowledgement
from seda.messages import build_message, parse_message
from seda.restitution import ArchiveRestitutionRequest, ArchiveRestitutionRequestReply
from seda.versions import SedaVersion
from tests.fixtures.sae import TestDatabase
from tests.sae.test_deliveries import NOW, SENDER, archive_id, delivered, exchanges
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

LETTER = "Courrier au préfet\n".encode()


@pytest.fixture
def repo(tmp_path: Path, schema_dir: Path, sae_database: TestDatabase) -> Iterator[Repository]:
    with open_repository(
        tmp_path, sae_database, schema_dir, AGREEMENTS, clock=lambda: NOW
    ) as repository:
        sip = build_sip(tmp_path, "TR-1")
        accepted = decide(repository, submit(repository, sip, "TR-1").remote_reference, "accept")
        assert accepted.status_code == 200, accepted.text
        yield repository


def ask_back(repo: Repository, mid: str, *units: str) -> ExchangeReply:
    message = ArchiveRestitutionRequest(mid, NOW, "ARCH", "SERVICE-A", units)
    exchanges(repo).request(ExchangeKind.RESTITUTION, mid, build_message(SedaVersion.V2_2, message))
    reply = exchanges(repo).reply(ExchangeKind.RESTITUTION, mid)
    assert isinstance(reply, ExchangeReply), reply
    return reply


def receipt(received: str, sender: str = "SERVICE-A") -> bytes:
    ack = Acknowledgement("ACK-1", NOW, received, sender, "ARCH")
    return build_message(SedaVersion.V2_2, ack)


def copies(repo: Repository, content: bytes) -> list[bool]:
    sha = hashlib.sha256(content).hexdigest()
    return [offer.exists(sha) for offer in repo.offers.offers]


def test_restituted_archives_are_deleted_only_once_the_producer_acknowledges_the_reply(
    repo: Repository, tmp_path: Path
) -> None:
    letter = archive_id(repo, "courrier.txt")
    reply = ask_back(repo, "RES-1", letter)
    assert reply.granted, reply.message.comments
    package = tmp_path / "RES-1.zip"
    exchanges(repo).fetch_package(ExchangeKind.RESTITUTION, "RES-1", package)  # verified
    assert repo.client.get(f"{API}/archives/{letter}", headers=ARCHIVIST).status_code == 200
    assert copies(repo, LETTER) == [True, True]  # nothing deleted before the receipt

    wrong = repo.client.post(
        f"{API}/restitutions/RES-1/receipt", content=receipt("REP-autre"), headers=SENDER
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "receipt_mismatch")
    assert copies(repo, LETTER) == [True, True]

    acknowledged = receipt(reply.message.message_identifier)
    exchanges(repo).acknowledge(ExchangeKind.RESTITUTION, "RES-1", acknowledged)
    gone = repo.client.get(f"{API}/archives/{letter}", headers=ARCHIVIST)
    assert (gone.status_code, gone.json()["code"]) == (404, "archive_not_found")
    assert copies(repo, LETTER) == [False, False]
    assert repo.offers.registry.find(hashlib.sha256(LETTER).hexdigest()) is None
    with repo.db.reading("ARCH") as uow:
        tombstone = uow.tombstones.of(letter)
    assert tombstone is not None
    assert (tombstone.title, tombstone.reason, tombstone.message_identifier) == (
        "courrier.txt",
        "restitution",
        "RES-1",
    )
    assert tombstone.objects == (hashlib.sha256(LETTER).hexdigest(),)
    again = repo.client.post(
        f"{API}/restitutions/RES-1/receipt", content=acknowledged, headers=SENDER
    )
    assert again.json() == {"status": "acknowledged"}  # a repeated receipt changes nothing
    folder = repo.client.get(f"{API}/archives/{archive_id(repo, 'dossier')}", headers=ARCHIVIST)
    assert folder.status_code == 200  # what was not restituted stays


def test_a_restitution_of_an_unknown_archive_is_refused_and_has_no_package(
    repo: Repository,
) -> None:
    reply = ask_back(repo, "RES-9", "AU-inconnue")
    assert not reply.granted
    assert reply.message.comments == ("Archive AU-inconnue introuvable",)
    package = repo.client.get(f"{API}/restitutions/RES-9/package", headers=SENDER)
    assert (package.status_code, package.json()["code"]) == (409, "restitution_refused")
    unknown = repo.client.get(f"{API}/restitutions/RES-0/reply", headers=SENDER)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "restitution_not_found")


def restituted(client: TestClient, archive: str, mid: str = "COM-1", *, ack: bool = True) -> str:
    """A restitution of ``archive`` to SERVICE-A, acknowledged unless ``ack`` is False; its
    MessageIdentifier."""
    message = ArchiveRestitutionRequest(mid, NOW, "ARCH", "SERVICE-A", (archive,))
    headers = {**SENDER, "Content-Type": "application/xml", "Idempotency-Key": mid}
    body = build_message(SedaVersion.V2_2, message)
    assert client.post(f"{API}/restitutions", content=body, headers=headers).status_code == 202
    reply = client.get(f"{API}/restitutions/{mid}/reply", headers=SENDER)
    _, read = parse_message(reply.content)
    assert isinstance(read, ArchiveRestitutionRequestReply) and read.reply_code == "000"
    if ack:
        done = client.post(
            f"{API}/restitutions/{mid}/receipt",
            content=receipt(read.message_identifier),
            headers=headers,
        )
        assert done.status_code == 200, done.text
    return mid


@pytest.mark.parametrize("version", list(SedaVersion))
def test_the_reply_is_valid_against_the_xsd_of_the_requests_version(
    repo: Repository, schema_dir: Path, version: SedaVersion
) -> None:
    cases = ((f"OK-{version.value}", archive_id(repo, "dossier")), (f"NO-{version.value}", "AU-0"))
    for mid, unit in cases:
        message = ArchiveRestitutionRequest(mid, NOW, "ARCH", "SERVICE-A", (unit,))
        exchanges(repo).request(ExchangeKind.RESTITUTION, mid, build_message(version, message))
        reply = exchanges(repo).reply(ExchangeKind.RESTITUTION, mid)
        assert isinstance(reply, ExchangeReply)
        assert_valid(schema_dir, version, reply.raw)


def test_another_producers_archives_are_not_restituted(repo: Repository) -> None:
    letter = archive_id(repo, "courrier.txt")
    message = ArchiveRestitutionRequest("RES-B", NOW, "ARCH", "SERVICE-B", (letter,))
    headers = {**SENDER, "Content-Type": "application/xml", "Idempotency-Key": "RES-B"}
    body = build_message(SedaVersion.V2_2, message)
    unknown = repo.client.post(f"{API}/restitutions", content=body, headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (403, "agency_not_allowed")
    other = ArchivalAgreement("ARCH", frozenset({"SERVICE-B"}), frozenset({SedaVersion.V2_2}))
    put_agreement(repo.db, "ARCH", "AGR-B", other, actor="test")
    assert repo.client.post(f"{API}/restitutions", content=body, headers=headers).status_code == 202
    reply = exchanges(repo).reply(ExchangeKind.RESTITUTION, "RES-B")
    assert isinstance(reply, ExchangeReply) and not reply.granted
    assert reply.message.comments == (f"Archive {letter} versée par SERVICE-A, pas par SERVICE-B",)


def test_an_object_another_archive_holds_stays_when_one_is_restituted(
    repo: Repository, tmp_path: Path
) -> None:
    sip = build_sip(tmp_path, "TR-2")  # the same letter, transferred again
    assert decide(repo, submit(repo, sip, "TR-2").remote_reference, "accept").status_code == 200
    found = repo.client.get(f"{API}/archives", params={"q": "courrier"}, headers=ARCHIVIST)
    first, second = [i["archive_id"] for i in found.json()["items"]]
    restituted(repo.client, first, "RES-1")
    assert copies(repo, LETTER) == [True, True]
    kept = repo.client.get(f"{API}/archives/{second}", headers=ARCHIVIST).json()
    got = repo.client.get(
        f"{API}/archives/{second}/objects/{kept['objects'][0]['object_id']}", headers=ARCHIVIST
    )
    assert got.content == LETTER


def test_no_package_outlives_the_archives_it_holds(repo: Repository) -> None:
    letter = archive_id(repo, "courrier.txt")
    delivered(repo.client, letter, "COM-1")
    dip = repo.client.get(f"{API}/deliveries/COM-1/dip", headers=SENDER)
    assert dip.status_code == 200
    restituted(repo.client, letter, "RES-1")
    built = repo.opened.config.dips_dir / "ARCH"
    assert list(built.glob("*.zip")) == []  # the DIP and the restitution's package
    again = repo.client.get(f"{API}/deliveries/COM-1/dip", headers=SENDER)
    assert (again.status_code, again.json()["code"]) == (409, "archives_deleted")
