"""The repository's operation log: receipt, checks and decisions logged in their own
transaction, edits detected."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from kernel.oplog import LogEntry, LogSpec
from kernel.signing import SigningIdentity
from sae.adapters.db import DatabaseNotReady, open_database
from sae.adapters.db.journal import NotInTransaction
from sae.catalogue.search import search_archives
from sae.ingest.checks import run_checks
from sae.ingest.receive import Quarantined, Submitted, receive
from sae.ingest.settings import IngestSettings
from sae.journal.log import log_audit, record, verify
from sae.model import ArchiveQuery, Decision, FileKind, TransferState
from sae.ports import Database
from sae.review import decisions
from sae.storage.audit import audit
from tests.fixtures.sae import TestDatabase
from tests.sae import setup, stored
from tests.sae.test_catalogue import (
    API,
    ARCHIVIST,
    Sae,
    accepted,
    decide,
    make_sip,
    open_sae,
    submit,
)
from tests.sae.test_ingest import (
    AGREEMENTS,
    Repository,
    build_sip,
    manifest_sha256,
    open_repository,
)
from tests.sae.test_ingest import decide as decide_over_http
from tests.sae.test_ingest import make_sip as make_ingest_sip
from tests.sae.test_ingest import submit as send
from tests.sae.test_ingest_checks import identity, pem, signer

DECISIONS = ("transfer.accepted", "transfer.rejected")
INGEST = ("transfer.received", "transfer.checked")


@pytest.fixture
def sae(tmp_path: Path, schema_dir: Path, sae_database: TestDatabase) -> Iterator[Sae]:
    with open_sae(tmp_path, sae_database, schema_dir) as opened:
        yield opened


@pytest.fixture
def db(sae_db: Database) -> Database:
    """A database with the tenant ARCH (whose creation is the first entry of its log)."""
    setup.tenant(sae_db, "ARCH")
    return sae_db


def logged(db: Database, *actions: str) -> list[LogEntry]:
    entries = stored.entries(db)
    return [e for e in entries if not actions or e.action in actions]


def lines_sha256(lines: Iterable[str]) -> str:
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def spec(n: int) -> LogSpec:
    return LogSpec("test", "test.event", "thing", f"T-{n}", "ARCH", {"n": n, "texte": "é"})


def test_accept_and_reject_are_logged_with_who_what_and_why(sae: Sae, tmp_path: Path) -> None:
    one = accepted(sae, tmp_path, "TR-1")
    refused = decide(sae, submit(sae, make_sip(tmp_path, "TR-2"), "TR-2"), "reject", "Incomplet")

    accept_entry, reject_entry = logged(sae.db, *DECISIONS)
    assert (accept_entry.actor, accept_entry.object_id, accept_entry.organisation_id) == (
        "alice",
        one["transfer_id"],
        "ARCH",
    )
    assert accept_entry.details["decision"] == "accept"
    assert accept_entry.details["comment"] == "Conforme"
    assert accept_entry.details["message_identifier"] == "TR-1"
    # Counts and digests, not every identifier (an entry stays small whatever the transfer's
    # size); both are recomputed from what the transfer's record and its objects list.
    pairs = [(a["unit"], a["archive_identifier"]) for a in one["archive_identifiers"]]
    objects = decisions.archived_objects(sae.db, "ARCH", one["transfer_id"])
    assert (accept_entry.details["units"], accept_entry.details["objects"]) == (len(pairs), 2)
    assert accept_entry.details["archive_identifiers_sha256"] == lines_sha256(
        f"{unit}\t{archive}\n" for unit, archive in pairs
    )
    assert accept_entry.details["objects_sha256"] == lines_sha256(
        f"{o.object_id}\t{o.sha256}\n" for o in sorted(objects, key=lambda o: o.object_id)
    )
    assert (reject_entry.object_id, reject_entry.details["decision"]) == (
        refused["transfer_id"],
        "reject",
    )
    assert reject_entry.details["comment"] == "Incomplet"
    assert verify(sae.db, "ARCH").ok


def test_failure_after_the_acceptance_leaves_neither_decision_nor_entry(
    sae: Sae, tmp_path: Path
) -> None:
    transfer_id = submit(sae, make_sip(tmp_path, "TR-3"), "TR-3")
    # Fails once the decision, the catalogue rows and the entry are written, before commit.
    sae.database.fail_inserts("operation_log", action="transfer.accepted")
    db = sae.db
    decision = Decision("alice", "Conforme")

    with pytest.raises(DBAPIError, match="panne injectée"):
        decisions.accept(db, sae.offers, "ARCH", transfer_id, decision)

    transfer = stored.transfer(db, "ARCH", transfer_id)
    assert (transfer.state, transfer.replied, transfer.decided_by) == (
        TransferState.AWAITING_REVIEW,
        False,
        None,
    )
    assert stored.objects(db, "ARCH", transfer_id) == []
    assert search_archives(db, ArchiveQuery("ARCH")).units == []
    assert logged(sae.db, *DECISIONS) == []
    assert transfer.quarantine_path.exists()  # still there for the next attempt

    sae.database.repair("operation_log")
    assert decisions.accept(db, sae.offers, "ARCH", transfer_id, decision).state == "accepted"
    assert [e.action for e in logged(sae.db, *DECISIONS)] == ["transfer.accepted"]


def test_failure_after_the_rejection_leaves_neither_decision_nor_entry(
    sae: Sae, tmp_path: Path
) -> None:
    transfer_id = submit(sae, make_sip(tmp_path, "TR-4"), "TR-4")
    sae.database.fail_inserts("operation_log")
    db = sae.db

    with pytest.raises(DBAPIError, match="panne injectée"):
        decisions.reject(db, "ARCH", transfer_id, Decision("alice", "Non"))

    transfer = stored.transfer(db, "ARCH", transfer_id)
    assert (transfer.state, transfer.replied) == (TransferState.AWAITING_REVIEW, False)
    assert logged(sae.db, *DECISIONS) == []


def test_verify_names_the_edited_entry(sae: Sae, tmp_path: Path) -> None:
    accepted(sae, tmp_path, "TR-5")
    decide(sae, submit(sae, make_sip(tmp_path, "TR-6"), "TR-6"), "reject", "Incomplet")
    (rejection,) = logged(sae.db, "transfer.rejected")
    sae.database.tamper(
        "UPDATE operation_log SET details = replace(details, 'Incomplet', 'Conforme') "
        "WHERE seq = :seq",
        "ARCH",
        seq=rejection.seq,
    )

    report = verify(sae.db, "ARCH")

    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.reason) == (rejection.seq, "edited")
    shown = sae.client.get(f"{API}/log/verify", headers=ARCHIVIST).json()
    assert shown["ok"] is False
    assert shown["log"]["first_break"]["seq"] == rejection.seq
    assert [f["code"] for f in shown["findings"]] == ["log_chain_broken"]


def test_deleted_entry_in_the_middle_is_named(db: Database, sae_database: TestDatabase) -> None:
    written = [record(db, "ARCH", spec(n)) for n in range(1, 5)]
    sae_database.tamper("DELETE FROM operation_log WHERE seq = :seq", "ARCH", seq=written[1].seq)

    report = verify(db, "ARCH")

    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.reason) == (
        written[2].seq,
        "deleted_or_inserted",
    )


def test_entries_round_trip_and_chain(db: Database) -> None:
    (created,) = logged(db)
    written = [record(db, "ARCH", spec(n)) for n in range(1, 4)]

    assert logged(db) == [created, *written]
    assert [e.seq for e in written] == [2, 3, 4]
    assert written[1].prev_hash == written[0].hash
    report = verify(db, "ARCH")
    assert (report.ok, report.entries, report.head) == (True, 4, written[-1].hash)


def test_append_outside_a_writing_transaction_is_refused(db: Database) -> None:
    with db.reading("ARCH") as uow, pytest.raises(NotInTransaction):
        uow.log.append(spec(1))


def test_concurrent_appends_keep_one_chain(db: Database) -> None:
    barrier = threading.Barrier(4)

    def write(worker: int) -> None:
        barrier.wait()
        for n in range(5):
            record(db, "ARCH", spec(worker * 10 + n))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    report = verify(db, "ARCH")
    assert (report.ok, report.entries) == (True, 21)  # and the tenant's creation


def test_audit_findings_and_repairs_are_logged(sae: Sae, tmp_path: Path) -> None:
    one = accepted(sae, tmp_path, "TR-7")
    db = sae.db
    sha256 = stored.objects(db, "ARCH", one["transfer_id"])[0].sha256
    sae.offers.offers[0].delete(sha256)

    entry = log_audit(db, "ARCH", audit(sae.offers.offers, sae.offers.registry))

    assert (entry.action, entry.actor, entry.organisation_id) == (
        "audit.completed",
        "audit",
        "ARCH",
    )
    assert entry.details["counts"]["copy_repaired"] == 1
    assert {(f["code"], f["object_id"]) for f in entry.details["findings"]} == {
        ("copy_missing", sha256),
        ("copy_repaired", sha256),
    }
    assert logged(sae.db)[-1] == entry
    assert verify(sae.db, "ARCH").ok


def test_opening_a_missing_sqlite_database_for_reading_does_not_create_it(tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotReady, match="introuvable"):
        open_database(f"sqlite:///{tmp_path / 'absent.sqlite'}", create=False)
    assert not (tmp_path / "absent.sqlite").exists()


# -- receipt and checks ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def anchor() -> SigningIdentity:
    return identity("GED de la commune")


@pytest.fixture
def repo(
    tmp_path: Path, schema_dir: Path, sae_database: TestDatabase, anchor: SigningIdentity
) -> Iterator[Repository]:
    files = [(FileKind.TRUST_ANCHORS, pem(anchor), "")]
    with open_repository(tmp_path, sae_database, schema_dir, AGREEMENTS, files=files) as repository:
        yield repository


def repository_log(repo: Repository, transfer_id: str) -> list[LogEntry]:
    return [e for e in logged(repo.db) if e.object_id == transfer_id]


def test_receipt_and_checks_are_logged_before_the_acceptance(
    repo: Repository, tmp_path: Path, anchor: SigningIdentity
) -> None:
    sip = build_sip(tmp_path, "TR-10", signer=signer(anchor))
    transfer_id = send(repo, sip, "TR-10").remote_reference
    assert decide_over_http(repo, transfer_id, "accept", "Conforme").status_code == 200

    received, checked, accepted = repository_log(repo, transfer_id)
    assert [e.action for e in (received, checked, accepted)] == [*INGEST, "transfer.accepted"]
    assert received.seq < checked.seq < accepted.seq
    assert (received.actor, received.organisation_id, received.object_type) == (
        "ingest",
        "ARCH",
        "transfer",
    )
    assert received.details == {
        "message_identifier": "TR-10",
        "transferring_agency": "SERVICE-A",
        "package_sha256": hashlib.sha256(sip.read_bytes()).hexdigest(),
        "package_size": sip.stat().st_size,
        "manifest_digest": ":".join(manifest_sha256(sip)),
    }
    subject = anchor.certificate.subject.rfc4514_string()
    assert checked.details == {
        "message_identifier": "TR-10",
        "seda_version": "2.2",
        "checks_passed": True,
        "issues": [],
        "signer": subject,
    }
    assert verify(repo.db, "ARCH").ok


def test_blocking_issues_are_logged_by_code_then_the_rejection(
    repo: Repository, tmp_path: Path
) -> None:
    transfer_id = send(
        repo, make_ingest_sip(tmp_path, "TR-11", tamper=True), "TR-11"
    ).remote_reference
    assert decide_over_http(repo, transfer_id, "reject", "Empreinte fausse").status_code == 200

    received, checked, rejected = repository_log(repo, transfer_id)
    assert [e.action for e in (received, checked, rejected)] == [*INGEST, "transfer.rejected"]
    assert checked.details["checks_passed"] is False
    assert checked.details["signer"] is None
    issues = checked.details["issues"]
    assert any("digest" in i["code"] and i["blocking"] and i["count"] >= 1 for i in issues), issues
    assert issues == sorted(issues, key=lambda i: (i["code"], i["blocking"]))
    assert sorted(rejected.details["issues"]) == sorted(
        {i["code"] for i in issues if i["blocking"]}
    )
    assert verify(repo.db, "ARCH").ok


def test_a_resent_package_is_received_once(repo: Repository, tmp_path: Path) -> None:
    sip = build_sip(tmp_path, "TR-12")
    first = send(repo, sip, "TR-12")
    again = send(repo, sip, "TR-12")

    assert (again.duplicate, again.remote_reference) == (True, first.remote_reference)
    actions = [e.action for e in repository_log(repo, first.remote_reference)]
    assert actions == list(INGEST)


def quarantined(sip: Path) -> Quarantined:
    return Quarantined(sip, hashlib.sha256(sip.read_bytes()).hexdigest(), sip.stat().st_size)


def test_no_transfer_is_received_without_its_entry(
    tmp_path: Path, schema_dir: Path, db: Database, sae_database: TestDatabase
) -> None:
    settings = IngestSettings(tmp_path / "quarantine", schema_dir)
    sae_database.fail_inserts("operation_log")

    with pytest.raises(DBAPIError, match="panne injectée"):
        receive(
            db,
            settings,
            "ARCH",
            Submitted("TR-13", "SERVICE-A"),
            quarantined(build_sip(tmp_path, "TR-13")),
        )

    assert stored.by_message(db, "ARCH", "TR-13") is None


def test_no_checks_are_recorded_without_their_entry(
    tmp_path: Path, schema_dir: Path, db: Database, sae_database: TestDatabase
) -> None:
    setup.agreements(db, AGREEMENTS)
    settings = IngestSettings(tmp_path / "quarantine", schema_dir)
    package = quarantined(build_sip(tmp_path, "TR-14"))
    transfer, new = receive(db, settings, "ARCH", Submitted("TR-14", "SERVICE-A"), package)
    assert new
    sae_database.fail_inserts("operation_log")

    with pytest.raises(DBAPIError, match="panne injectée"):
        run_checks(db, settings, transfer)

    found = stored.transfer(db, "ARCH", transfer.id)
    assert (found.state, found.issues, found.seda_version) == (TransferState.RECEIVED, (), None)
    sae_database.repair("operation_log")
    run_checks(db, settings, transfer)  # what sae.recovery does at the next start
    assert [e.action for e in logged(db, *INGEST)] == list(INGEST)
    assert verify(db, "ARCH").ok
