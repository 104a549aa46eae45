"""Acknowledgement and ArchiveTransferReply (SEDA 2.x): build them, and parse them leniently into
one normalised outcome.

Replies are read without schema validation (As@lae and Vitam both send replies the official XSD
rejects) and by local name, whatever the SEDA namespace. Vitam answers `OK` / `WARNING` / `KO`
with `MessageIdentifier` = its operation id and `MessageRequestIdentifier` = our transfer's id;
As@lae answers `000` for accepted (SEDA 0.2 reply codes) with the two identifiers the other way
round (shared/reference/connector-contracts-verified.md).

A reply is read in one streaming pass: each unit of its ``DescriptiveMetadata`` (a reply to a
transfer of 100,000 documents names 100,000 of them) is read at its end and leaves the tree, so
what stays is the identifiers, never the whole tree beside them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from lxml import etree

from seda.errors import NotSeda
from seda.safexml import iterparse_safe, parse_bytes
from seda.versions import NAMESPACE_PREFIX, SEDA_1_0, SedaVersion


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
    REJECTED = "rejected"
    RECEIVED = "received"  # an Acknowledgement: received, not yet judged


@dataclass(frozen=True, slots=True)  # one per unit of the reply: 100,000 for a large transfer
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
    root, described = _read(data)
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
        described.archive_identifiers(dialect),
        _events(root),
        described.units(dialect),
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


_AGENCY_ID, _SYSTEM_ID = "ArchivalAgencyArchiveUnitIdentifier", "SystemId"


@dataclass(frozen=True, slots=True)
class _Seen:
    """What a unit of the reply says of itself: its ``id`` and, in each of its Content, its
    As@lae and Vitam identifiers (the dialect, told by ReplyCode, chooses at the end)."""

    reference: str
    agency_ids: tuple[str | None, ...]
    system_ids: tuple[str | None, ...]
    top_level: bool


@dataclass
class _Described:
    """The units under ``DataObjectPackage/DescriptiveMetadata`` (nested ones included, in
    document order: a unit's slot is taken at its start, filled at its end) and every
    ``Content/SystemId`` of the reply."""

    slots: list[_Seen | None] = field(default_factory=list)
    open: list[tuple[etree._Element, int, bool]] = field(default_factory=list)
    system_ids: list[str] = field(default_factory=list)
    texts: dict[etree._Element, str] = field(default_factory=dict)  # SystemIds of the open unit

    def start(self, el: etree._Element) -> None:
        if etree.QName(el).localname != "ArchiveUnit":
            return
        parent = el.getparent()
        if self.open and parent is self.open[-1][0]:
            top_level = False
        elif _is_described(parent):
            top_level = True
        else:
            return
        self.open.append((el, len(self.slots), top_level))
        self.slots.append(None)

    def end(self, el: etree._Element) -> None:
        parent = el.getparent()
        if etree.QName(el).localname == _SYSTEM_ID:
            if parent is not None and etree.QName(parent).localname == "Content":
                text = (el.text or "").strip()
                self.system_ids.append(text)
                self.texts[el] = text  # the same string for the unit that holds it
            return
        if not self.open or self.open[-1][0] is not el:
            return
        _el, slot, top_level = self.open.pop()
        contents = _children(el, "Content")
        self.slots[slot] = _Seen(
            (el.get("id") or "").strip(),
            _shared(tuple(_text(c, _AGENCY_ID) for c in contents)),
            tuple(self._system_id(c) for c in contents),
            top_level,
        )
        self.texts.clear()
        el.clear()
        if parent is not None:
            parent.remove(el)

    def _system_id(self, content: etree._Element) -> str | None:
        found = _children(content, _SYSTEM_ID)
        if not found:
            return None
        return self.texts.get(found[0]) or (found[0].text or "").strip()

    def archive_identifiers(self, dialect: str) -> tuple[str, ...]:
        """As@lae's ``ArchivalAgencyArchiveUnitIdentifier`` of each top-level unit; for other
        dialects, every ``Content/SystemId``, in document order."""
        if dialect != "asalae":
            return tuple(v for v in self.system_ids if v)
        seen = (s for s in self.slots if s is not None and s.top_level)
        return tuple(v for s in seen for v in s.agency_ids if v)

    def units(self, dialect: str) -> tuple[ReplyUnit, ...]:
        """Every described unit with an archive identifier: As@lae's
        ``ArchivalAgencyArchiveUnitIdentifier``, else Vitam's ``SystemId`` (and the other way
        round for other dialects), nested units included."""
        found = []
        for s in self.slots:
            if s is None:
                continue
            texts = (
                (s.agency_ids, s.system_ids)
                if dialect == "asalae"
                else (s.system_ids, s.agency_ids)
            )
            identifier = next((t for group in texts for t in group if t), None)
            if identifier:
                found.append(ReplyUnit(s.reference, identifier, s.top_level))
        return tuple(found)


_NONE: Final = (None,)


def _shared(texts: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """The same tuple for every unit with one Content and no such identifier (Vitam's replies
    name no As@lae identifier: 100,000 tuples of one None)."""
    return _NONE if texts == _NONE else texts


def _is_described(parent: etree._Element | None) -> bool:
    """Whether ``parent`` is the reply's ``DataObjectPackage/DescriptiveMetadata``."""
    if parent is None or etree.QName(parent).localname != "DescriptiveMetadata":
        return False
    package = parent.getparent()
    if package is None or etree.QName(package).localname != "DataObjectPackage":
        return False
    root = package.getparent()
    return root is not None and root.getparent() is None


def _read(data: bytes) -> tuple[etree._Element, _Described]:
    """The reply's tree without its described units, and what they said."""
    described = _Described()
    root: etree._Element | None = None
    events = iterparse_safe(
        lambda: io.BytesIO(data), ("start", "end"), tag=["{*}ArchiveUnit", "{*}" + _SYSTEM_ID]
    )
    for event, el in events:
        if root is None:
            root = el.getroottree().getroot()
        if event == "start":
            described.start(el)
        else:
            described.end(el)
    if root is None:  # no unit and no SystemId: nothing to stream
        root = parse_bytes(data).getroot()
    return root, described


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
