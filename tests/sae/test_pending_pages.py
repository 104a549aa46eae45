"""Transfers awaiting review, listed a page at a time: the same on the in-memory fake, on SQLite
and on PostgreSQL (the ``TransferRepository`` port's contract for ``in_state``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kernel.paging import Page
from sae.ports import Database
from sae.review import decisions
from tests.fixtures import sae as fixtures
from tests.sae import setup
from tests.sae.fakes import FakeDatabase
from tests.sae.test_decisions import awaiting_review


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """The in-memory fake, and the database (SQLite and PostgreSQL) with its tenants."""
    if request.param == "fake":
        yield FakeDatabase()
        return
    with fixtures.database(request, tmp_path) as found:
        opened = found.open()
        setup.tenant(opened, "ARCH")
        setup.tenant(opened, "AUTRE")
        yield opened
        opened.dispose()


def test_pending_transfers_are_listed_oldest_first_one_page_at_a_time(
    db: Database, tmp_path: Path
) -> None:
    model = awaiting_review(FakeDatabase(), tmp_path)
    with db.unit_of_work("ARCH") as uow:
        for n in (3, 1, 2):  # recorded in another order than received
            received = model.received_at + timedelta(minutes=n)
            copy = dataclasses.replace(
                model, id=f"T-{n}", message_identifier=f"TR-{n}", received_at=received
            )
            assert uow.transfers.add(copy)
        uow.commit()

    assert [t.id for t in decisions.pending(db, "ARCH")] == ["T-1", "T-2", "T-3"]
    assert [t.id for t in decisions.pending(db, "ARCH", Page(limit=2, offset=1))] == ["T-2", "T-3"]
    assert decisions.pending(db, "ARCH", Page(limit=2, offset=3)) == []
    assert decisions.pending(db, "AUTRE") == []
