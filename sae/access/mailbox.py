"""The producers' mailbox (docs/exchanges.md): what the repository has to say to a producer
waits here, oldest first, until the GED reads it — the repository never calls the GED. A
message about an archive is addressed to the agency that transferred it, in the SEDA version
of that transfer (2.2 when it is not known)."""

from __future__ import annotations

from typing import Final

from kernel.errors import NotFoundError
from sae.model import CatalogueUnit, MailboxMessage
from sae.ports import Database, UnitOfWork
from seda.versions import SedaVersion

PAGE: Final = 100


class MessageNotFound(NotFoundError):
    code = "message_not_found"
    title = "Message introuvable"


def read_mailbox(db: Database, tenant: str, after: int) -> list[MailboxMessage]:
    """At most ``PAGE`` messages after the cursor ``after``."""
    with db.reading(tenant) as uow:
        return uow.mailbox.after(after, PAGE)


def mailbox_message(db: Database, tenant: str, message_id: str) -> MailboxMessage:
    with db.reading(tenant) as uow:
        found = uow.mailbox.get(message_id)
    if found is None:
        raise MessageNotFound(f"Message {message_id} introuvable")
    return found


def producer_of(uow: UnitOfWork, unit: CatalogueUnit) -> tuple[str, SedaVersion]:
    """The agency that transferred the unit, and the SEDA version it transferred it in."""
    transfer = uow.transfers.get(unit.transfer_id)
    try:
        version = SedaVersion(transfer.seda_version or SedaVersion.V2_2)
    except ValueError:
        version = SedaVersion.V2_2
    return transfer.transferring_agency, version
