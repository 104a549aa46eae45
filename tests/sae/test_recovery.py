"""Recovery after a crash: each state a killed process can leave, written to the store directly,
then ``recover`` and the state it must bring the repository to."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import Leftover
from sae.adapters.sqlite import SqliteDatabase, SqliteDigestRegistry
from sae.api.app import create_app
from sae.bootstrap import SaeConfig
from sae.ingest.checks import run_checks
from sae.ingest.receive import Quarantined, Submitted, receive
from sae.ingest.settings import IngestSettings
from sae.model import CheckOutcome, Decision, Principal, Transfer, TransferState
from sae.recovery import RecoveryReport, StartupLock, recover
from sae.review import decisions
from sae.storage.offers import StorageOffers
from tests.fixtures.leftovers import TempWriter, temp_files
from tests.sae import stored
from tests.sae.test_ingest import AGREEMENTS, build_sip


@dataclass
class Repository:
    data_dir: Path
    db: SqliteDatabase
    settings: IngestSettings
    offers: StorageOffers


@pytest.fixture
def repo(tmp_path: Path, schema_dir: Path) -> Repository:
    data_dir = tmp_path / "sae"
    data_dir.mkdir()
    offers = StorageOffers(
        [
            FilesystemBlobStore(tmp_path / "offer-a", name="a"),
            FilesystemBlobStore(tmp_path / "offer-b", name="b"),
        ],
        SqliteDigestRegistry(tmp_path / "digests.sqlite"),
    )
    settings = IngestSettings(data_dir / "quarantine", schema_dir, AGREEMENTS)
    return Repository(data_dir, SqliteDatabase(data_dir / "transfers.sqlite"), settings, offers)


def received(
    repo: Repository, tmp_path: Path, message_id: str, digest: tuple[str, str] | None = None
) -> Transfer:
    """A transfer recorded as received, its package in quarantine, its checks not run."""
    sip = build_sip(tmp_path, message_id)
    repo.settings.quarantine_dir.mkdir(parents=True, exist_ok=True)
    path = repo.settings.quarantine_dir / f"sip-{message_id}.zip"
    shutil.copyfile(sip, path)
    package = Quarantined(path, hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size)
    submitted = Submitted(message_id, "SERVICE-A", digest)
    transfer, new = receive(repo.db, repo.settings, "ARCH", submitted, package)
    assert new
    return transfer


def crash_in(repo: Repository, transfer: Transfer, state: TransferState) -> None:
    """What a process killed in ``state`` leaves behind: the row, as it was last written."""
    with sqlite3.connect(repo.db.path) as conn:
        conn.execute("UPDATE transfers SET state = ? WHERE id = ?", (state.value, transfer.id))
    conn.close()


def state_of(repo: Repository, transfer: Transfer) -> TransferState:
    return stored.transfer(repo.db, "ARCH", transfer.id).state


def test_transfer_left_received_is_checked_again(repo: Repository, tmp_path: Path) -> None:
    good = received(repo, tmp_path, "R-1")
    announced = received(repo, tmp_path, "R-2", ("SHA-256", "ab" * 32))

    report = recover(repo.db, repo.settings, repo.offers)

    assert sorted(report.rechecked) == sorted([good.id, announced.id])  # same second: any order
    checked = stored.transfer(repo.db, "ARCH", good.id)
    assert (checked.state, checked.issues, checked.seda_version) == (
        TransferState.AWAITING_REVIEW,
        (),
        "2.2",
    )
    # The digest announced at submission was kept with the transfer, so it is checked too.
    again = stored.transfer(repo.db, "ARCH", announced.id)
    assert [i.code for i in again.issues] == ["manifest_digest_mismatch"]


def test_transfer_left_checked_moves_on_to_review(repo: Repository, tmp_path: Path) -> None:
    transfer = received(repo, tmp_path, "C-1", ("SHA-256", "cd" * 32))
    run_checks(repo.db, repo.settings, transfer)
    crash_in(repo, transfer, TransferState.CHECKED)

    report = recover(repo.db, repo.settings, repo.offers)

    assert report.moved_to_review == [transfer.id]
    after = stored.transfer(repo.db, "ARCH", transfer.id)
    assert after.state is TransferState.AWAITING_REVIEW
    assert [i.code for i in after.issues] == ["manifest_digest_mismatch"]


def test_interrupted_acceptance_is_rolled_back_then_accepted_once(
    repo: Repository, tmp_path: Path
) -> None:
    transfer = received(repo, tmp_path, "A-1")
    run_checks(repo.db, repo.settings, transfer)
    crash_in(repo, transfer, TransferState.ACCEPTING)
    with zipfile.ZipFile(transfer.quarantine_path) as package:
        first, second = (package.read(n) for n in sorted(package.namelist()) if "content/" in n)
    # The kill came while the second file was being written: on offer a only, not registered.
    complete = repo.offers.store(iter([first]))
    partial = repo.offers.offers[0].put(iter([second]))

    report = recover(repo.db, repo.settings, repo.offers)

    assert report.rolled_back == [transfer.id]
    assert report.removed_copies == [("a", partial.sha256)]
    assert state_of(repo, transfer) is TransferState.AWAITING_REVIEW
    assert stored.objects(repo.db, transfer.id) == []
    for offer in repo.offers.offers:
        assert list(offer.iter_digests()) == [complete.sha256]

    decisions.accept(repo.db, repo.offers, "ARCH", transfer.id, Decision("alice"))
    accepted = stored.transfer(repo.db, "ARCH", transfer.id)
    assert accepted.state is TransferState.ACCEPTED
    assert len(stored.objects(repo.db, transfer.id)) == 2
    assert {o.sha256 for o in repo.offers.registry.iter_objects()} == {
        complete.sha256,
        partial.sha256,
    }
    assert recover(repo.db, repo.settings, repo.offers) == RecoveryReport()


def test_files_no_unfinished_transfer_needs_are_removed(repo: Repository, tmp_path: Path) -> None:
    waiting = received(repo, tmp_path, "Q-1")
    run_checks(repo.db, repo.settings, waiting)
    decided = received(repo, tmp_path, "Q-2")
    crash_in(repo, decided, TransferState.REJECTED)  # killed before the file was deleted
    orphan = repo.settings.quarantine_dir / "sip-upload-interrompu.zip"
    orphan.write_bytes(b"PK\x03\x04 partiel")
    unrelated = repo.settings.quarantine_dir / "lisez-moi.txt"
    unrelated.write_text("Déposé par l'exploitant\n")

    report = recover(repo.db, repo.settings, repo.offers)

    assert sorted(report.removed_files) == sorted([decided.quarantine_path, orphan])
    assert sorted(repo.settings.quarantine_dir.iterdir()) == sorted(
        [waiting.quarantine_path, unrelated]
    )


def test_temp_files_of_a_killed_acceptance_are_removed_and_a_live_process_ones_kept(
    repo: Repository, writers: list[TempWriter]
) -> None:
    first, second = repo.offers.offers
    assert isinstance(first, FilesystemBlobStore) and isinstance(second, FilesystemBlobStore)
    writers.append(killed := TempWriter(first.root))  # a batch of an acceptance, kill -9
    writers.append(live := TempWriter(second.root))  # another process storing right now
    killed.kill()

    report = recover(repo.db, repo.settings, repo.offers)

    assert report.removed_temp_files == [("a", Leftover(killed.path, len(b"partial")))]
    assert temp_files(first.tmp_dir) == []
    assert temp_files(second.tmp_dir) == [live.path]


def test_recovery_runs_when_the_application_starts(repo: Repository, tmp_path: Path) -> None:
    transfer = received(repo, tmp_path, "S-1")
    config = SaeConfig(
        data_dir=repo.data_dir,
        settings=repo.settings,
        tokens={"archivist-token": Principal("ARCH", "archivist", "alice")},
        offers=repo.offers,
    )
    with TestClient(create_app(config)) as client:
        listed = client.get(
            "/api/v1/sae/review/transfers", headers={"Authorization": "Bearer archivist-token"}
        )
    assert [t["transfer_id"] for t in listed.json()] == [transfer.id]
    assert state_of(repo, transfer) is TransferState.AWAITING_REVIEW


def test_no_recovery_while_another_process_is_alive(tmp_path: Path) -> None:
    calls: list[str] = []
    with (tmp_path / "alive.lock").open("a+b") as other:
        fcntl.flock(other, fcntl.LOCK_SH)  # another worker, already serving
        lock = StartupLock(tmp_path)
        assert lock.start(lambda: calls.append("recovered")) is False
        lock.close()
    assert calls == []

    alone = StartupLock(tmp_path)
    assert alone.start(lambda: calls.append("recovered")) is True
    # Once started, it is alive too: the next process to start does not recover.
    late = StartupLock(tmp_path)
    assert late.start(lambda: calls.append("again")) is False
    late.close()
    alone.close()
    assert calls == ["recovered"]


OLD_SCHEMA = """
CREATE TABLE transfers (
    id TEXT PRIMARY KEY, organisation TEXT NOT NULL, message_identifier TEXT NOT NULL,
    package_sha256 TEXT NOT NULL, transferring_agency TEXT NOT NULL, state TEXT NOT NULL,
    quarantine_path TEXT NOT NULL, acknowledgement BLOB NOT NULL, received_at TEXT NOT NULL,
    issues TEXT NOT NULL DEFAULT '[]', seda_version TEXT, reply BLOB, comment TEXT,
    decided_by TEXT, decided_at TEXT, archive_identifiers TEXT NOT NULL DEFAULT '[]',
    UNIQUE (organisation, message_identifier)
);
INSERT INTO transfers (id, organisation, message_identifier, package_sha256,
    transferring_agency, state, quarantine_path, acknowledgement, received_at)
VALUES ('T-OLD', 'ARCH', 'M-OLD', 'ab', 'SERVICE-A', 'received', '/tmp/x.zip', x'3c3e',
    '2024-01-02T03:04:05+00:00');
"""


def test_store_created_before_the_signer_column_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "transfers.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    conn.close()

    db = SqliteDatabase(path)
    old = stored.transfer(db, "ARCH", "T-OLD")
    assert (old.signer, old.manifest_digest) == (None, None)
    with db.unit_of_work() as uow:
        uow.transfers.record_checks("T-OLD", CheckOutcome((), "2.2", signer="CN=GED"))
        uow.commit()
    assert stored.transfer(db, "ARCH", "T-OLD").signer == "CN=GED"
    again = SqliteDatabase(path)  # opened again: no-op
    assert stored.transfer(again, "ARCH", "T-OLD").signer == "CN=GED"
