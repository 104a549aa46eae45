"""Recovery after a crash: each state a killed process can leave, written to the store directly,
then ``recover`` and the state it must bring the repository to."""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import Leftover
from sae.api.app import create_app
from sae.bootstrap import refuse_legacy_home
from sae.config import SaeMisconfigured
from sae.ingest.checks import run_checks
from sae.ingest.receive import Quarantined, Submitted, receive
from sae.ingest.settings import IngestSettings
from sae.model import Decision, Transfer, TransferState
from sae.ports import Database
from sae.recovery import RecoveryReport, StartupLock, recover
from sae.review import decisions
from sae.storage.offers import StorageOffers
from sae.storage.tenants import TenantStorage
from tests.fixtures.leftovers import TempWriter, temp_files
from tests.fixtures.sae import TestDatabase
from tests.sae import setup, stored
from tests.sae.test_ingest import AGREEMENTS, build_sip


@dataclass
class Repository:
    db: Database
    database: TestDatabase
    settings: IngestSettings
    storage: TenantStorage

    @property
    def offers(self) -> StorageOffers:
        return self.storage.offers("ARCH")


@pytest.fixture
def repo(
    tmp_path: Path, schema_dir: Path, sae_db: Database, sae_database: TestDatabase
) -> Repository:
    setup.agreements(sae_db, AGREEMENTS)
    settings = IngestSettings(tmp_path / "sae" / "quarantine", schema_dir)
    return Repository(sae_db, sae_database, settings, setup.storage(sae_db, tmp_path))


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
    repo.database.tamper(
        "UPDATE transfers SET state = :state WHERE id = :id",
        "ARCH",
        state=state.value,
        id=transfer.id,
    )


def state_of(repo: Repository, transfer: Transfer) -> TransferState:
    return stored.transfer(repo.db, "ARCH", transfer.id).state


def test_transfer_left_received_is_checked_again(repo: Repository, tmp_path: Path) -> None:
    good = received(repo, tmp_path, "R-1")
    announced = received(repo, tmp_path, "R-2", ("SHA-256", "ab" * 32))

    report = recover(repo.db, repo.settings, repo.storage)

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

    report = recover(repo.db, repo.settings, repo.storage)

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

    report = recover(repo.db, repo.settings, repo.storage)

    assert report.rolled_back == [transfer.id]
    assert report.removed_copies == [("a", partial.sha256)]
    assert state_of(repo, transfer) is TransferState.AWAITING_REVIEW
    assert stored.objects(repo.db, "ARCH", transfer.id) == []
    for offer in repo.offers.offers:
        assert list(offer.iter_digests()) == [complete.sha256]

    decisions.accept(repo.db, repo.offers, "ARCH", transfer.id, Decision("alice"))
    accepted = stored.transfer(repo.db, "ARCH", transfer.id)
    assert accepted.state is TransferState.ACCEPTED
    assert len(stored.objects(repo.db, "ARCH", transfer.id)) == 2
    assert {o.sha256 for o in repo.offers.registry.iter_objects()} == {
        complete.sha256,
        partial.sha256,
    }
    assert recover(repo.db, repo.settings, repo.storage) == RecoveryReport()


def test_files_no_unfinished_transfer_needs_are_removed(repo: Repository, tmp_path: Path) -> None:
    waiting = received(repo, tmp_path, "Q-1")
    run_checks(repo.db, repo.settings, waiting)
    decided = received(repo, tmp_path, "Q-2")
    crash_in(repo, decided, TransferState.REJECTED)  # killed before the file was deleted
    orphan = repo.settings.quarantine_dir / "sip-upload-interrompu.zip"
    orphan.write_bytes(b"PK\x03\x04 partiel")
    unrelated = repo.settings.quarantine_dir / "lisez-moi.txt"
    unrelated.write_text("Déposé par l'exploitant\n")

    report = recover(repo.db, repo.settings, repo.storage)

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

    report = recover(repo.db, repo.settings, repo.storage)

    assert report.removed_temp_files == [("a", Leftover(killed.path, len(b"partial")))]
    assert temp_files(first.tmp_dir) == []
    assert temp_files(second.tmp_dir) == [live.path]


def test_recovery_runs_when_the_application_starts(
    repo: Repository, tmp_path: Path, schema_dir: Path
) -> None:
    transfer = received(repo, tmp_path, "S-1")
    setup.tokens(repo.db, {"archivist-token": ("ARCH", "archivist", "alice")})
    config = setup.make_config(tmp_path, repo.database, schema_dir)
    config.settings.quarantine_dir.mkdir(parents=True, exist_ok=True)
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


def test_a_home_left_by_a_version_before_tenants_is_refused_and_left_untouched(
    tmp_path: Path,
) -> None:
    (tmp_path / "transfers.sqlite").write_bytes(b"SQLite format 3\x00")

    with pytest.raises(SaeMisconfigured, match="version antérieure"):
        refuse_legacy_home(tmp_path)
    assert (tmp_path / "transfers.sqlite").read_bytes() == b"SQLite format 3\x00"
