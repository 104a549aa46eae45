"""The elimination exchange (SEDA 2.1 / 2.2 / 2.3 and 1.0): the repository asks the producer
(`AuthorizationOriginatingAgencyRequest`) and, where required, the control authority
(`AuthorizationControlAuthorityRequest`, Code du patrimoine R212-14), each answers with its
`…RequestReply`, and the destruction is reported by `ArchiveDestructionNotification`.

The 2.x requests and the notification describe their units in a DataObjectPackage and are built
by seda.destruction; the replies, and every SEDA 1.0 form (seda_v1-0_authorization.xsd,
seda_v1-0_archivedestruction.xsd: identifiers named after the message, units by identifier only,
`AuthorisationReason` `communication` or `destruction`, and for the control authority the
producer's answer, `OriginatingAgencyAuthorization`), by the specs below (seda.exchange).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from seda.errors import NoUnit, VersionMismatch
from seda.exchange import BUSINESS, HEAD, REPLY, Field, Kind, Spec, f
from seda.model import Event

_Day = date  # the field named `date` (SEDA's Date) hides the type inside the classes


class NoUnitToDestroy(NoUnit):
    """An elimination message must name at least one unit (`UnitIdentifier` is 1..n)."""


@dataclass(frozen=True)
class UnitToDestroy:
    identifier: str  # UnitIdentifier, and Content/SystemId of the described unit
    title: str | None = None  # Content/Title; without it the unit is not described
    reference: str | None = None  # Content/OriginatingAgencyArchiveUnitIdentifier (cote)
    start_date: date | None = None  # Content/StartDate
    end_date: date | None = None  # Content/EndDate
    appraisal_rule: str | None = None  # Management/AppraisalRule/Rule, FinalAction Destroy


@dataclass(frozen=True)
class ProducerAuthorization:
    """The producer's answer to an AuthorizationOriginatingAgencyRequest, which SEDA 1.0 joins to
    the request to the control authority (`OriginatingAgencyAuthorization`, 1.0 only)."""

    granted: bool  # Answer
    reply_identifier: str  # AuthorizationOriginatingAgencyRequestReplyIdentifier
    originating_agency: str
    comments: tuple[str, ...]  # 1..n in SEDA 1.0


@dataclass(frozen=True)
class AuthorizationControlAuthorityRequest:
    message_identifier: str
    date: datetime
    archival_agency: str  # ArchivalAgency/Identifier
    control_authority: str  # ControlAuthority/Identifier
    requester: str  # AuthorizationRequestContent/Requester/Identifier
    reason: str  # AuthorizationRequestContent/AuthorizationReason
    request_date: _Day
    units: tuple[UnitToDestroy, ...]
    comments: tuple[str, ...] = ()  # AuthorizationRequestContent/Comment
    archival_agreement: str | None = None
    producer_authorization: ProducerAuthorization | None = None  # SEDA 1.0 only (required)


@dataclass(frozen=True)
class AuthorizationOriginatingAgencyRequest:
    """The repository asks the producer to agree (to an elimination, a communication…)."""

    message_identifier: str
    date: datetime
    archival_agency: str  # ArchivalAgency/Identifier
    originating_agency: str  # OriginatingAgency/Identifier
    requester: str  # AuthorizationRequestContent/Requester/Identifier
    reason: str  # AuthorizationRequestContent/AuthorizationReason
    request_date: _Day
    units: tuple[UnitToDestroy, ...]
    comments: tuple[str, ...] = ()  # AuthorizationRequestContent/Comment
    archival_agreement: str | None = None


@dataclass(frozen=True)
class ArchiveDestructionNotification:
    message_identifier: str
    date: datetime
    archival_agency: str  # ArchivalAgency/Identifier
    originating_agency: str  # OriginatingAgency/Identifier
    authorization_reply_identifier: str  # AuthorizationRequestReplyIdentifier
    units: tuple[UnitToDestroy, ...]
    comments: tuple[str, ...] = ()  # message Comment
    archival_agreement: str | None = None


@dataclass(frozen=True)
class AuthorizationOriginatingAgencyRequestReply:
    message_identifier: str
    date: datetime
    request_identifier: str
    archival_agency: str
    originating_agency: str
    reply_code: str | None = None  # the producer's answer (e.g. 000: agreed)
    comments: tuple[str, ...] = ()
    archival_agreement: str | None = None
    events: tuple[Event, ...] = ()


@dataclass(frozen=True)
class AuthorizationControlAuthorityRequestReply:
    message_identifier: str
    date: datetime
    request_identifier: str
    archival_agency: str
    control_authority: str
    reply_code: str | None = None  # the visa given or refused
    comments: tuple[str, ...] = ()
    archival_agreement: str | None = None
    events: tuple[Event, ...] = ()


def _identifiers(units: tuple[UnitToDestroy, ...]) -> tuple[str, ...]:
    """SEDA 1.0 names the units by identifier only: a description would be lost, so refused."""
    described = [u.identifier for u in units if u != UnitToDestroy(u.identifier)]
    if described:
        raise VersionMismatch(
            f"SEDA 1.0 ne décrit pas les unités d'un message d'élimination : {', '.join(described)}"
        )
    return tuple(u.identifier for u in units)


def _units(identifiers: tuple[str, ...]) -> tuple[UnitToDestroy, ...]:
    return tuple(UnitToDestroy(i) for i in identifiers)


_UNITS_V1 = f("UnitIdentifier", "units", Kind.UNITS, to_xml=_identifiers, from_xml=_units)
_REASONS_V1 = ("communication", "destruction")  # seda_v1-0_authorisationReason_code.xsd
_REQUEST_V1 = f(
    "Request",
    None,
    Kind.GROUP,
    f("AuthorisationReason", "reason", Kind.TEXT, choices=_REASONS_V1),
    f("RequestDate", "request_date", Kind.DATE),
    _UNITS_V1,
    f("Requester", "requester", Kind.ORGANIZATION),
)
_PRODUCER_V1 = f(
    "OriginatingAgencyAuthorization",
    "producer_authorization",
    Kind.GROUP,
    f("Answer", "granted", Kind.BOOL),
    f("AuthorizationOriginatingAgencyRequestReplyIdentifier", "reply_identifier", Kind.TEXT),
    f("Comment", "comments", Kind.TEXTS, at_least_one=True),
    f("OriginatingAgency", "originating_agency", Kind.ORGANIZATION),
    factory=ProducerAuthorization,
)


def _reply_v1(name: str, authority: str) -> tuple[Field, ...]:
    return (
        f("Comment", "comments", Kind.TEXTS),
        f("Date", "date", Kind.DATETIME),
        f(f"{name}Identifier", "request_identifier", Kind.TEXT),
        f(f"{name}ReplyIdentifier", "message_identifier", Kind.TEXT),
        f("ReplyCode", "reply_code", Kind.OPTIONAL),
        f("ArchivalAgency", "archival_agency", Kind.ORGANIZATION),
        f(authority, authority_attribute(authority), Kind.ORGANIZATION),
    )


def authority_attribute(element: str) -> str:
    return "originating_agency" if element == "OriginatingAgency" else "control_authority"


SPECS = {
    AuthorizationOriginatingAgencyRequest: {
        "1.0": Spec(
            "AuthorizationOriginatingAgencyRequest",
            (
                f("Comment", "comments", Kind.TEXTS),
                f("Date", "date", Kind.DATETIME),
                f(
                    "AuthorizationOriginatingAgencyRequestIdentifier",
                    "message_identifier",
                    Kind.TEXT,
                ),
                f("ArchivalAgency", "archival_agency", Kind.ORGANIZATION),
                f("OriginatingAgency", "originating_agency", Kind.ORGANIZATION),
                _REQUEST_V1,
            ),
        ),
    },
    AuthorizationControlAuthorityRequest: {
        "1.0": Spec(
            "AuthorizationControlAuthorityRequest",
            (
                f("Comment", "comments", Kind.TEXTS),
                f("Date", "date", Kind.DATETIME),
                f(
                    "AuthorizationControlAuthorityRequestIdentifier",
                    "message_identifier",
                    Kind.TEXT,
                ),
                f("ArchivalAgency", "archival_agency", Kind.ORGANIZATION),
                f("ControlAuthority", "control_authority", Kind.ORGANIZATION),
                _PRODUCER_V1,
                _REQUEST_V1,
            ),
        ),
    },
    ArchiveDestructionNotification: {
        "1.0": Spec(
            "ArchiveDestructionNotification",
            (
                f("Comment", "comments", Kind.TEXTS),
                f("Date", "date", Kind.DATETIME),
                f(
                    "AuthorizationRequestReplyIdentifier",
                    "authorization_reply_identifier",
                    Kind.TEXT,
                ),
                f("DestructionNotificationIdentifier", "message_identifier", Kind.TEXT),
                _UNITS_V1,
                f("ArchivalAgency", "archival_agency", Kind.ORGANIZATION),
                f("OriginatingAgency", "originating_agency", Kind.ORGANIZATION),
            ),
        ),
    },
    AuthorizationOriginatingAgencyRequestReply: {
        "2": Spec(
            "AuthorizationOriginatingAgencyRequestReply",
            (
                *HEAD,
                *BUSINESS[:2],
                *REPLY,
                f("ArchivalAgency", "archival_agency", Kind.AGENCY),
                f("OriginatingAgency", "originating_agency", Kind.AGENCY),
            ),
        ),
        "1.0": Spec(
            "AuthorizationOriginatingAgencyRequestReply",
            _reply_v1("AuthorizationOriginatingAgencyRequest", "OriginatingAgency"),
        ),
    },
    AuthorizationControlAuthorityRequestReply: {
        "2": Spec(
            "AuthorizationControlAuthorityRequestReply",
            (
                *HEAD,
                *BUSINESS[:2],
                *REPLY,
                f("ArchivalAgency", "archival_agency", Kind.AGENCY),
                f("ControlAuthority", "control_authority", Kind.AGENCY),
            ),
        ),
        "1.0": Spec(
            "AuthorizationControlAuthorityRequestReply",
            _reply_v1("AuthorizationControlAuthorityRequest", "ControlAuthority"),
        ),
    },
}
