"""The repository's database on a real full disk (a small tmpfs filled to its last byte)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ged.domain.oplog import LogSpec
from ged.services.ports import StorageFull
from sae import journal
from sae.store import TransferStore
from tests.fixtures.disks import fill, small_filesystem


def spec(n: int) -> LogSpec:
    return LogSpec("archiviste", "transfer.accept", "transfer", f"T-{n}", "ARCH", {"n": n})


def test_a_full_disk_under_the_repository_database_is_storage_full_and_records_nothing(
    tmp_path: Path,
) -> None:
    with small_filesystem(tmp_path / "disk", 4) as disk:
        store = TransferStore(disk / "transfers.sqlite")
        journal.record(store, spec(1))
        filler = fill(disk)
        with pytest.raises(StorageFull) as caught:
            journal.record(store, spec(2))
        assert caught.value.status == 507 and caught.value.code == "storage_full"
        filler.unlink()
        report = journal.verify(store.path)
        assert (report.ok, report.entries) == (True, 1)
        journal.record(store, spec(3))
