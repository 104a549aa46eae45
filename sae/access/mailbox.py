"""The producers' mailbox (docs/exchanges.md): what the repository has to say to a producer
waits here, oldest first, until the GED reads it — the repository never calls the GED."""

from __future__ import annotations

from typing import Final

from kernel.errors import NotFoundError
from sae.model import MailboxMessage
from sae.ports import Database

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
