"""Acknowledgement and ArchiveTransferReply (SEDA 2.x): build them, and parse them leniently into
one normalised outcome.

Replies are read without schema validation (As@lae and Vitam both send replies the official XSD
rejects) and by local name, whatever the SEDA namespace. Vitam answers `OK` / `WARNING` / `KO`
with `MessageIdentifier` = its operation id and `MessageRequestIdentifier` = our transfer's id;
As@lae answers `000` for accepted (SEDA 0.2 reply codes) with the two identifiers the other way
round (shared/reference/connector-contracts-verified.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from lxml import etree

from seda.errors import NotSeda
from seda.safexml import parse_bytes
from seda.versions import NAMESPACE_PREFIX, SEDA_1_0, SedaVersion


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
    REJECTED = "rejected"
    RECEIVED = "received"  # an Acknowledgement: received, not yet judged


@dataclass(frozen=True)
class ReplyUnit:
    """An ArchiveUnit of the reply that carries an archive identifier (SEDA 2.x
    ``DataObjectPackage/DescriptiveMetadata``): ``reference`` is its ``id`` attribute, the
    manifest's unit id where the repository keeps it (Vitam and As@lae do), "" when absent;
    ``top_level`` when it sits directly under DescriptiveMetadata."""

    reference: str
    identifier: str
    top_level: bool


@dataclass(frozen=True)
class ReplyEvent:
    """One ``Operation/Event`` of a reply, every field as the repository wrote it ("" when
    absent): ``EventDetailData`` is where Vitam says which agency, profile or rule it refused."""

    identifier: str
    type_code: str
    type: str
    date_time: str
    detail: str
    outcome: str
    outcome_detail: str
    outcome_detail_message: str
    detail_data: str


_EVENT_FIELDS = {
    "identifier": "EventIdentifier",
    "type_code": "EventTypeCode",
    "type": "EventType",
    "date_time": "EventDateTime",
    "detail": "EventDetail",
    "outcome": "Outcome",
    "outcome_detail": "OutcomeDetail",
    "outcome_detail_message": "OutcomeDetailMessage",
    "detail_data": "EventDetailData",
}


@dataclass(frozen=True)
class ReplyOutcome:
    outcome: Outcome
    message_type: str
    reply_code: str | None
    dialect: str  # "vitam", "asalae" or "unknown"
    reply_identifier: str | None
    transfer_identifier: str | None
    archive_identifiers: tuple[str, ...]
    events: tuple[tuple[str, str, str], ...]  # (EventTypeCode, Outcome, OutcomeDetailMessage)
    units: tuple[ReplyUnit, ...] = ()  # every unit with an identifier, in document order
    comments: tuple[str, ...] = ()  # every Comment: As@lae gives its reasons only there
    operation: tuple[ReplyEvent, ...] = ()  # every Operation/Event, in full


_ACCEPTED = {"OK", "000"}
_WARNINGS = {"WARNING", "001", "002"}


def outcome_of(code: str | None) -> Outcome:
    value = (code or "").strip().upper()
    if value in _ACCEPTED:
        return Outcome.ACCEPTED
    if value in _WARNINGS:
        return Outcome.ACCEPTED_WITH_WARNINGS
    return Outcome.REJECTED


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str) and etree.QName(c).localname == name]


def _text(el: etree._Element, name: str) -> str | None:
    found = _children(el, name)
    return None if not found else (found[0].text or "").strip()


def _path(el: etree._Element, *names: str) -> list[etree._Element]:
    level = [el]
    for name in names:
        level = [c for parent in level for c in _children(parent, name)]
    return level


def parse_reply(
    data: bytes, *, transfer_identifier: str | None = None, seda_only: bool = False
) -> ReplyOutcome:
    """Normalise an ArchiveTransferReply or Acknowledgement from any repository; with
    ``seda_only``, a root outside every SEDA namespace is ``NotSeda``."""
    root = parse_bytes(data).getroot()
    if etree.QName(root).namespace == SEDA_1_0.namespace:
        from seda.v1.replies import outcome_v1  # imported here: it builds on this module

        return outcome_v1(root)
    kind = etree.QName(root).localname
    if seda_only and not (etree.QName(root).namespace or "").startswith(NAMESPACE_PREFIX):
        raise NotSeda(f"{kind} hors de tout espace de noms SEDA")
    if kind == "Acknowledgement":
        return ReplyOutcome(
            Outcome.RECEIVED,
            kind,
            None,
            "unknown",
            _text(root, "MessageIdentifier"),
            _text(root, "MessageReceivedIdentifier"),
            (),
            (),
        )
    if kind != "ArchiveTransferReply":
        raise NotSeda(f"{kind} n'est pas une réponse à un transfert")
    code = _text(root, "ReplyCode")
    dialect = "asalae" if (code or "").isdecimal() else "vitam" if code else "unknown"
    reply_id, transfer_id = _identifiers(root, dialect, transfer_identifier)
    return ReplyOutcome(
        outcome_of(code),
        kind,
        code,
        dialect,
        reply_id,
        transfer_id,
        _archive_identifiers(root, dialect),
        _events(root),
        _units(root, dialect),
        tuple(text for c in _children(root, "Comment") if (text := (c.text or "").strip())),
        _operation(root),
    )


def _identifiers(
    root: etree._Element, dialect: str, expected: str | None
) -> tuple[str | None, str | None]:
    message = _text(root, "MessageIdentifier") or None
    request = _text(root, "MessageRequestIdentifier") or None
    if expected is not None and message == expected:
        return request, message
    if expected is not None and request == expected:
        return message, request
    return (request, message) if dialect == "asalae" else (message, request)


def _archive_identifiers(root: etree._Element, dialect: str) -> tuple[str, ...]:
    units = _path(root, "DataObjectPackage", "DescriptiveMetadata", "ArchiveUnit")
    if dialect == "asalae":
        values = [
            _text(c, "ArchivalAgencyArchiveUnitIdentifier")
            for u in units
            for c in _children(u, "Content")
        ]
    else:
        values = [
            (s.text or "").strip()
            for s in root.iter()
            if isinstance(s.tag, str)
            and etree.QName(s).localname == "SystemId"
            and s.getparent() is not None
            and etree.QName(s.getparent()).localname == "Content"
        ]
    return tuple(v for v in values if v)


def _units(root: etree._Element, dialect: str) -> tuple[ReplyUnit, ...]:
    """Every described unit with an archive identifier: As@lae's
    ``ArchivalAgencyArchiveUnitIdentifier``, else Vitam's ``SystemId`` (and the other way round
    for other dialects), nested units included."""
    names = ("ArchivalAgencyArchiveUnitIdentifier", "SystemId")
    if dialect != "asalae":
        names = names[::-1]
    found = []
    for described in _path(root, "DataObjectPackage", "DescriptiveMetadata"):
        for unit, top_level in _walk_units(described, True):
            texts = [_text(c, n) for n in names for c in _children(unit, "Content")]
            identifier = next((t for t in texts if t), None)
            if identifier:
                found.append(ReplyUnit((unit.get("id") or "").strip(), identifier, top_level))
    return tuple(found)


def _walk_units(parent: etree._Element, top_level: bool) -> Iterator[tuple[etree._Element, bool]]:
    for unit in _children(parent, "ArchiveUnit"):
        yield unit, top_level
        yield from _walk_units(unit, False)


def _operation(root: etree._Element) -> tuple[ReplyEvent, ...]:
    return tuple(
        ReplyEvent(**{key: _text(e, name) or "" for key, name in _EVENT_FIELDS.items()})
        for e in _path(root, "Operation", "Event")
    )


def _events(root: etree._Element) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (
            _text(e, "EventTypeCode") or "",
            _text(e, "Outcome") or "",
            _text(e, "OutcomeDetailMessage") or "",
        )
        for e in _path(root, "Operation", "Event")
    )


def _element(ns: str, name: str, text: str | None = None) -> etree._Element:
    el = etree.Element(f"{{{ns}}}{name}", nsmap={None: ns})  # type: ignore[dict-item]
    if text is not None:
        el.text = text
    return el


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{etree.QName(parent).namespace}}}{name}")
    if text is not None:
        child.text = text
    return child


def _agency(parent: etree._Element, name: str, identifier: str) -> None:
    _add(_add(parent, name), "Identifier", identifier)


def build_acknowledgement(
    version: SedaVersion,
    *,
    message_identifier: str,
    received_identifier: str,
    sender: str,
    receiver: str,
    date: datetime,
    comment: str | None = None,
) -> bytes:
    root = _element(version.namespace, "Acknowledgement")
    if comment is not None:
        _add(root, "Comment", comment)
    _add(root, "Date", date.isoformat())
    _add(root, "MessageIdentifier", message_identifier)
    _add(root, "MessageReceivedIdentifier", received_identifier)
    _agency(root, "Sender", sender)
    _agency(root, "Receiver", receiver)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def build_transfer_reply(
    version: SedaVersion,
    *,
    message_identifier: str,
    request_identifier: str,
    reply_code: str,
    archival_agency: str,
    transferring_agency: str,
    date: datetime,
    grant_date: datetime | None = None,
    comment: str | None = None,
) -> bytes:
    """An ArchiveTransferReply as we answer (MessageRequestIdentifier = the transfer's id)."""
    root = _element(version.namespace, "ArchiveTransferReply")
    if comment is not None:
        _add(root, "Comment", comment)
    _add(root, "Date", date.isoformat())
    _add(root, "MessageIdentifier", message_identifier)
    _add(root, "CodeListVersions")
    _add(root, "ReplyCode", reply_code)
    _add(root, "MessageRequestIdentifier", request_identifier)
    if grant_date is not None:
        _add(root, "GrantDate", grant_date.isoformat())
    _agency(root, "ArchivalAgency", archival_agency)
    _agency(root, "TransferringAgency", transferring_agency)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)
