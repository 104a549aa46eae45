"""The repository answers As@lae's REST services: our own As@lae connector (which does what
Pastell and the CD56 connector do) sends to it unchanged — whole or in chunks, tar.gz or zip,
password plain or as its SHA-256, polling by path or by query — and an archivist decides the
transfer as any other. On both databases."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from connectors.asalae import AsalaeConnector
from connectors.base import Acknowledged, NotReady, Replied, Submission
from sae.ingest.asalae_intake import ABANDONED_AFTER_S, ChunkSessions
from seda.replies import Outcome, parse_reply
from seda.validate import ValidationOptions, validate_path
from tests.fixtures.sae import TestDatabase
from tests.sae import setup
from tests.sae.test_ingest import (
    AGREEMENTS,
    API,
    ARCHIVIST,
    Repository,
    build_sip,
    decide,
    open_repository,
    pending,
)

REST = "/restservices"
SENDER_TOKEN = "ged-token"  # the sender's token in tests.sae.test_ingest.TOKENS, named "ged"


@pytest.fixture
def repo(tmp_path: Path, schema_dir: Path, sae_database: TestDatabase) -> Iterator[Repository]:
    with open_repository(tmp_path, sae_database, schema_dir, AGREEMENTS) as repository:
        setup.tokens(repository.db, {"other-ged-token": ("OTHER", "transferring", "ged")})
        yield repository


def asalae(repo: Repository, **options: Any) -> AsalaeConnector:
    password = options.pop("password", SENDER_TOKEN)
    return AsalaeConnector(
        str(repo.client.base_url), options.pop("username", "ged"), password, repo.client,
        poll_interval=1.0, allow_insecure_http=True, **options,
    )  # fmt: skip


def send(connector: AsalaeConnector, sip: Path, mid: str) -> Submission:
    return connector.submit(
        sip, message_identifier=mid, transferring_agency="SERVICE-A", manifest_digest=None
    )


def checked(repo: Repository, mid: str) -> dict[str, Any]:
    found = pending(repo)[mid]  # TestClient runs the checks before answering the upload
    assert found["checks_passed"], found["issues"]
    return found


def collect(connector: AsalaeConnector, submission: Submission) -> Replied:
    acknowledged = connector.poll(submission)
    assert isinstance(acknowledged, Acknowledged), acknowledged
    submission = replace(submission, acknowledged=True)
    replied = connector.poll(submission)
    assert isinstance(replied, Replied), replied
    return replied


@pytest.mark.parametrize(
    "options",
    [
        {},  # Pastell: SHA-256 password, tar.gz in one request, poll by path
        {"password_form": "plain", "attachments_format": "zip", "poll_style": "query"},  # CD56
        {"chunk_bytes": 700, "chunked_above_bytes": 0},  # Pastell 4.x in chunks
    ],
    ids=["pastell", "cd56", "chunked"],
)
def test_an_asalae_sender_transfers_and_collects_the_archivists_decision(
    repo: Repository, tmp_path: Path, options: dict[str, Any]
) -> None:
    connector = asalae(repo, **options)
    mid = "TR-ASALAE-1"
    submission = send(connector, build_sip(tmp_path, mid), mid)
    assert not submission.duplicate
    transfer = checked(repo, mid)
    # before the decision, As@lae's "not yet" for the reply
    ack = connector.poll(submission)
    assert isinstance(ack, Acknowledged)
    waiting = replace(submission, acknowledged=True)
    assert isinstance(connector.poll(waiting), NotReady)

    decided = decide(repo, transfer["transfer_id"], "accept", "Conforme")
    assert decided.status_code == 200, decided.text
    replied = collect(connector, submission)
    assert replied.outcome.outcome is Outcome.ACCEPTED
    expected = sorted(a["archive_identifier"] for a in decided.json()["archive_identifiers"])
    assert sorted(replied.outcome.archive_identifiers) == expected
    assert replied.outcome.reply_code == "000"


@pytest.mark.parametrize(
    ("verb", "code", "outcome"),
    [("accept", "000", Outcome.ACCEPTED), ("reject", "300", Outcome.REJECTED)],
)
def test_the_reply_in_asalaes_dialect_is_valid_against_the_xsd(
    repo: Repository, tmp_path: Path, verb: str, code: str, outcome: Outcome
) -> None:
    connector = asalae(repo)
    mid = f"TR-ASALAE-{verb}"
    submission = send(connector, build_sip(tmp_path, mid), mid)
    decide(repo, checked(repo, mid)["transfer_id"], verb, "Dates extrêmes absentes")
    replied = collect(connector, submission)
    assert (replied.outcome.outcome, replied.outcome.reply_code) == (outcome, code)
    reply = tmp_path / "reply.xml"
    reply.write_bytes(replied.raw)
    report = validate_path(reply, ValidationOptions(schema_dir=repo.settings.schema_dir))
    assert [(i.code, i.message) for i in report.issues if i.severity.value != "warning"] == []
    parsed = parse_reply(replied.raw)
    # As@lae's identifiers: MessageIdentifier is the transfer's
    assert parsed.dialect == "asalae" and parsed.transfer_identifier == mid


def test_a_resend_is_found_already_received(repo: Repository, tmp_path: Path) -> None:
    connector = asalae(repo)
    mid = "TR-ASALAE-TWICE"
    sip = build_sip(tmp_path, mid)
    send(connector, sip, mid)
    assert send(connector, sip, mid).duplicate
    assert list(pending(repo)) == [mid]


def basic(login: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


def test_credentials_are_those_of_a_tenants_sender(repo: Repository) -> None:
    client = repo.client
    assert client.get(f"{REST}/ping").json() == "pong"
    hashed = hashlib.sha256(SENDER_TOKEN.encode()).hexdigest()
    for password in (SENDER_TOKEN, hashed):
        shown = client.get(f"{REST}/versions", headers=basic("ged", password))
        assert shown.status_code == 200 and shown.json()["organisation"] == "ARCH"
    refused = client.get(f"{REST}/versions", headers=basic("ged", "wrong"))
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Basic")
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert client.get(f"{REST}/versions", headers=basic("alice", SENDER_TOKEN)).status_code == 401
    assert client.get(f"{REST}/versions").status_code == 401
    archivist = client.get(f"{REST}/versions", headers=basic("alice", "archivist-token"))
    assert archivist.status_code == 403


def test_another_tenants_sender_cannot_read_the_messages(repo: Repository, tmp_path: Path) -> None:
    mid = "TR-ASALAE-MINE"
    send(asalae(repo), build_sip(tmp_path, mid), mid)
    path = (
        f"{REST}/sedaMessages/sequence:ArchiveTransfer/message:Acknowledgement/"
        f"originOrganizationIdentification:SERVICE-A/originMessageIdentifier:{mid}"
    )
    assert repo.client.get(path, headers=basic("ged", SENDER_TOKEN)).status_code == 200
    other = repo.client.get(path, headers=basic("ged", "other-ged-token"))
    assert other.status_code == 404 and other.json()["code"] == "transfer_not_found"
    wrong_agency = path.replace("SERVICE-A", "SERVICE-Z")
    assert repo.client.get(wrong_agency, headers=basic("ged", SENDER_TOKEN)).status_code == 404


def test_a_path_encoded_whole_is_understood(repo: Repository, tmp_path: Path) -> None:
    send(asalae(repo), build_sip(tmp_path, "TR-ASALAE-ENC"), "TR-ASALAE-ENC")
    whole = (
        "sequence:ArchiveTransfer/message:Acknowledgement/"
        "originOrganizationIdentification:SERVICE-A/originMessageIdentifier:TR-ASALAE-ENC"
    )
    shown = repo.client.get(
        f"{REST}/sedaMessages/{quote(whole, safe='')}", headers=basic("ged", SENDER_TOKEN)
    )
    assert shown.status_code == 200, shown.text
    assert b"TR-ASALAE-ENC" in shown.content


def hostile_targz(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("../../escape.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    return path


def test_hostile_attachments_are_refused_and_nothing_is_kept(
    repo: Repository, tmp_path: Path
) -> None:
    mid = "TR-ASALAE-HOSTILE"
    sip = build_sip(tmp_path, mid)
    with zipfile.ZipFile(sip) as package:
        bordereau = package.read("manifest.xml")
    sent = repo.client.post(
        f"{REST}/sedaMessages",
        headers=basic("ged", SENDER_TOKEN),
        files={
            "seda_message": ("bordereau.xml", bordereau, "application/xml"),
            "attachments": ("a.tar.gz", hostile_targz(tmp_path).read_bytes(), "application/gzip"),
        },
    )
    assert sent.status_code == 400, sent.text
    assert sent.json()["code"] == "bordereau_refused"
    assert mid not in pending(repo)
    assert list(repo.settings.quarantine_dir.iterdir()) == []


def test_chunks_must_come_in_their_rank_within_their_session(repo: Repository) -> None:
    client, sender = repo.client, basic("ged", SENDER_TOKEN)
    opened = client.post(
        f"{REST}/sedaMessages",
        headers=sender,
        data={"send_chunked_attachments": "true"},
        files={"seda_message": ("bordereau.xml", b"<x/>", "application/xml")},
    ).json()
    fields = {
        "session_identifier": opened["chunk_session_identifier"],
        "security_identifier": opened["chunk_security_identifier"],
        "number_of_chunks": "3",
    }

    def chunk(index: int, **changed: str) -> Any:
        data = {**fields, "chunk_index": str(index), **changed}
        files = {"chunk_content": ("a.00001", b"abc", "application/octet-stream")}
        url = f"{REST}/sedaAttachmentsChunkFiles"
        return client.post(url, headers=sender, data=data, files=files)

    assert chunk(1).status_code == 200
    assert chunk(1).status_code == 200  # a retry of the same rank
    skipped = chunk(3)
    assert skipped.status_code == 409 and skipped.json()["code"] == "chunk_out_of_order"
    assert chunk(2, security_identifier="guess").status_code == 404
    other = client.post(
        f"{REST}/sedaAttachmentsChunkFiles",
        headers=basic("ged", "other-ged-token"),
        data={**fields, "chunk_index": "2"},
        files={"chunk_content": ("a.00002", b"abc", "application/octet-stream")},
    )
    assert other.status_code == 404


def test_abandoned_chunk_sessions_are_swept(tmp_path: Path) -> None:
    sessions = ChunkSessions(tmp_path / "chunks")
    old = sessions.open("ARCH", io.BytesIO(b"<x/>"))
    young = sessions.open("ARCH", io.BytesIO(b"<x/>"))
    state = old.folder / "session.json"
    now = state.stat().st_mtime
    os.utime(state, (now - ABANDONED_AFTER_S - 1, now - ABANDONED_AFTER_S - 1))
    assert sessions.sweep(now) == [old.identifier]
    assert young.folder.is_dir() and not old.folder.exists()


def test_a_seda_1_0_bordereau_is_refused_with_the_versions_taken(
    repo: Repository, tmp_path: Path
) -> None:
    bordereau = (
        b'<?xml version="1.0"?><ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v1.0">'
        b"<TransferIdentifier>T1</TransferIdentifier></ArchiveTransfer>"
    )
    sent = repo.client.post(
        f"{REST}/sedaMessages",
        headers=basic("ged", SENDER_TOKEN),
        files={
            "seda_message": ("bordereau.xml", bordereau, "application/xml"),
            "attachments": ("a.tar.gz", hostile_targz(tmp_path).read_bytes(), "application/gzip"),
        },
    )
    assert sent.status_code == 400
    assert "2.1, 2.2 et 2.3" in sent.json()["detail"]


def test_the_review_api_sees_the_transfer_as_any_other(repo: Repository, tmp_path: Path) -> None:
    mid = "TR-ASALAE-REVIEW"
    send(asalae(repo), build_sip(tmp_path, mid), mid)
    listed = repo.client.get(f"{API}/review/transfers", headers=ARCHIVIST).json()
    assert [t["transferring_agency"] for t in listed if t["message_identifier"] == mid] == [
        "SERVICE-A"
    ]
