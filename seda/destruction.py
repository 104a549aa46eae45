"""The SEDA 2.1 / 2.2 / 2.3 requests and notification of an elimination, as built here with their
units described (seda-2.x-main.xsd, sections « Les messages de demande d'autorisation » and « Les
messages de notification »; the content models are identical in the three versions, seda-notes.md
§5). The dataclasses, the replies and the SEDA 1.0 forms are in seda.elimination.

* `AuthorizationOriginatingAgencyRequest` asks the producer to agree, and
  `AuthorizationControlAuthorityRequest` asks the control authority (contrôle scientifique et
  technique, Code du patrimoine R212-14) for the visa: the common head (`Comment*, Date,
  MessageIdentifier, ArchivalAgreement?, CodeListVersions, DataObjectPackage?`), then
  `AuthorizationRequestContent` (`AuthorizationReason, Comment*, RequestDate, UnitIdentifier+,
  Requester`), `ArchivalAgency` and `OriginatingAgency` or `ControlAuthority`;
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
from datetime import datetime

from lxml import etree

from seda.destruction_read import (
    parse_authorization_request,
    parse_destruction_notification,
    parse_originating_agency_request,
)
from seda.elimination import (
    ArchiveDestructionNotification,
    AuthorizationControlAuthorityRequest,
    AuthorizationOriginatingAgencyRequest,
    NoUnitToDestroy,
    ProducerAuthorization,
    UnitToDestroy,
)
from seda.errors import EmptyIdentifier, InvalidXmlCharacter, VersionMismatch
from seda.versions import SedaVersion, qname

__all__ = [
    "ArchiveDestructionNotification",
    "AuthorizationControlAuthorityRequest",
    "AuthorizationOriginatingAgencyRequest",
    "EmptyIdentifier",
    "NoUnitToDestroy",
    "ProducerAuthorization",
    "UnitToDestroy",
    "build_authorization_request",
    "build_destruction_notification",
    "build_originating_agency_request",
    "parse_authorization_request",
    "parse_destruction_notification",
    "parse_originating_agency_request",
]
_FILE_LEVEL = "File"  # LevelType: an elimination is decided dossier by dossier (ISAD(G) file)


# -- building ---------------------------------------------------------------------------------
def build_authorization_request(
    version: SedaVersion, message: AuthorizationControlAuthorityRequest
) -> bytes:
    """The AuthorizationControlAuthorityRequest of `message`, UTF-8 with an XML declaration."""
    if message.producer_authorization is not None:
        raise VersionMismatch(
            "l'accord du service producteur joint à la demande (OriginatingAgencyAuthorization) "
            "n'existe qu'en SEDA 1.0"
        )
    authority = ("ControlAuthority", message.control_authority)
    return _authorization_request(
        version, "AuthorizationControlAuthorityRequest", message, authority
    )


def build_originating_agency_request(
    version: SedaVersion, message: AuthorizationOriginatingAgencyRequest
) -> bytes:
    """The AuthorizationOriginatingAgencyRequest of `message`, UTF-8 with an XML declaration."""
    authority = ("OriginatingAgency", message.originating_agency)
    return _authorization_request(
        version, "AuthorizationOriginatingAgencyRequest", message, authority
    )


def _authorization_request(
    version: SedaVersion,
    name: str,
    message: AuthorizationControlAuthorityRequest | AuthorizationOriginatingAgencyRequest,
    authority: tuple[str, str],
) -> bytes:
    """BusinessAuthorizationRequestMessageType: head, package, AuthorizationRequestContent,
    ArchivalAgency, then the authority asked (ControlAuthority or OriginatingAgency)."""
    _check_identifiers(
        message.units,
        message.message_identifier,
        message.archival_agency,
        authority[1],
        message.requester,
        message.reason,
    )
    root = _root(version, name)
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
    _agency(root, *authority)
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
