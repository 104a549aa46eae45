"""ArchiveModificationNotification, 2.1 / 2.2 / 2.3 and 1.0 (seda-2.x-main.xsd;
seda_v1-0_archivemodification.xsd): the repository tells the producer it changed the metadata or
the rules of archives; in 2.x the new description travels in `package`. 1.0 names the identifier
`ModificationNotificationIdentifier`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from seda.exchange import BUSINESS, HEAD, Kind, Spec, f
from seda.model import DataObjectPackage


@dataclass(frozen=True)
class ArchiveModificationNotification:
    message_identifier: str
    date: datetime
    archival_agency: str
    originating_agency: str
    unit_identifiers: tuple[str, ...]
    comments: tuple[str, ...] = ()  # what changed, in words
    archival_agreement: str | None = None
    package: DataObjectPackage | None = None  # the units as they are now


SPECS = {
    ArchiveModificationNotification: {
        "2": Spec(
            "ArchiveModificationNotification",
            (
                *HEAD,
                *BUSINESS,
                f("UnitIdentifier", "unit_identifiers", Kind.UNITS),
                f("ArchivalAgency", "archival_agency", Kind.AGENCY),
                f("OriginatingAgency", "originating_agency", Kind.AGENCY),
            ),
        ),
        "1.0": Spec(
            "ArchiveModificationNotification",
            (
                f("Comment", "comments", Kind.TEXTS),
                f("Date", "date", Kind.DATETIME),
                f("ModificationNotificationIdentifier", "message_identifier", Kind.TEXT),
                f("UnitIdentifier", "unit_identifiers", Kind.UNITS),
                f("ArchivalAgency", "archival_agency", Kind.ORGANIZATION),
                f("OriginatingAgency", "originating_agency", Kind.ORGANIZATION),
            ),
        ),
    }
}
