"""The repository's database on a real full disk (a small tmpfs filled to its last byte)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.blobstore.ports import StorageFull
from kernel.oplog import LogSpec
from sae.adapters.db import SqlDatabase, open_database
from sae.adapters.db.engine import sqlite_url
from sae.journal.log import record, verify
from tests.fixtures.disks import fill, small_filesystem
from tests.sae import setup


def tenant_on(disk: Path) -> SqlDatabase:
    """A database on ``disk`` with the tenant ARCH (whose creation is its log's first entry)."""
    db = open_database(sqlite_url(disk / "repository.sqlite"))
    setup.tenant(db, "ARCH")
    return db


def spec(n: int) -> LogSpec:
    return LogSpec("archiviste", "transfer.accept", "transfer", f"T-{n}", "ARCH", {"n": n})


def test_a_full_disk_under_the_repository_database_is_storage_full_and_records_nothing(
    tmp_path: Path,
) -> None:
    with small_filesystem(tmp_path / "disk", 4) as disk:
        db = tenant_on(disk)
        record(db, "ARCH", spec(1))
        filler = fill(disk)
        with pytest.raises(StorageFull) as caught:
            record(db, "ARCH", spec(2))
        assert caught.value.status == 507 and caught.value.code == "storage_full"
        filler.unlink()
        report = verify(db, "ARCH")
        assert (report.ok, report.entries) == (True, 2)
        record(db, "ARCH", spec(3))


def test_a_disk_that_fills_up_inside_a_unit_of_work_is_storage_full_and_keeps_nothing(
    tmp_path: Path,
) -> None:
    with small_filesystem(tmp_path / "disk", 4) as disk:
        db = tenant_on(disk)
        record(db, "ARCH", spec(1))
        with pytest.raises(StorageFull) as caught, db.unit_of_work("ARCH") as uow:
            filler = fill(disk)  # the connection is open and the transaction begun
            uow.log.append(spec(2))
            uow.commit()
        assert caught.value.status == 507
        filler.unlink()
        report = verify(db, "ARCH")
        assert (report.ok, report.entries) == (True, 2)
