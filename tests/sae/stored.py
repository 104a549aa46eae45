"""What the repository's database holds, read for assertions (each read in its own unit of
work, as a second process would see it)."""

from __future__ import annotations

from pathlib import Path

from kernel.oplog import LogEntry
from sae.adapters.sqlite import SqliteDatabase
from sae.model import ArchivedObject, Transfer
from sae.ports import Database


def database(path: Path) -> SqliteDatabase:
    return SqliteDatabase(path)


def transfer(db: Database, organisation: str, transfer_id: str) -> Transfer:
    with db.reading() as uow:
        return uow.transfers.get(organisation, transfer_id)


def by_message(db: Database, organisation: str, message_identifier: str) -> Transfer | None:
    with db.reading() as uow:
        return uow.transfers.find_by_message(organisation, message_identifier)


def objects(db: Database, transfer_id: str) -> list[ArchivedObject]:
    with db.reading() as uow:
        return uow.transfers.objects(transfer_id)


def entries(db: Database) -> list[LogEntry]:
    with db.reading() as uow:
        return list(uow.log.entries())
