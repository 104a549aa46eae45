"""Reading SEDA 1.0 messages by their 1.0 names (no schema validation here; the validator does
that): the ArchiveTransfer, and the `Archive` descriptions other messages carry."""

from __future__ import annotations

from datetime import date, datetime

from lxml import etree

from seda.errors import NotSeda
from seda.safexml import DEFAULT_XML_LIMITS, Opener, XmlLimits, parse_bytes, parse_document
from seda.v1.codes import BYTE
from seda.v1.model import Seda1Document, Seda1Keyword, Seda1Rule, Seda1Transfer, Seda1Unit
from seda.versions import SEDA_1_0

NS = "{" + SEDA_1_0.namespace + "}"


def text(el: etree._Element | None, name: str) -> str | None:
    found = None if el is None else el.find(NS + name)
    return None if found is None else (found.text or "").strip()


def required(el: etree._Element, name: str) -> str:
    value = text(el, name)
    if value is None:
        raise NotSeda(f"élément {name} absent de {etree.QName(el).localname}")
    return value


def texts(el: etree._Element, name: str) -> tuple[str, ...]:
    return tuple((c.text or "").strip() for c in el.findall(NS + name))


def identification(el: etree._Element, name: str) -> str:
    """OrganizationType: its `Identification`."""
    found = el.find(NS + name)
    if found is None:
        raise NotSeda(f"élément {name} absent de {etree.QName(el).localname}")
    return required(found, "Identification")


def root_of(data: bytes, expected: str) -> etree._Element:
    root = parse_bytes(data).getroot()
    if etree.QName(root).namespace != SEDA_1_0.namespace:
        raise NotSeda(f"{etree.QName(root).namespace!r} n'est pas l'espace de noms de SEDA 1.0")
    if etree.QName(root).localname != expected:
        raise NotSeda(f"{etree.QName(root).localname} reçu, {expected} attendu")
    return root


def read_transfer_v1(open_stream: Opener, limits: XmlLimits = DEFAULT_XML_LIMITS) -> Seda1Transfer:
    root = parse_document(open_stream, limits).getroot()
    if root.tag != NS + "ArchiveTransfer":
        raise NotSeda(f"{root.tag} n'est pas un ArchiveTransfer SEDA 1.0")
    return Seda1Transfer(
        identifier=required(root, "TransferIdentifier"),
        date=datetime.fromisoformat(required(root, "Date")),
        archival_agency=identification(root, "ArchivalAgency"),
        transferring_agency=identification(root, "TransferringAgency"),
        archives=archives(root),
        comments=texts(root, "Comment"),
        related_transfer_reference=text(root, "RelatedTransferReference"),
        transfer_request_reply_identifier=text(root, "TransferRequestReplyIdentifier"),
    )


def archives(holder: etree._Element) -> tuple[Seda1Unit, ...]:
    return tuple(_unit(a, "Archive") for a in holder.findall(NS + "Archive"))


def _unit(el: etree._Element, kind: str) -> Seda1Unit:
    suffix = kind[len("Archive") :] or "Archive"  # ArchiveObject → Object
    description = el.find(NS + "ContentDescription")
    return Seda1Unit(
        name=required(el, "Name"),
        level=text(description, "DescriptionLevel"),
        description=text(description, "Description"),
        oldest_date=_date(text(description, "OldestDate")),
        latest_date=_date(text(description, "LatestDate")),
        custodial_history=_custodial(description),
        keywords=() if description is None else _keywords(description),
        originating_agencies=_agencies(description),
        access=_rule(el.find(NS + "AccessRestrictionRule")),
        appraisal=_rule(el.find(NS + "AppraisalRule")),
        children=tuple(_unit(c, "ArchiveObject") for c in el.findall(NS + "ArchiveObject")),
        documents=tuple(_document(d) for d in el.findall(NS + "Document")),
        archival_agency_identifier=text(el, f"ArchivalAgency{suffix}Identifier"),
        originating_agency_identifier=text(el, f"OriginatingAgency{suffix}Identifier"),
        transferring_agency_identifier=text(el, f"TransferringAgency{suffix}Identifier"),
        archival_agreement=text(el, "ArchivalAgreement"),
        archival_profile=text(el, "ArchivalProfile"),
        service_levels=texts(el, "ServiceLevel"),
    )


def _date(value: str | None) -> date | None:
    return None if not value else date.fromisoformat(value[:10])


def _rule(el: etree._Element | None) -> Seda1Rule | None:
    if el is None:
        return None
    start = date.fromisoformat(required(el, "StartDate")[:10])
    return Seda1Rule(required(el, "Code"), start, text(el, "Duration"))


def _custodial(description: etree._Element | None) -> tuple[tuple[str, date | None], ...]:
    history = None if description is None else description.find(NS + "CustodialHistory")
    if history is None:
        return ()
    items = history.findall(NS + "CustodialHistoryItem")
    return tuple(((i.text or "").strip(), _date(i.get("when"))) for i in items)


def _keywords(description: etree._Element) -> tuple[Seda1Keyword, ...]:
    return tuple(
        Seda1Keyword(
            required(k, "KeywordContent"), text(k, "KeywordReference"), text(k, "KeywordType")
        )
        for k in description.findall(NS + "Keyword")
    )


def _agencies(description: etree._Element | None) -> tuple[str, ...]:
    if description is None:
        return ()
    return tuple(
        required(a, "Identification") for a in description.findall(NS + "OriginatingAgency")
    )


def _document(el: etree._Element) -> Seda1Document:
    attachment = el.find(NS + "Attachment")
    integrity = el.find(NS + "Integrity")
    size = el.find(NS + "Size")
    counted = (size.text or "").strip() if size is not None and size.get("unitCode") == BYTE else ""
    return Seda1Document(
        filename=None if attachment is None else attachment.get("filename"),
        algorithm=None if integrity is None else integrity.get("algorithme"),
        integrity=None if integrity is None else (integrity.text or "").strip(),
        size=int(counted) if counted else None,
        mime_code=None if attachment is None else attachment.get("mimeCode"),
        format=None if attachment is None else attachment.get("format"),
        identifier=text(el, "TransferringAgencyDocumentIdentifier"),
        types=texts(el, "Type"),
        description=text(el, "Description"),
    )
