"""The filing model: organisations, services, the classification plan, dossiers, documents.

Plain classes, no I/O. Identifiers are UUID strings assigned by the services. Times are aware
UTC datetimes; calendar dates (opening, closing, document dates) are ``date``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from kernel.errors import ConflictError, InvalidError, Issue


class Role(enum.StrEnum):
    AGENT = "agent"
    RECORDS_OFFICER = "records_officer"
    ARCHIVIST = "archivist"
    ADMIN = "admin"
    APPLICATION = "application"


class PrincipalKind(enum.StrEnum):
    """A person signs in as a user; a program as an application client."""

    USER = "user"
    APPLICATION = "application"


class DossierStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ExtractionStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    UNSUPPORTED = "unsupported"


class Relation(enum.StrEnum):
    """How one document relates to another (SEDA ``RelatedObjectReference``: IsPartOf,
    References)."""

    ATTACHMENT_OF = "attachment_of"  # an e-mail's attachment, filed as a document
    SIGNATURE_OF = "signature_of"  # a detached signature (.p7s) of the document it signs


class Damage(enum.StrEnum):
    """What became of a version's stored bytes when they no longer match its digests."""

    MISSING = "missing"
    ALTERED = "altered"


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Service:
    """An originating agency (service producteur) with its SEDA identifier."""

    id: str
    organisation_id: str
    name: str
    seda_identifier: str


@dataclass(frozen=True)
class PlanNode:
    """A node of the classification plan (plan de classement)."""

    id: str
    organisation_id: str
    code: str
    label: str
    parent_id: str | None = None


class DossierClosed(ConflictError):
    code = "dossier_closed"
    title = "Le dossier est clos"


@dataclass
class Dossier:
    id: str
    organisation_id: str
    service_id: str
    plan_node_id: str | None
    title: str
    opened_on: date
    status: DossierStatus = DossierStatus.OPEN
    closed_on: date | None = None
    description: str = ""
    reference: str = ""

    def close(self, on: date) -> None:
        if self.status is DossierStatus.CLOSED:
            raise DossierClosed(f"Le dossier {self.id} est déjà clos")
        if on < self.opened_on:
            raise InvalidError(
                "La date de clôture précède la date d'ouverture",
                issues=[Issue("closing_before_opening", "closed_on < opened_on", path="closed_on")],
            )
        self.status = DossierStatus.CLOSED
        self.closed_on = on

    def ensure_open(self) -> None:
        if self.status is DossierStatus.CLOSED:
            raise DossierClosed(
                f"Le dossier {self.id} est clos : aucun document ne peut y être versé"
            )


@dataclass
class Metadata:
    """Descriptive metadata of a document (maps to SEDA's DescriptiveMetadata content)."""

    title: str
    description: str = ""
    author: str = ""
    language: str = "fra"
    document_type: str = ""
    keywords: list[str] = field(default_factory=list)
    created_on: date | None = None
    received_on: date | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        issues: list[Issue] = []
        if not self.title.strip():
            issues.append(Issue("title_required", "Le titre est obligatoire", path="title"))
        if len(self.title) > 1000:
            issues.append(Issue("title_too_long", "Titre de plus de 1000 caractères", path="title"))
        if len(self.extra) > 100:
            issues.append(Issue("too_many_fields", "Plus de 100 champs libres", path="extra"))
        for key, value in self.extra.items():
            if not key or len(key) > 100 or len(value) > 10_000:
                issues.append(
                    Issue("bad_field", f"Champ libre invalide : {key[:100]!r}", path="extra")
                )
        if issues:
            raise InvalidError("Métadonnées invalides", issues=issues)


@dataclass(frozen=True)
class Version:
    """One immutable version of a document's content."""

    document_id: str
    number: int
    sha256: str
    sha512: str
    size: int
    filename: str
    mime_type: str
    puid: str | None
    format_name: str
    created_at: datetime
    created_by: str
    extraction_status: ExtractionStatus = ExtractionStatus.PENDING
    extraction_error: str | None = None
    # set when the stored bytes were found missing or altered, cleared once repaired
    damage: Damage | None = None


@dataclass
class Document:
    id: str
    organisation_id: str
    dossier_id: str
    service_id: str
    metadata: Metadata
    created_at: datetime
    updated_at: datetime
    current_version: int = 0
