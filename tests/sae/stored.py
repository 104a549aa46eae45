"""What the repository's database holds, read for assertions (each read in its own unit of
work, as a second process would see it)."""

from __future__ import annotations

from kernel.oplog import LogEntry
from sae.model import ArchivedObject, Transfer
from sae.ports import Database


def transfer(db: Database, tenant: str, transfer_id: str) -> Transfer:
    with db.reading(tenant) as uow:
        return uow.transfers.get(transfer_id)


def reply(db: Database, tenant: str, transfer_id: str) -> bytes | None:
    with db.reading(tenant) as uow:
        return uow.transfers.reply(transfer_id)


def by_message(db: Database, tenant: str, message_identifier: str) -> Transfer | None:
    with db.reading(tenant) as uow:
        return uow.transfers.find_by_message(message_identifier)


def objects(db: Database, tenant: str, transfer_id: str) -> list[ArchivedObject]:
    with db.reading(tenant) as uow:
        return uow.transfers.objects(transfer_id)


def entries(db: Database, tenant: str = "ARCH") -> list[LogEntry]:
    with db.reading(tenant) as uow:
        return list(uow.log.entries())
