"""The two SEDA 2.1 / 2.2 / 2.3 messages of an elimination (seda-2.x-main.xsd, sections « Les
messages de demande d'autorisation » and « Les messages de notification »; the content models are
identical in the three versions, seda-notes.md §5):

* `AuthorizationControlAuthorityRequest` asks the control authority (contrôle scientifique et
  technique, Code du patrimoine R212-14) for the visa: the common head (`Comment*, Date,
  MessageIdentifier, ArchivalAgreement?, CodeListVersions, DataObjectPackage?`), then
  `AuthorizationRequestContent` (`AuthorizationReason, Comment*, RequestDate, UnitIdentifier+,
  Requester`), `ArchivalAgency` and `ControlAuthority`;
* `ArchiveDestructionNotification` reports the destruction once done: the same head, then
  `AuthorizationRequestReplyIdentifier` (the visa it relies on), `UnitIdentifier+`,
  `ArchivalAgency` and `OriginatingAgency`.

`UnitIdentifier` is a bare identifier, so the titles, references, covering dates and appraisal
rule of the units travel in the optional `DataObjectPackage`: one `ArchiveUnit` per titled unit
whose `Content/SystemId` is its `UnitIdentifier` (an ArchiveUnit needs a `Title`, so untitled
units are listed by identifier only). Elements are emitted in schema order; XSD sequences enforce
it. Parsing reads back what the builders write, by SEDA name, after the safe parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from seda.errors import InvalidXmlCharacter, NotSeda, SedaError
from seda.safexml import parse_bytes
from seda.versions import SedaVersion, qname, version_from_namespace

_Day = date  # the field named `date` (SEDA's Date) hides the type inside the classes
_FILE_LEVEL = "File"  # LevelType: an elimination is decided dossier by dossier (ISAD(G) file)


class NoUnitToDestroy(SedaError):
    """An elimination message must name at least one unit (`UnitIdentifier` is 1..n)."""

    code = "seda_no_unit"


class EmptyIdentifier(SedaError):
    """An identifier of the message is empty (`IdentifierType` is a non-empty token)."""

    code = "seda_empty_identifier"


@dataclass(frozen=True)
class UnitToDestroy:
    identifier: str  # UnitIdentifier, and Content/SystemId of the described unit
    title: str | None = None  # Content/Title; without it the unit is not described
    reference: str | None = None  # Content/OriginatingAgencyArchiveUnitIdentifier (cote)
    start_date: date | None = None  # Content/StartDate
    end_date: date | None = None  # Content/EndDate
    appraisal_rule: str | None = None  # Management/AppraisalRule/Rule, FinalAction Destroy


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


# -- building ---------------------------------------------------------------------------------
def build_authorization_request(
    version: SedaVersion, message: AuthorizationControlAuthorityRequest
) -> bytes:
    """The AuthorizationControlAuthorityRequest of `message`, UTF-8 with an XML declaration."""
    _check_identifiers(
        message.units,
        message.message_identifier,
        message.archival_agency,
        message.control_authority,
        message.requester,
        message.reason,
    )
    root = _root(version, "AuthorizationControlAuthorityRequest")
    _head(root, (), message.date, message.message_identifier, message.archival_agreement)
    _package(root, message.units)
    content = _add(root, "AuthorizationRequestContent")
    _add(content, "AuthorizationReason", message.reason)
    for comment in message.comments:
        _add(content, "Comment", comment)
    _add(content, "RequestDate", message.request_date.isoformat())
    _unit_identifiers(content, message.units)
    _agency(content, "Requester", message.requester)
    _agency(root, "ArchivalAgency", message.archival_agency)
    _agency(root, "ControlAuthority", message.control_authority)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def build_destruction_notification(
    version: SedaVersion, message: ArchiveDestructionNotification
) -> bytes:
    """The ArchiveDestructionNotification of `message`, UTF-8 with an XML declaration."""
    _check_identifiers(
        message.units,
        message.message_identifier,
        message.archival_agency,
        message.originating_agency,
        message.authorization_reply_identifier,
    )
    root = _root(version, "ArchiveDestructionNotification")
    _head(
        root, message.comments, message.date, message.message_identifier, message.archival_agreement
    )
    _package(root, message.units)
    _add(root, "AuthorizationRequestReplyIdentifier", message.authorization_reply_identifier)
    _unit_identifiers(root, message.units)
    _agency(root, "ArchivalAgency", message.archival_agency)
    _agency(root, "OriginatingAgency", message.originating_agency)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _check_identifiers(units: tuple[UnitToDestroy, ...], *values: str) -> None:
    if not units:
        raise NoUnitToDestroy("aucune unité d'archives à éliminer : message SEDA impossible")
    if any(not v.strip() for v in (*values, *(u.identifier for u in units))):
        raise EmptyIdentifier("identifiant vide dans un message d'élimination SEDA")


def _root(version: SedaVersion, name: str) -> etree._Element:
    ns = version.namespace
    return etree.Element(qname(version, name), nsmap={None: ns})  # type: ignore[dict-item]


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{etree.QName(parent).namespace}}}{name}")
    if text is not None:
        try:
            child.text = text
        except ValueError as exc:  # lxml refuses control characters XML 1.0 cannot carry
            raise InvalidXmlCharacter(f"{name} : caractère interdit en XML 1.0") from exc
    return child


def _head(
    root: etree._Element,
    comments: Iterable[str],
    when: datetime,
    identifier: str,
    agreement: str | None,
) -> None:
    """MessageType then BusinessMessageType: Comment*, Date, MessageIdentifier,
    ArchivalAgreement?, CodeListVersions (every child optional, so written empty)."""
    for comment in comments:
        _add(root, "Comment", comment)
    _add(root, "Date", when.isoformat())
    _add(root, "MessageIdentifier", identifier)
    if agreement is not None:
        _add(root, "ArchivalAgreement", agreement)
    _add(root, "CodeListVersions")


def _agency(parent: etree._Element, name: str, identifier: str) -> None:
    _add(_add(parent, name), "Identifier", identifier)


def _unit_identifiers(parent: etree._Element, units: Iterable[UnitToDestroy]) -> None:
    for unit in units:
        _add(parent, "UnitIdentifier", unit.identifier)


def _package(root: etree._Element, units: Iterable[UnitToDestroy]) -> None:
    """DataObjectPackage: no data object, DescriptiveMetadata (the titled units),
    ManagementMetadata (all its children are optional)."""
    described = [u for u in units if u.title]
    if not described:
        return
    package = _add(root, "DataObjectPackage")
    descriptive = _add(package, "DescriptiveMetadata")
    for number, unit in enumerate(described, start=1):
        _archive_unit(descriptive, f"unit-{number}", unit)
    _add(package, "ManagementMetadata")


def _archive_unit(parent: etree._Element, xml_id: str, unit: UnitToDestroy) -> None:
    element = _add(parent, "ArchiveUnit")
    element.set("id", xml_id)  # xs:ID: dossier identifiers may start with a digit
    if unit.appraisal_rule is not None:
        rule = _add(_add(element, "Management"), "AppraisalRule")
        _add(rule, "Rule", unit.appraisal_rule)
        _add(rule, "FinalAction", "Destroy")
    content = _add(element, "Content")
    _add(content, "DescriptionLevel", _FILE_LEVEL)
    _add(content, "Title", unit.title)
    _add(content, "SystemId", unit.identifier)
    if unit.reference:
        _add(content, "OriginatingAgencyArchiveUnitIdentifier", unit.reference)
    if unit.start_date is not None:
        _add(content, "StartDate", unit.start_date.isoformat())
    if unit.end_date is not None:
        _add(content, "EndDate", unit.end_date.isoformat())


# -- parsing ----------------------------------------------------------------------------------
def parse_authorization_request(
    data: bytes,
) -> tuple[SedaVersion, AuthorizationControlAuthorityRequest]:
    """Reads back an AuthorizationControlAuthorityRequest (no schema validation here)."""
    root, version = _parse(data, "AuthorizationControlAuthorityRequest")
    q = _Reader(version)
    content = q.one(root, "AuthorizationRequestContent")
    return version, AuthorizationControlAuthorityRequest(
        message_identifier=q.text(root, "MessageIdentifier"),
        date=datetime.fromisoformat(q.text(root, "Date")),
        archival_agency=q.text(q.one(root, "ArchivalAgency"), "Identifier"),
        control_authority=q.text(q.one(root, "ControlAuthority"), "Identifier"),
        requester=q.text(q.one(content, "Requester"), "Identifier"),
        reason=q.text(content, "AuthorizationReason"),
        request_date=date.fromisoformat(q.text(content, "RequestDate")),
        units=q.units(root, content),
        comments=tuple(q.texts(content, "Comment")),
        archival_agreement=q.optional(root, "ArchivalAgreement"),
    )


def parse_destruction_notification(
    data: bytes,
) -> tuple[SedaVersion, ArchiveDestructionNotification]:
    """Reads back an ArchiveDestructionNotification (no schema validation here)."""
    root, version = _parse(data, "ArchiveDestructionNotification")
    q = _Reader(version)
    return version, ArchiveDestructionNotification(
        message_identifier=q.text(root, "MessageIdentifier"),
        date=datetime.fromisoformat(q.text(root, "Date")),
        archival_agency=q.text(q.one(root, "ArchivalAgency"), "Identifier"),
        originating_agency=q.text(q.one(root, "OriginatingAgency"), "Identifier"),
        authorization_reply_identifier=q.text(root, "AuthorizationRequestReplyIdentifier"),
        units=q.units(root, root),
        comments=tuple(q.texts(root, "Comment")),
        archival_agreement=q.optional(root, "ArchivalAgreement"),
    )


def _parse(data: bytes, expected: str) -> tuple[etree._Element, SedaVersion]:
    root = parse_bytes(data).getroot()
    version = version_from_namespace(etree.QName(root).namespace)
    if etree.QName(root).localname != expected:
        raise NotSeda(f"{etree.QName(root).localname} reçu, {expected} attendu")
    return root, version


class _Reader:
    """Children of one SEDA version's elements, by SEDA name."""

    def __init__(self, version: SedaVersion) -> None:
        self.version = version

    def all(self, parent: etree._Element, name: str) -> list[etree._Element]:
        return parent.findall(qname(self.version, name))

    def one(self, parent: etree._Element, name: str) -> etree._Element:
        found = parent.find(qname(self.version, name))
        if found is None:
            raise NotSeda(f"élément {name} absent")
        return found

    def texts(self, parent: etree._Element, name: str) -> list[str]:
        return [(e.text or "").strip() for e in self.all(parent, name)]

    def text(self, parent: etree._Element, name: str) -> str:
        return (self.one(parent, name).text or "").strip()

    def optional(self, parent: etree._Element, name: str) -> str | None:
        found = parent.find(qname(self.version, name))
        return None if found is None else (found.text or "").strip()

    def units(self, root: etree._Element, holder: etree._Element) -> tuple[UnitToDestroy, ...]:
        described = {u.identifier: u for u in self._described(root)}
        return tuple(
            described.get(identifier, UnitToDestroy(identifier))
            for identifier in self.texts(holder, "UnitIdentifier")
        )

    def _described(self, root: etree._Element) -> Iterable[UnitToDestroy]:
        path = ("DataObjectPackage", "DescriptiveMetadata", "ArchiveUnit")
        for unit in root.iterfind("/".join(qname(self.version, p) for p in path)):
            content = self.one(unit, "Content")
            rule = unit.find(
                "/".join(qname(self.version, p) for p in ("Management", "AppraisalRule", "Rule"))
            )
            start, end = self.optional(content, "StartDate"), self.optional(content, "EndDate")
            yield UnitToDestroy(
                identifier=self.text(content, "SystemId"),
                title=self.text(content, "Title"),
                reference=self.optional(content, "OriginatingAgencyArchiveUnitIdentifier"),
                start_date=date.fromisoformat(start) if start else None,
                end_date=date.fromisoformat(end) if end else None,
                appraisal_rule=None if rule is None else (rule.text or "").strip(),
            )
