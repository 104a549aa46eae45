"""Closing a context closes the database connections it opened (what a command does when it
ends): nothing keeps SQLite's write-ahead log mapped after it."""

from __future__ import annotations

from pathlib import Path

from ged.bootstrap import build_context
from ged.config import Settings
from ged.services import admin
from tests.fakes import fake_extract, fake_identify


def test_closing_a_context_closes_the_connections_of_its_engine(tmp_path: Path) -> None:
    ctx = build_context(Settings(home=tmp_path), identify=fake_identify, extract=fake_extract)
    admin.create_organisation(ctx, "test", "Commune d'Essai")
    assert (tmp_path / "gedsae.db-wal").exists()  # a connection is open
    ctx.close()
    assert not (tmp_path / "gedsae.db-wal").exists()  # the last one closed: WAL checkpointed
