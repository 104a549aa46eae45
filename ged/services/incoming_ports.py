"""What the archival repository says to the producer, as the GED keeps it (docs/exchanges.md,
the mailbox): the message, the dossiers it concerns, and for an authorization request before an
elimination the archivist's answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

AUTHORIZATION_REQUEST = "AuthorizationOriginatingAgencyRequest"
MODIFICATION_NOTICE = "ArchiveModificationNotification"
DESTRUCTION_NOTICE = "ArchiveDestructionNotification"


class IncomingState(StrEnum):
    AWAITING_ANSWER = "awaiting_answer"  # an authorization request no archivist answered yet
    ANSWERED = "answered"
    RECORDED = "recorded"  # a notice: recorded on its dossiers, nothing to answer


@dataclass(frozen=True)
class IncomingMessage:
    organisation_id: str
    message_identifier: str
    agreement: str
    message_type: str
    received_at: datetime
    raw: bytes
    units: tuple[str, ...]  # the repository's archive identifiers
    dossiers: tuple[str, ...]  # ours, from the transfers that named those archives
    state: IncomingState
    answer: str | None = None  # "granted" or "refused"
    comment: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None
    reply_identifier: str | None = None


class IncomingRepository(Protocol):
    def add(self, message: IncomingMessage) -> bool:
        """Inserts the message unless the organisation has it already; says whether it did."""
        ...

    def get(self, organisation_id: str, message_identifier: str) -> IncomingMessage | None: ...

    def save(self, message: IncomingMessage) -> None: ...

    def listing(
        self, organisation_id: str, state: IncomingState | None
    ) -> list[IncomingMessage]: ...
