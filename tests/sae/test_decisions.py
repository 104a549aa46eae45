"""The archivist's decisions as use cases over the repository's ports, with in-memory fakes
(``tests.sae.fakes``): no database, no storage offer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kernel.oplog import LogEntry, LogSpec, verify_chain
from sae.model import CheckIssue, Decision, Transfer, TransferState
from sae.ports import TransferAlreadyDecided, TransferNotFound
from sae.review import decisions
from seda.replies import Outcome, parse_reply
from tests.sae.fakes import FakeDatabase, FakeLog, State


def awaiting_review(db: FakeDatabase, tmp_path: Path, *issues: CheckIssue) -> Transfer:
    package = tmp_path / "sip-TR-1.zip"
    package.write_bytes(b"PK")
    transfer = Transfer(
        id="T-1",
        organisation="ARCH",
        message_identifier="TR-1",
        package_sha256="ab" * 32,
        transferring_agency="SERVICE-A",
        state=TransferState.AWAITING_REVIEW,
        quarantine_path=package,
        acknowledgement=b"<ack/>",
        received_at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
        issues=issues,
        seda_version="2.2",
    )
    with db.unit_of_work(transfer.organisation) as uow:
        assert uow.transfers.add(transfer)
        uow.commit()
    return transfer


class FailingLog(FakeLog):
    def append(self, spec: LogSpec, *, at: datetime | None = None) -> LogEntry:
        raise OSError("journal indisponible")


def test_a_rejection_records_its_reply_and_its_log_entry_together(tmp_path: Path) -> None:
    db = FakeDatabase()
    issue = CheckIssue("digest_mismatch", "error", "Empreinte fausse", path="content/a.pdf")
    transfer = awaiting_review(db, tmp_path, issue)

    done = decisions.reject(db, "ARCH", transfer.id, Decision("alice", "Incomplet"))

    assert (done.state, done.decided_by, done.comment) == (
        TransferState.REJECTED,
        "alice",
        "Incomplet",
    )
    reply = decisions.transfer_reply(db, "ARCH", transfer.id)
    assert done.replied and reply is not None and parse_reply(reply).outcome is Outcome.REJECTED
    (entry,) = db.states["ARCH"].log
    assert (entry.action, entry.actor, entry.details["issues"]) == (
        "transfer.rejected",
        "alice",
        ["digest_mismatch"],
    )
    assert verify_chain(db.states["ARCH"].log).ok
    assert not transfer.quarantine_path.exists()


def test_a_decision_whose_log_entry_fails_is_not_kept(tmp_path: Path) -> None:
    db = FakeDatabase()
    transfer = awaiting_review(db, tmp_path)
    db.log_factory = FailingLog

    with pytest.raises(OSError, match="journal indisponible"):
        decisions.reject(db, "ARCH", transfer.id, Decision("alice", "Non"))

    kept = db.states["ARCH"].transfers[transfer.id]
    assert (kept.state, kept.replied, db.states["ARCH"].log) == (
        TransferState.AWAITING_REVIEW,
        False,
        [],
    )
    assert transfer.quarantine_path.exists()  # still there for the next decision


def test_a_transfer_decided_once_cannot_be_decided_again(tmp_path: Path) -> None:
    db = FakeDatabase()
    transfer = awaiting_review(db, tmp_path)
    decisions.reject(db, "ARCH", transfer.id, Decision("alice", "Non"))

    with pytest.raises(TransferAlreadyDecided):
        decisions.reject(db, "ARCH", transfer.id, Decision("bob", "Non plus"))
    assert [e.actor for e in db.states["ARCH"].log] == ["alice"]


def test_another_organisations_transfer_is_not_found(tmp_path: Path) -> None:
    db = FakeDatabase()
    transfer = awaiting_review(db, tmp_path)

    with pytest.raises(TransferNotFound):
        decisions.reject(db, "AUTRE", transfer.id, Decision("eve", "Non"))
    assert decisions.pending(db, "AUTRE") == []
    assert decisions.pending(db, "ARCH") == [transfer]
    assert db.states == {"ARCH": State(transfers={transfer.id: transfer})}
