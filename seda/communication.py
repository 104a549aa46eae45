"""Communication: ArchiveDeliveryRequest and ArchiveDeliveryRequestReply, 2.1 / 2.2 / 2.3 and
1.0 (seda-2.x-main.xsd; seda_v1-0_archivedelivery.xsd).

The request names the units wanted and whether a derogation to the access rules is asked; the
reply carries the repository's answer and, in 2.x, the DIP's description (the objects with their
digests, `package`). 1.0 names the identifiers `DeliveryRequestIdentifier` (the request's) and
`DeliveryRequestReplyIdentifier` (the reply's) and has no agreement, package or operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from seda.exchange import BUSINESS, HEAD, REPLY, Kind, Spec, f
from seda.model import DataObjectPackage, Event


@dataclass(frozen=True)
class ArchiveDeliveryRequest:
    message_identifier: str
    date: datetime
    archival_agency: str
    requester: str
    unit_identifiers: tuple[str, ...]
    derogation: bool = False  # communication asked before the access delay is over
    comments: tuple[str, ...] = ()
    archival_agreement: str | None = None
    package: DataObjectPackage | None = None


@dataclass(frozen=True)
class ArchiveDeliveryRequestReply:
    message_identifier: str
    date: datetime
    request_identifier: str  # the request answered
    archival_agency: str
    requester: str
    unit_identifiers: tuple[str, ...]
    reply_code: str | None = None
    authorization_reply_identifier: str | None = None  # the derogation granted, if any
    comments: tuple[str, ...] = ()
    archival_agreement: str | None = None
    package: DataObjectPackage | None = None  # the DIP: units, objects and their digests
    events: tuple[Event, ...] = ()


_TAIL = (
    f("UnitIdentifier", "unit_identifiers", Kind.UNITS),
    f("ArchivalAgency", "archival_agency", Kind.AGENCY),
    f("Requester", "requester", Kind.AGENCY),
)
_TAIL_V1 = (
    f("UnitIdentifier", "unit_identifiers", Kind.UNITS),
    f("ArchivalAgency", "archival_agency", Kind.ORGANIZATION),
    f("Requester", "requester", Kind.ORGANIZATION),
)
SPECS = {
    ArchiveDeliveryRequest: {
        "2": Spec(
            "ArchiveDeliveryRequest",
            (*HEAD, *BUSINESS, f("Derogation", "derogation", Kind.BOOL), *_TAIL),
        ),
        "1.0": Spec(
            "ArchiveDeliveryRequest",
            (
                f("Comment", "comments", Kind.TEXTS),
                f("Date", "date", Kind.DATETIME),
                f("DeliveryRequestIdentifier", "message_identifier", Kind.TEXT),
                f("Derogation", "derogation", Kind.BOOL),
                *_TAIL_V1,
            ),
        ),
    },
    ArchiveDeliveryRequestReply: {
        "2": Spec(
            "ArchiveDeliveryRequestReply",
            (
                *HEAD,
                *BUSINESS,
                *REPLY,
                f(
                    "AuthorizationRequestReplyIdentifier",
                    "authorization_reply_identifier",
                    Kind.OPTIONAL,
                ),
                *_TAIL,
            ),
        ),
        "1.0": Spec(
            "ArchiveDeliveryRequestReply",
            (
                f("Comment", "comments", Kind.TEXTS),
                f("Date", "date", Kind.DATETIME),
                f(
                    "AuthorizationRequestReplyIdentifier",
                    "authorization_reply_identifier",
                    Kind.OPTIONAL,
                ),
                f("DeliveryRequestIdentifier", "request_identifier", Kind.TEXT),
                f("DeliveryRequestReplyIdentifier", "message_identifier", Kind.TEXT),
                f("ReplyCode", "reply_code", Kind.OPTIONAL),
                *_TAIL_V1,
            ),
        ),
    },
}
