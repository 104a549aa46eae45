"""Reading back the elimination messages seda.destruction builds (SEDA 2.1 / 2.2 / 2.3), by
SEDA name after the safe parser, no schema validation here: the described units of the
DataObjectPackage give each `UnitIdentifier` its title, cote, dates and appraisal rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from lxml import etree

from seda.elimination import (
    ArchiveDestructionNotification,
    AuthorizationControlAuthorityRequest,
    AuthorizationOriginatingAgencyRequest,
    UnitToDestroy,
)
from seda.errors import NotSeda
from seda.safexml import parse_bytes
from seda.versions import SedaVersion, qname, version_from_namespace


def parse_authorization_request(
    data: bytes,
) -> tuple[SedaVersion, AuthorizationControlAuthorityRequest]:
    """Reads back an AuthorizationControlAuthorityRequest (no schema validation here)."""
    root, version = _parse(data, "AuthorizationControlAuthorityRequest")
    q = _Reader(version)
    authority = q.text(q.one(root, "ControlAuthority"), "Identifier")
    return version, AuthorizationControlAuthorityRequest(
        control_authority=authority, **q.request(root)
    )


def parse_originating_agency_request(
    data: bytes,
) -> tuple[SedaVersion, AuthorizationOriginatingAgencyRequest]:
    """Reads back an AuthorizationOriginatingAgencyRequest (no schema validation here)."""
    root, version = _parse(data, "AuthorizationOriginatingAgencyRequest")
    q = _Reader(version)
    agency = q.text(q.one(root, "OriginatingAgency"), "Identifier")
    return version, AuthorizationOriginatingAgencyRequest(
        originating_agency=agency, **q.request(root)
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

    def request(self, root: etree._Element) -> dict[str, Any]:
        """The fields both authorization requests share."""
        content = self.one(root, "AuthorizationRequestContent")
        return {
            "message_identifier": self.text(root, "MessageIdentifier"),
            "date": datetime.fromisoformat(self.text(root, "Date")),
            "archival_agency": self.text(self.one(root, "ArchivalAgency"), "Identifier"),
            "requester": self.text(self.one(content, "Requester"), "Identifier"),
            "reason": self.text(content, "AuthorizationReason"),
            "request_date": date.fromisoformat(self.text(content, "RequestDate")),
            "units": self.units(root, content),
            "comments": tuple(self.texts(content, "Comment")),
            "archival_agreement": self.optional(root, "ArchivalAgreement"),
        }

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
