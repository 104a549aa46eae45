"""Elimination in the repository, with the GED's own connector as the producer: the archives
whose DUA is over and final action Destroy are proposed, the authorization request waits in the
mailbox the GED reads, the producer's answer is recorded once, and only an agreed elimination is
carried out on an archivist's visa, a tombstone kept (on SQLite and on PostgreSQL)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from connectors.exchanges import Incoming
from sae.model import ArchivalAgreement, FileKind
from sae.ports import Database
from sae.tenancy.setup import import_file, put_agreement
from seda.elimination import (
    ArchiveDestructionNotification,
    AuthorizationControlAuthorityRequest,
    AuthorizationControlAuthorityRequestReply,
    AuthorizationOriginatingAgencyRequest,
    AuthorizationOriginatingAgencyRequestReply,
    UnitToDestroy,
)
from seda.messages import build_message, parse_message
from seda.model import AppraisalRule, ArchiveTransfer, ArchiveUnit, Management, Rule
from seda.versions import SedaVersion
from tests.fixtures.sae import TestDatabase
from tests.sae.test_deliveries import NOW, SENDER, exchanges, root_id
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

RULES_CSV = """RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement
APP-5,AppraisalRule,Cinq ans,,5,YEAR
APP-50,AppraisalRule,Cinquante ans,,50,YEAR
"""
LETTER = "Courrier au préfet\n".encode()


def destroy_after(rule: str) -> Any:
    def edit(transfer: ArchiveTransfer) -> ArchiveTransfer:
        rules = Management(
            appraisal=AppraisalRule((Rule(rule, date(2015, 1, 1)),), final_action="Destroy")
        )
        metadata = dataclasses.replace(transfer.management_metadata, rules=rules)
        return dataclasses.replace(transfer, management_metadata=metadata)

    return edit


def keep_the_folder(transfer: ArchiveTransfer) -> ArchiveTransfer:
    transfer = destroy_after("APP-5")(transfer)
    [root] = list(transfer.units)
    assert isinstance(root, ArchiveUnit)
    keep = Management(appraisal=AppraisalRule((Rule("APP-5", date(2015, 1, 1)),), "Keep"))
    children = [
        dataclasses.replace(c, management=keep) if c.content.titles == ("dossier",) else c
        for c in root.children
    ]
    return dataclasses.replace(transfer, units=[dataclasses.replace(root, children=children)])


@pytest.fixture
def repo(tmp_path: Path, schema_dir: Path, sae_database: TestDatabase) -> Iterator[Repository]:
    files = [(FileKind.RULES, RULES_CSV.encode(), "")]
    with open_repository(
        tmp_path, sae_database, schema_dir, AGREEMENTS, files=files, clock=lambda: NOW
    ) as repository:
        yield repository


def accepted(repo: Repository, tmp_path: Path, mid: str, edit: Any) -> None:
    sip = build_sip(tmp_path, mid, edit=edit)
    done = decide(repo, submit(repo, sip, mid).remote_reference, "accept")
    assert done.status_code == 200, done.text


def propose(repo: Repository) -> list[dict[str, Any]]:
    response = repo.client.post(f"{API}/eliminations", headers=ARCHIVIST)
    assert response.status_code == 201, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def inbox(repo: Repository) -> list[Incoming]:
    return list(exchanges(repo).mailbox(None).messages)


def answer(repo: Repository, request: AuthorizationOriginatingAgencyRequest, code: str) -> None:
    reply = AuthorizationOriginatingAgencyRequestReply(
        f"REP-{request.message_identifier}", NOW, request.message_identifier, "ARCH",
        "SERVICE-A", code, ("Visa du service producteur",),
    )  # fmt: skip
    data = build_message(SedaVersion.V2_2, reply)
    exchanges(repo).answer_authorization(request.message_identifier, data)


def approve(repo: Repository, elimination_id: str) -> Any:
    return repo.client.post(f"{API}/eliminations/{elimination_id}/approve", headers=ARCHIVIST)


def test_archives_due_for_destruction_are_destroyed_only_with_the_producers_agreement_and_a_visa(
    repo: Repository, tmp_path: Path, schema_dir: Path
) -> None:
    accepted(repo, tmp_path, "TR-1", destroy_after("APP-5"))
    root = root_id(repo)
    [proposed] = propose(repo)
    assert (proposed["unit_identifiers"], proposed["state"]) == ([root], "awaiting_producer")
    assert propose(repo) == []  # proposed once
    [incoming] = inbox(repo)
    assert incoming.message_type == "AuthorizationOriginatingAgencyRequest"
    assert_valid(schema_dir, SedaVersion.V2_2, incoming.raw)
    _, request = parse_message(incoming.raw)
    assert isinstance(request, AuthorizationOriginatingAgencyRequest)
    assert [u.identifier for u in request.units] == [root]
    assert request.originating_agency == "SERVICE-A"

    early = approve(repo, proposed["elimination_id"])
    assert (early.status_code, early.json()["code"]) == (409, "elimination_not_agreed")
    answer(repo, request, "000")
    answer(repo, request, "000")  # the same answer again changes nothing
    done = approve(repo, proposed["elimination_id"])
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["approved_by"]) == ("destroyed", "alice")
    gone = repo.client.get(f"{API}/archives/{root}", headers=ARCHIVIST)
    assert gone.status_code == 404
    sha = hashlib.sha256(LETTER).hexdigest()
    assert [offer.exists(sha) for offer in repo.offers.offers] == [False, False]
    with repo.db.reading("ARCH") as uow:
        tombstone = uow.tombstones.of(root)
    assert tombstone is not None and tombstone.reason == "elimination"
    notice = repo.client.get(
        f"{API}/eliminations/{proposed['elimination_id']}/notification", headers=ARCHIVIST
    )
    assert_valid(schema_dir, SedaVersion.V2_2, notice.content)
    _, read = parse_message(notice.content)
    assert isinstance(read, ArchiveDestructionNotification)
    assert read.authorization_reply_identifier == f"REP-{request.message_identifier}"


def test_a_refusal_is_recorded_once_and_nothing_is_destroyed(
    repo: Repository, tmp_path: Path
) -> None:
    accepted(repo, tmp_path, "TR-1", destroy_after("APP-5"))
    [proposed] = propose(repo)
    _, request = parse_message(inbox(repo)[0].raw)
    assert isinstance(request, AuthorizationOriginatingAgencyRequest)
    stranger = AuthorizationOriginatingAgencyRequestReply(
        "REP-X", NOW, request.message_identifier, "ARCH", "SERVICE-B", "000"
    )
    forged = repo.client.post(
        f"{API}/authorization-replies",
        content=build_message(SedaVersion.V2_2, stranger),
        headers={"Authorization": "Bearer ged-token", "Content-Type": "application/xml"},
    )
    assert (forged.status_code, forged.json()["code"]) == (403, "another_producer")
    answer(repo, request, "300")
    other = AuthorizationOriginatingAgencyRequestReply(
        "REP-2", NOW, request.message_identifier, "ARCH", "SERVICE-A", "000"
    )
    again = repo.client.post(
        f"{API}/authorization-replies",
        content=build_message(SedaVersion.V2_2, other),
        headers={"Authorization": "Bearer ged-token", "Content-Type": "application/xml"},
    )
    assert (again.status_code, again.json()["code"]) == (409, "authorization_already_answered")
    refused = approve(repo, proposed["elimination_id"])
    assert (refused.status_code, refused.json()["code"]) == (409, "elimination_not_agreed")
    assert repo.client.get(f"{API}/archives/{root_id(repo)}", headers=ARCHIVIST).status_code == 200


def test_only_archives_whose_dua_is_over_and_whose_every_part_is_to_destroy_are_proposed(
    repo: Repository, tmp_path: Path
) -> None:
    accepted(repo, tmp_path, "TR-1", destroy_after("APP-50"))  # DUA over in 2065
    assert propose(repo) == []
    accepted(repo, tmp_path, "TR-2", keep_the_folder)
    [proposed] = propose(repo)  # the root holds a folder to keep: only the letter beside it
    found = repo.client.get(f"{API}/archives", params={"q": "courrier"}, headers=ARCHIVIST)
    [letter] = [i["archive_id"] for i in found.json()["items"] if i["message_identifier"] == "TR-2"]
    assert proposed["unit_identifiers"] == [letter]


def proposed_in(client: TestClient, db: Database, tmp_path: Path) -> tuple[str, str]:
    """ARCH given a rules referential and a transfer due for destruction, accepted, then its
    elimination proposed: the elimination's id and its message's id in the mailbox."""
    import_file(db, "ARCH", FileKind.RULES, RULES_CSV.encode(), actor="test")
    sip = build_sip(tmp_path, "TR-E", edit=destroy_after("APP-5"))
    headers = {**SENDER, "Content-Type": "application/zip", "Idempotency-Key": "TR-E",
               "X-Transferring-Agency": "SERVICE-A"}  # fmt: skip
    sent = client.post(f"{API}/transfers", content=sip.read_bytes(), headers=headers)
    transfer = sent.json()["transfer_id"]
    done = client.post(f"{API}/review/transfers/{transfer}/accept", json={}, headers=ARCHIVIST)
    assert done.status_code == 200, done.text
    [made] = client.post(f"{API}/eliminations", headers=ARCHIVIST).json()["items"]
    [message] = client.get(f"{API}/messages", headers=SENDER).json()["messages"]
    return str(made["elimination_id"]), str(message["id"])


@pytest.mark.parametrize("version", list(SedaVersion))
def test_every_message_of_an_elimination_is_in_the_version_of_the_archives_transfer(
    repo: Repository, tmp_path: Path, schema_dir: Path, version: SedaVersion
) -> None:
    every = ArchivalAgreement("ARCH", frozenset({"SERVICE-A"}), frozenset(SedaVersion))
    put_agreement(repo.db, "ARCH", "AGR-ALL", every, actor="test")
    sip = build_sip(
        tmp_path, "TR-1", version=version, agreement="AGR-ALL", edit=destroy_after("APP-5")
    )
    assert decide(repo, submit(repo, sip, "TR-1").remote_reference, "accept").status_code == 200
    [proposed] = propose(repo)
    [incoming] = inbox(repo)
    assert_valid(schema_dir, version, incoming.raw)
    read_version, request = parse_message(incoming.raw)
    assert read_version is version
    assert isinstance(request, AuthorizationOriginatingAgencyRequest)
    reply = AuthorizationOriginatingAgencyRequestReply(
        "REP-1", NOW, request.message_identifier, "ARCH", "SERVICE-A", "000"
    )
    exchanges(repo).answer_authorization(request.message_identifier, build_message(version, reply))
    assert approve(repo, proposed["elimination_id"]).status_code == 200
    notice = repo.client.get(
        f"{API}/eliminations/{proposed['elimination_id']}/notification", headers=ARCHIVIST
    )
    assert_valid(schema_dir, version, notice.content)


def control_answer(repo: Repository, raw: bytes, code: str, authority: str = "FR_AD_35") -> Any:
    _, request = parse_message(raw)
    assert isinstance(request, AuthorizationControlAuthorityRequest)
    reply = AuthorizationControlAuthorityRequestReply(
        f"VISA-{request.message_identifier}", NOW, request.message_identifier, "ARCH",
        authority, code, ("Visa du directeur des Archives départementales",),
    )  # fmt: skip
    return repo.client.post(
        f"{API}/control-authorization-replies",
        content=build_message(SedaVersion.V2_2, reply),
        headers={**ARCHIVIST, "Content-Type": "application/xml"},
    )


@pytest.mark.parametrize("version", [SedaVersion.V2_1, SedaVersion.V2_2, SedaVersion.V2_3])
def test_the_control_authority_request_is_valid_and_read_back(
    schema_dir: Path, version: SedaVersion
) -> None:
    request = AuthorizationControlAuthorityRequest(
        "ELIM-1-CTRL", NOW, "ARCH", "FR_AD_35", "ARCH", "DUA échue", NOW.date(),
        (UnitToDestroy("AU-1", "Registre", None, date(2001, 1, 1), date(2010, 12, 31), "APP-5"),),
    )  # fmt: skip
    data = build_message(version, request)
    assert_valid(schema_dir, version, data)
    assert parse_message(data) == (version, request)


def test_an_elimination_that_needs_the_control_authority_waits_for_its_visa(
    repo: Repository, tmp_path: Path, schema_dir: Path
) -> None:
    accepted(repo, tmp_path, "TR-1", destroy_after("APP-5"))
    made = repo.client.post(
        f"{API}/eliminations", json={"control_authority": "FR_AD_35"}, headers=ARCHIVIST
    )
    [proposed] = made.json()["items"]
    assert proposed["control_authority"] == "FR_AD_35" and proposed["control_granted"] is None
    elimination = proposed["elimination_id"]
    asked = repo.client.get(f"{API}/eliminations/{elimination}/control-request", headers=ARCHIVIST)
    assert asked.status_code == 200
    assert_valid(schema_dir, SedaVersion.V2_2, asked.content)
    _, producer_request = parse_message(inbox(repo)[0].raw)
    assert isinstance(producer_request, AuthorizationOriginatingAgencyRequest)
    answer(repo, producer_request, "000")
    waiting = approve(repo, elimination)
    assert (waiting.status_code, waiting.json()["code"]) == (409, "elimination_not_agreed")
    assert "visa de l'autorité de contrôle" in waiting.json()["detail"]
    stranger = control_answer(repo, asked.content, "000", authority="FR_AD_29")
    assert (stranger.status_code, stranger.json()["code"]) == (403, "another_producer")
    assert control_answer(repo, asked.content, "000").status_code == 202
    done = approve(repo, elimination)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "destroyed" and done.json()["control_granted"] is True


def test_the_control_authoritys_refusal_ends_the_elimination(
    repo: Repository, tmp_path: Path
) -> None:
    accepted(repo, tmp_path, "TR-1", destroy_after("APP-5"))
    made = repo.client.post(
        f"{API}/eliminations", json={"control_authority": "FR_AD_35"}, headers=ARCHIVIST
    )
    [proposed] = made.json()["items"]
    elimination = proposed["elimination_id"]
    asked = repo.client.get(f"{API}/eliminations/{elimination}/control-request", headers=ARCHIVIST)
    assert control_answer(repo, asked.content, "300").status_code == 202
    _, producer_request = parse_message(inbox(repo)[0].raw)
    assert isinstance(producer_request, AuthorizationOriginatingAgencyRequest)
    answer(repo, producer_request, "000")  # the producer's agreement comes too late to matter
    listed = repo.client.get(f"{API}/eliminations", headers=ARCHIVIST).json()["items"]
    assert [e["state"] for e in listed] == ["refused"]
    refused = approve(repo, elimination)
    assert refused.status_code == 409
    assert repo.client.get(f"{API}/archives/{root_id(repo)}", headers=ARCHIVIST).status_code == 200


def test_a_mailbox_cursor_of_digits_int_cannot_read_starts_from_the_beginning(
    repo: Repository,
) -> None:
    """Found by the long fuzz run: ``after=8¹`` passed ``str.isdigit`` and broke ``int`` (500)."""
    answered = repo.client.get(f"{API}/messages", params={"after": "8\u00b9"}, headers=SENDER)
    assert answered.status_code == 200, answered.text
