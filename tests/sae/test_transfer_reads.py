"""A transfer is read without its two large columns (``TransferRepository``): its reply comes
apart, for what sends it, and its archive identifiers when first asked; the database keeps both
compressed. The same on the in-memory fake, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from sae.adapters.db import tables as t
from sae.adapters.db.database import SqlDatabase
from sae.adapters.db.scope import Scope
from sae.model import Decision, DecisionRecord, TransferState
from sae.ports import Database
from sae.review import decisions
from sae.review.replies import accepted_reply
from seda.replies import Outcome, parse_reply
from tests.fixtures import sae as fixtures
from tests.sae import setup
from tests.sae.fakes import FakeDatabase
from tests.sae.test_decisions import awaiting_review

REPLY = b"<ArchiveTransferReply>OK</ArchiveTransferReply>"
PAIRS = [("AU_1", "AU-a"), ("AU_2", "AU-b")]
DECIDED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "fake":
        yield FakeDatabase()
        return
    with fixtures.database(request, tmp_path) as found:
        opened = found.open()
        setup.tenant(opened, "ARCH")
        yield opened
        opened.dispose()


def decided(db: Database, tmp_path: Path) -> str:
    transfer = awaiting_review(FakeDatabase(), tmp_path)
    record = DecisionRecord(REPLY, Decision("alice", "Conforme"), DECIDED_AT, iter(PAIRS))
    with db.unit_of_work("ARCH") as uow:
        uow.transfers.add(transfer)
        before, after = TransferState.AWAITING_REVIEW, TransferState.ACCEPTED
        uow.transfers.decide(transfer.id, before, after, record)
        uow.commit()
    return transfer.id


def test_a_decided_transfer_says_it_is_replied_and_its_reply_is_read_apart(
    db: Database, tmp_path: Path
) -> None:
    transfer_id = decided(db, tmp_path)

    transfer = decisions.get_transfer(db, "ARCH", transfer_id)

    assert transfer.replied and transfer.state is TransferState.ACCEPTED
    assert decisions.transfer_reply(db, "ARCH", transfer_id) == REPLY
    assert list(transfer.archive_identifiers) == PAIRS


def test_a_transfer_not_decided_yet_has_no_reply(db: Database, tmp_path: Path) -> None:
    transfer = awaiting_review(FakeDatabase(), tmp_path)
    with db.unit_of_work("ARCH") as uow:
        uow.transfers.add(transfer)
        uow.commit()

    assert not decisions.get_transfer(db, "ARCH", transfer.id).replied
    assert decisions.transfer_reply(db, "ARCH", transfer.id) is None


@pytest.fixture
def sql(db: Database) -> SqlDatabase:
    if not isinstance(db, SqlDatabase):
        pytest.skip("what the database is asked: SQL only")
    return db


def test_reading_a_transfer_asks_the_database_for_its_archive_identifiers_only_when_used(
    sql: SqlDatabase, tmp_path: Path
) -> None:
    transfer_id = decided(sql, tmp_path)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(sql.engine, "before_cursor_execute", seen)
    transfer = decisions.get_transfer(sql, "ARCH", transfer_id)
    read = [s for s in statements if "archive_identifiers" in s or "transfers.reply," in s]
    assert read == []

    assert transfer.archive_identifiers[1] == PAIRS[1]
    assert any("archive_identifiers" in s for s in statements)


def test_a_decision_is_stored_compressed_and_read_back_whole(
    sql: SqlDatabase, tmp_path: Path
) -> None:
    transfer_id = decided(sql, tmp_path)
    with sql.transaction(Scope(tenant="ARCH"), write=False) as conn:  # row-level security
        stored = conn.execute(
            select(t.transfers.c.reply, t.transfers.c.archive_identifiers_zlib).where(
                t.transfers.c.id == transfer_id
            )
        ).one()

    assert zlib.decompress(stored.reply) == REPLY
    assert json.loads(zlib.decompress(stored.archive_identifiers_zlib)) == [list(p) for p in PAIRS]
    assert decisions.transfer_reply(sql, "ARCH", transfer_id) == REPLY
    assert list(decisions.get_transfer(sql, "ARCH", transfer_id).archive_identifiers) == PAIRS


def test_a_decision_written_before_compression_reads_as_it_was(
    sql: SqlDatabase, tmp_path: Path
) -> None:
    transfer_id = decided(sql, tmp_path)
    with sql.transaction(Scope(tenant="ARCH"), write=True) as conn:  # as before migration 0010
        written = conn.execute(
            update(t.transfers)
            .where(t.transfers.c.id == transfer_id)
            .values(
                reply=REPLY,
                reply_encoding=None,
                archive_identifiers=json.dumps([list(p) for p in PAIRS]),
                archive_identifiers_zlib=None,
            )
        )
        conn.commit()

    assert written.rowcount == 1
    assert decisions.transfer_reply(sql, "ARCH", transfer_id) == REPLY
    assert list(decisions.get_transfer(sql, "ARCH", transfer_id).archive_identifiers) == PAIRS


def test_an_accepted_reply_compressed_as_it_is_written_is_the_whole_reply(tmp_path: Path) -> None:
    transfer = awaiting_review(FakeDatabase(), tmp_path)

    packed = accepted_reply(transfer, "Conforme", PAIRS, compressed=True)

    outcome = parse_reply(zlib.decompress(packed), transfer_identifier=transfer.message_identifier)
    assert outcome.outcome is Outcome.ACCEPTED
    assert outcome.archive_identifiers == tuple(archive for _unit, archive in PAIRS)
