"""The repository's operation log: receipt, checks and decisions logged in their own
transaction, edits detected."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from kernel.oplog import LogEntry, LogSpec
from kernel.signing import SigningIdentity
from sae.adapters.sqlite import SqliteDatabase
from sae.adapters.sqlite.journal import NotInTransaction, SqliteOperationLog
from sae.catalogue.search import search_archives
from sae.ingest.checks import run_checks
from sae.ingest.receive import Quarantined, Submitted, receive
from sae.ingest.settings import IngestSettings
from sae.journal.log import log_audit, record, verify
from sae.model import ArchiveQuery, Decision, TransferState
from sae.review import decisions
from sae.storage.audit import audit
from tests.sae import stored
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
from tests.sae.test_ingest_checks import identity, signer

DECISIONS = ("transfer.accepted", "transfer.rejected")
INGEST = ("transfer.received", "transfer.checked")


@pytest.fixture
def sae(tmp_path: Path, schema_dir: Path) -> Iterator[Sae]:
    with open_sae(tmp_path, schema_dir) as opened:
        yield opened


def logged(store_path: Path, *actions: str) -> list[LogEntry]:
    entries = stored.entries(SqliteDatabase(store_path))
    return [e for e in entries if not actions or e.action in actions]


def execute(store_path: Path, sql: str, *params: object) -> None:
    with closing(sqlite3.connect(store_path)) as conn, conn:
        conn.execute(sql, params)


def spec(n: int) -> LogSpec:
    return LogSpec("test", "test.event", "thing", f"T-{n}", "ARCH", {"n": n, "texte": "é"})


def test_accept_and_reject_are_logged_with_who_what_and_why(sae: Sae, tmp_path: Path) -> None:
    one = accepted(sae, tmp_path, "TR-1")
    refused = decide(sae, submit(sae, make_sip(tmp_path, "TR-2"), "TR-2"), "reject", "Incomplet")

    accept_entry, reject_entry = logged(sae.store_path, *DECISIONS)
    assert (accept_entry.actor, accept_entry.object_id, accept_entry.organisation_id) == (
        "alice",
        one["transfer_id"],
        "ARCH",
    )
    assert accept_entry.details["decision"] == "accept"
    assert accept_entry.details["comment"] == "Conforme"
    assert accept_entry.details["message_identifier"] == "TR-1"
    assert accept_entry.details["archive_identifiers"] == [
        [a["unit"], a["archive_identifier"]] for a in one["archive_identifiers"]
    ]
    assert len(accept_entry.details["objects"]) == 2
    assert (reject_entry.object_id, reject_entry.details["decision"]) == (
        refused["transfer_id"],
        "reject",
    )
    assert reject_entry.details["comment"] == "Incomplet"
    assert verify(SqliteDatabase(sae.store_path)).ok


def test_failure_after_the_acceptance_leaves_neither_decision_nor_entry(
    sae: Sae, tmp_path: Path
) -> None:
    transfer_id = submit(sae, make_sip(tmp_path, "TR-3"), "TR-3")
    # Fails once the decision, the catalogue rows and the entry are written, before commit.
    execute(
        sae.store_path,
        "CREATE TRIGGER injected AFTER INSERT ON operation_log "
        "WHEN NEW.action = 'transfer.accepted' BEGIN SELECT RAISE(ABORT, 'panne injectée'); END",
    )
    db = SqliteDatabase(sae.store_path)
    decision = Decision("alice", "Conforme")

    with pytest.raises(sqlite3.IntegrityError, match="panne injectée"):
        decisions.accept(db, sae.offers, "ARCH", transfer_id, decision)

    transfer = stored.transfer(db, "ARCH", transfer_id)
    assert (transfer.state, transfer.reply, transfer.decided_by) == (
        TransferState.AWAITING_REVIEW,
        None,
        None,
    )
    assert stored.objects(db, transfer_id) == []
    assert search_archives(db, ArchiveQuery("ARCH")).units == []
    assert logged(sae.store_path, *DECISIONS) == []
    assert transfer.quarantine_path.exists()  # still there for the next attempt

    execute(sae.store_path, "DROP TRIGGER injected")
    assert decisions.accept(db, sae.offers, "ARCH", transfer_id, decision).state == "accepted"
    assert [e.action for e in logged(sae.store_path, *DECISIONS)] == ["transfer.accepted"]


def test_failure_after_the_rejection_leaves_neither_decision_nor_entry(
    sae: Sae, tmp_path: Path
) -> None:
    transfer_id = submit(sae, make_sip(tmp_path, "TR-4"), "TR-4")
    execute(
        sae.store_path,
        "CREATE TRIGGER injected AFTER INSERT ON operation_log "
        "BEGIN SELECT RAISE(ABORT, 'panne injectée'); END",
    )
    db = SqliteDatabase(sae.store_path)

    with pytest.raises(sqlite3.IntegrityError):
        decisions.reject(db, "ARCH", transfer_id, Decision("alice", "Non"))

    transfer = stored.transfer(db, "ARCH", transfer_id)
    assert (transfer.state, transfer.reply) == (TransferState.AWAITING_REVIEW, None)
    assert logged(sae.store_path, *DECISIONS) == []


def test_verify_names_the_edited_entry(sae: Sae, tmp_path: Path) -> None:
    accepted(sae, tmp_path, "TR-5")
    decide(sae, submit(sae, make_sip(tmp_path, "TR-6"), "TR-6"), "reject", "Incomplet")
    (rejection,) = logged(sae.store_path, "transfer.rejected")
    execute(
        sae.store_path,
        "UPDATE operation_log SET details = replace(details, 'Incomplet', 'Conforme') "
        "WHERE seq = ?",
        rejection.seq,
    )

    report = verify(SqliteDatabase(sae.store_path))

    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.reason) == (rejection.seq, "edited")
    shown = sae.client.get(f"{API}/log/verify", headers=ARCHIVIST).json()
    assert shown["ok"] is False
    assert shown["log"]["first_break"]["seq"] == rejection.seq
    assert [f["code"] for f in shown["findings"]] == ["log_chain_broken"]


def test_deleted_entry_in_the_middle_is_named(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "transfers.sqlite")
    for n in range(1, 5):
        record(db, spec(n))
    execute(db.path, "DELETE FROM operation_log WHERE seq = 2")

    report = verify(db)

    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.reason) == (3, "deleted_or_inserted")


def test_entries_round_trip_and_chain(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "transfers.sqlite")
    written = [record(db, spec(n)) for n in range(1, 4)]

    assert logged(db.path) == written
    assert [e.seq for e in written] == [1, 2, 3]
    assert written[1].prev_hash == written[0].hash
    report = verify(db)
    assert (report.ok, report.entries, report.head) == (True, 3, written[-1].hash)


def test_append_outside_a_transaction_is_refused(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "transfers.sqlite")
    with closing(sqlite3.connect(db.path)) as conn, pytest.raises(NotInTransaction):
        SqliteOperationLog(conn).append(spec(1))


def test_concurrent_appends_keep_one_chain(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "transfers.sqlite")
    barrier = threading.Barrier(4)

    def write(worker: int) -> None:
        barrier.wait()
        for n in range(5):
            record(db, spec(worker * 10 + n))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    report = verify(db)
    assert (report.ok, report.entries) == (True, 20)


def test_audit_findings_and_repairs_are_logged(sae: Sae, tmp_path: Path) -> None:
    one = accepted(sae, tmp_path, "TR-7")
    db = SqliteDatabase(sae.store_path)
    sha256 = stored.objects(db, one["transfer_id"])[0].sha256
    sae.offers.offers[0].delete(sha256)

    entry = log_audit(db, audit(sae.offers.offers, sae.offers.registry))

    assert (entry.action, entry.actor, entry.organisation_id) == ("audit.completed", "audit", None)
    assert entry.details["counts"]["copy_repaired"] == 1
    assert {(f["code"], f["object_id"]) for f in entry.details["findings"]} == {
        ("copy_missing", sha256),
        ("copy_repaired", sha256),
    }
    assert logged(sae.store_path)[-1] == entry
    assert verify(SqliteDatabase(sae.store_path)).ok


def test_verifying_a_missing_database_does_not_create_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        verify(SqliteDatabase.existing(tmp_path / "absent.sqlite"))
    assert not (tmp_path / "absent.sqlite").exists()


# -- receipt and checks ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def anchor() -> SigningIdentity:
    return identity("GED de la commune")


@pytest.fixture
def repo(tmp_path: Path, schema_dir: Path, anchor: SigningIdentity) -> Iterator[Repository]:
    anchors = (anchor.certificate,)
    with open_repository(tmp_path, schema_dir, AGREEMENTS, trust_anchors=anchors) as repository:
        yield repository


def repository_log(tmp_path: Path, transfer_id: str) -> list[LogEntry]:
    return [e for e in logged(tmp_path / "sae" / "transfers.sqlite") if e.object_id == transfer_id]


def test_receipt_and_checks_are_logged_before_the_acceptance(
    repo: Repository, tmp_path: Path, anchor: SigningIdentity
) -> None:
    sip = build_sip(tmp_path, "TR-10", signer=signer(anchor))
    transfer_id = send(repo, sip, "TR-10").remote_reference
    assert decide_over_http(repo, transfer_id, "accept", "Conforme").status_code == 200

    received, checked, accepted = repository_log(tmp_path, transfer_id)
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
    assert verify(SqliteDatabase(tmp_path / "sae" / "transfers.sqlite")).ok


def test_blocking_issues_are_logged_by_code_then_the_rejection(
    repo: Repository, tmp_path: Path
) -> None:
    transfer_id = send(
        repo, make_ingest_sip(tmp_path, "TR-11", tamper=True), "TR-11"
    ).remote_reference
    assert decide_over_http(repo, transfer_id, "reject", "Empreinte fausse").status_code == 200

    received, checked, rejected = repository_log(tmp_path, transfer_id)
    assert [e.action for e in (received, checked, rejected)] == [*INGEST, "transfer.rejected"]
    assert checked.details["checks_passed"] is False
    assert checked.details["signer"] is None
    issues = checked.details["issues"]
    assert any("digest" in i["code"] and i["blocking"] and i["count"] >= 1 for i in issues), issues
    assert issues == sorted(issues, key=lambda i: (i["code"], i["blocking"]))
    assert sorted(rejected.details["issues"]) == sorted(
        {i["code"] for i in issues if i["blocking"]}
    )
    assert verify(SqliteDatabase(tmp_path / "sae" / "transfers.sqlite")).ok


def test_a_resent_package_is_received_once(repo: Repository, tmp_path: Path) -> None:
    sip = build_sip(tmp_path, "TR-12")
    first = send(repo, sip, "TR-12")
    again = send(repo, sip, "TR-12")

    assert (again.duplicate, again.remote_reference) == (True, first.remote_reference)
    actions = [e.action for e in repository_log(tmp_path, first.remote_reference)]
    assert actions == list(INGEST)


def quarantined(sip: Path) -> Quarantined:
    return Quarantined(sip, hashlib.sha256(sip.read_bytes()).hexdigest(), sip.stat().st_size)


def test_no_transfer_is_received_without_its_entry(tmp_path: Path, schema_dir: Path) -> None:
    db = SqliteDatabase(tmp_path / "transfers.sqlite")
    settings = IngestSettings(tmp_path / "quarantine", schema_dir, AGREEMENTS)
    execute(db.path, "ALTER TABLE operation_log RENAME TO elsewhere")

    with pytest.raises(sqlite3.OperationalError, match="operation_log"):
        receive(
            db,
            settings,
            "ARCH",
            Submitted("TR-13", "SERVICE-A"),
            quarantined(build_sip(tmp_path, "TR-13")),
        )

    assert stored.by_message(db, "ARCH", "TR-13") is None


def test_no_checks_are_recorded_without_their_entry(tmp_path: Path, schema_dir: Path) -> None:
    db = SqliteDatabase(tmp_path / "transfers.sqlite")
    settings = IngestSettings(tmp_path / "quarantine", schema_dir, AGREEMENTS)
    package = quarantined(build_sip(tmp_path, "TR-14"))
    transfer, new = receive(db, settings, "ARCH", Submitted("TR-14", "SERVICE-A"), package)
    assert new
    execute(db.path, "ALTER TABLE operation_log RENAME TO elsewhere")

    with pytest.raises(sqlite3.OperationalError, match="operation_log"):
        run_checks(db, settings, transfer)

    found = stored.transfer(db, "ARCH", transfer.id)
    assert (found.state, found.issues, found.seda_version) == (TransferState.RECEIVED, (), None)
    execute(db.path, "ALTER TABLE elsewhere RENAME TO operation_log")
    run_checks(db, settings, transfer)  # what sae.recovery does at the next start
    assert [e.action for e in logged(db.path)] == list(INGEST)
    assert verify(db).ok
