"""What a SEDA 1.0 message describes, as read back (seda.v1.reader): archives, archive objects
and documents with their 1.0 codes (AR0xx, `conserver` / `detruire`, durations) as written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Seda1Rule:
    """AccessRestrictionRule (`duration` None) or AppraisalRule."""

    code: str
    start_date: date
    duration: str | None = None


@dataclass(frozen=True)
class Seda1Keyword:
    content: str
    reference: str | None = None
    type: str | None = None


@dataclass(frozen=True)
class Seda1Document:
    filename: str | None  # Attachment/@filename: the file in the package
    algorithm: str | None  # Integrity/@algorithme
    integrity: str | None
    size: int | None = None  # in bytes (unitCode AD)
    mime_code: str | None = None
    format: str | None = None
    identifier: str | None = None  # TransferringAgencyDocumentIdentifier
    types: tuple[str, ...] = ("CDO",)
    description: str | None = None  # as written by seda.v1: the file's original name


@dataclass(frozen=True)
class Seda1Unit:
    """An `Archive` (then `archival_agreement`, `archival_profile`, `service_levels` may be set)
    or an `ArchiveObject`."""

    name: str
    level: str | None = None
    description: str | None = None
    oldest_date: date | None = None
    latest_date: date | None = None
    custodial_history: tuple[tuple[str, date | None], ...] = ()
    keywords: tuple[Seda1Keyword, ...] = ()
    originating_agencies: tuple[str, ...] = ()
    access: Seda1Rule | None = None
    appraisal: Seda1Rule | None = None
    children: tuple[Seda1Unit, ...] = ()
    documents: tuple[Seda1Document, ...] = ()
    archival_agency_identifier: str | None = None
    originating_agency_identifier: str | None = None
    transferring_agency_identifier: str | None = None
    archival_agreement: str | None = None
    archival_profile: str | None = None
    service_levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Seda1Transfer:
    identifier: str  # TransferIdentifier
    date: datetime
    archival_agency: str
    transferring_agency: str
    archives: tuple[Seda1Unit, ...]
    comments: tuple[str, ...] = ()
    related_transfer_reference: str | None = None
    transfer_request_reply_identifier: str | None = None
