"""The imports' persistence port: business identifiers, circuit histories, délibération links
(implemented in ``ged.adapters.db.inbound_repository``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ged.domain.inbound import DocumentEvent, InboundRecord, LinkClaim, Profile


class InboundRepository(Protocol):
    def get(
        self, organisation_id: str, profile: Profile, business_id: str
    ) -> InboundRecord | None: ...

    def claim(self, record: InboundRecord) -> bool:
        """Inserts the record unless its business identifier is known; says whether it did."""
        ...

    def add_events(self, events: Sequence[DocumentEvent]) -> None: ...

    def events_of(self, document_id: str) -> list[DocumentEvent]: ...

    def add_links(self, claims: Sequence[LinkClaim]) -> None: ...

    def claims_of(self, dossier_id: str) -> list[LinkClaim]:
        """The link sides a dossier's import recorded."""
        ...

    def links(self, organisation_id: str, keys: Sequence[str]) -> list[LinkClaim]:
        """Both sides of every link with one of these keys."""
        ...
