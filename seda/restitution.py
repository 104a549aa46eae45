"""Restitution: ArchiveRestitutionRequest and ArchiveRestitutionRequestReply, 2.1 / 2.2 / 2.3
and 1.0 (seda-2.x-main.xsd; seda_v1-0_archiverestitution.xsd): a producer asks for its archives
back (when it leaves a mutualised service, for instance); in 2.x the reply may carry them
(`package`). 1.0 names the identifiers `RestitutionRequestIdentifier` and
`RestitutionRequestReplyIdentifier`; its separate `ArchiveRestitution` message has no 2.x
counterpart and is not built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from seda.exchange import BUSINESS, HEAD, REPLY, Kind, Spec, f
from seda.model import DataObjectPackage, Event


@dataclass(frozen=True)
class ArchiveRestitutionRequest:
    message_identifier: str
    date: datetime
    archival_agency: str
    originating_agency: str
    unit_identifiers: tuple[str, ...]
    comments: tuple[str, ...] = ()
    archival_agreement: str | None = None
    package: DataObjectPackage | None = None


@dataclass(frozen=True)
class ArchiveRestitutionRequestReply:
    message_identifier: str
    date: datetime
    request_identifier: str
    archival_agency: str
    originating_agency: str
    unit_identifiers: tuple[str, ...]
    reply_code: str | None = None
    comments: tuple[str, ...] = ()
    archival_agreement: str | None = None
    package: DataObjectPackage | None = None  # the archives given back
    events: tuple[Event, ...] = ()


_TAIL = (
    f("UnitIdentifier", "unit_identifiers", Kind.UNITS),
    f("ArchivalAgency", "archival_agency", Kind.AGENCY),
    f("OriginatingAgency", "originating_agency", Kind.AGENCY),
)
_TAIL_V1 = (
    f("UnitIdentifier", "unit_identifiers", Kind.UNITS),
    f("ArchivalAgency", "archival_agency", Kind.ORGANIZATION),
    f("OriginatingAgency", "originating_agency", Kind.ORGANIZATION),
)
SPECS = {
    ArchiveRestitutionRequest: {
        "2": Spec("ArchiveRestitutionRequest", (*HEAD, *BUSINESS, *_TAIL)),
        "1.0": Spec(
            "ArchiveRestitutionRequest",
            (
                f("Comment", "comments", Kind.TEXTS),
                f("Date", "date", Kind.DATETIME),
                f("RestitutionRequestIdentifier", "message_identifier", Kind.TEXT),
                *_TAIL_V1,
            ),
        ),
    },
    ArchiveRestitutionRequestReply: {
        "2": Spec("ArchiveRestitutionRequestReply", (*HEAD, *BUSINESS, *REPLY, *_TAIL)),
        "1.0": Spec(
            "ArchiveRestitutionRequestReply",
            (
                f("Comment", "comments", Kind.TEXTS),
                f("Date", "date", Kind.DATETIME),
                f("ReplyCode", "reply_code", Kind.OPTIONAL),
                f("RestitutionRequestIdentifier", "request_identifier", Kind.TEXT),
                f("RestitutionRequestReplyIdentifier", "message_identifier", Kind.TEXT),
                *_TAIL_V1,
            ),
        ),
    },
}
