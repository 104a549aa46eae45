"""The repository's operation log: decisions logged in their own transaction, edits detected."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from ged.domain.oplog import LogEntry, LogSpec
from sae import journal, review
from sae.audit import audit
from sae.catalogue import ArchiveQuery, Catalogue
from sae.store import TransferState, TransferStore
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

DECISIONS = ("transfer.accepted", "transfer.rejected")


@pytest.fixture
def sae(tmp_path: Path, schema_dir: Path) -> Iterator[Sae]:
    with open_sae(tmp_path, schema_dir) as opened:
        yield opened


def logged(store_path: Path, *actions: str) -> list[LogEntry]:
    with journal.reading(store_path) as conn:
        return [e for e in journal.entries(conn) if not actions or e.action in actions]


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
    assert journal.verify(sae.store_path).ok


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
    store = TransferStore(sae.store_path)
    decision = review.Decision("alice", "Conforme")

    with pytest.raises(sqlite3.IntegrityError, match="panne injectée"):
        review.accept(store, sae.offers, "ARCH", transfer_id, decision)

    transfer = store.get("ARCH", transfer_id)
    assert (transfer.state, transfer.reply, transfer.decided_by) == (
        TransferState.AWAITING_REVIEW,
        None,
        None,
    )
    assert store.objects(transfer_id) == []
    assert Catalogue(sae.store_path).search(ArchiveQuery("ARCH")).units == []
    assert logged(sae.store_path, *DECISIONS) == []
    assert transfer.quarantine_path.exists()  # still there for the next attempt

    execute(sae.store_path, "DROP TRIGGER injected")
    assert review.accept(store, sae.offers, "ARCH", transfer_id, decision).state == "accepted"
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
    store = TransferStore(sae.store_path)

    with pytest.raises(sqlite3.IntegrityError):
        review.reject(store, "ARCH", transfer_id, review.Decision("alice", "Non"))

    transfer = store.get("ARCH", transfer_id)
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

    report = journal.verify(sae.store_path)

    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.reason) == (rejection.seq, "edited")
    shown = sae.client.get(f"{API}/log/verify", headers=ARCHIVIST).json()
    assert shown["ok"] is False
    assert shown["log"]["first_break"]["seq"] == rejection.seq
    assert [f["code"] for f in shown["findings"]] == ["log_chain_broken"]


def test_deleted_entry_in_the_middle_is_named(tmp_path: Path) -> None:
    store = TransferStore(tmp_path / "transfers.sqlite")
    for n in range(1, 5):
        journal.record(store, spec(n))
    execute(store.path, "DELETE FROM operation_log WHERE seq = 2")

    report = journal.verify(store.path)

    assert report.first_break is not None
    assert (report.first_break.seq, report.first_break.reason) == (3, "deleted_or_inserted")


def test_entries_round_trip_and_chain(tmp_path: Path) -> None:
    store = TransferStore(tmp_path / "transfers.sqlite")
    written = [journal.record(store, spec(n)) for n in range(1, 4)]

    assert logged(store.path) == written
    assert [e.seq for e in written] == [1, 2, 3]
    assert written[1].prev_hash == written[0].hash
    report = journal.verify(store.path)
    assert (report.ok, report.entries, report.head) == (True, 3, written[-1].hash)


def test_append_outside_a_transaction_is_refused(tmp_path: Path) -> None:
    store = TransferStore(tmp_path / "transfers.sqlite")
    with closing(sqlite3.connect(store.path)) as conn, pytest.raises(journal.NotInTransaction):
        journal.append(conn, spec(1))


def test_concurrent_appends_keep_one_chain(tmp_path: Path) -> None:
    store = TransferStore(tmp_path / "transfers.sqlite")
    barrier = threading.Barrier(4)

    def write(worker: int) -> None:
        barrier.wait()
        for n in range(5):
            journal.record(store, spec(worker * 10 + n))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    report = journal.verify(store.path)
    assert (report.ok, report.entries) == (True, 20)


def test_audit_findings_and_repairs_are_logged(sae: Sae, tmp_path: Path) -> None:
    one = accepted(sae, tmp_path, "TR-7")
    store = TransferStore(sae.store_path)
    sha256 = store.objects(one["transfer_id"])[0].sha256
    sae.offers.offers[0].delete(sha256)

    entry = journal.log_audit(store, audit(sae.offers.offers, sae.offers.registry))

    assert (entry.action, entry.actor, entry.organisation_id) == ("audit.completed", "audit", None)
    assert entry.details["counts"]["copy_repaired"] == 1
    assert {(f["code"], f["object_id"]) for f in entry.details["findings"]} == {
        ("copy_missing", sha256),
        ("copy_repaired", sha256),
    }
    assert logged(sae.store_path)[-1] == entry
    assert journal.verify(sae.store_path).ok


def test_verifying_a_missing_database_does_not_create_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        journal.verify(tmp_path / "absent.sqlite")
    assert not (tmp_path / "absent.sqlite").exists()
