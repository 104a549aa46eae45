"""Relations between documents: an e-mail and its attachments, a document and its detached
signatures. A relation links two documents of the same dossier; it is written in the
transaction that files the related document."""

from __future__ import annotations

from typing import Protocol

from ged.domain.model import Relation


class RelationRepository(Protocol):
    def add(self, document_id: str, relation: Relation, target_id: str) -> None: ...

    def targets(self, document_id: str, relation: Relation) -> list[str]:
        """The documents ``document_id`` relates to (the message of an attachment)."""
        ...

    def in_dossier(self, dossier_id: str, relation: Relation) -> dict[str, list[str]]:
        """The relations of the dossier's documents: each source's targets."""
        ...

    def sources(self, target_id: str, relation: Relation) -> list[str]:
        """The documents that relate to ``target_id`` (a message's attachments)."""
        ...

    def named(self, dossier_id: str, filename: str) -> list[str]:
        """The documents of the dossier whose current version bears ``filename``."""
        ...
