"""Read a SEDA 2.x ArchiveTransfer into the typed model (seda.model), for round trips.

Typed fields are filled where the element holds only what the model types; anything else is kept
verbatim as RawXml. Flat-form objects (`DataObjectGroupId` / `DataObjectGroupReferenceId` on
objects) are regrouped into the nested `DataObjectGroup` form, which is what we write.

The manifest is read in one streaming pass (``iterparse``): each object group and each unit is
turned into the model at its end and its elements freed, so what stays in memory is the model,
never the whole XML tree beside it (a tree of 10,000 units weighed 40 MiB more than their model).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from lxml import etree

from seda import model as m
from seda.content import read_content
from seda.errors import UnreadableValue
from seda.reading import SedaReader
from seda.safexml import DEFAULT_XML_LIMITS, Opener, XmlLimits, iterparse_safe, parse_document

_RULES = {
    "StorageRule": m.StorageRule,
    "AppraisalRule": m.AppraisalRule,
    "AccessRule": m.AccessRule,
    "DisseminationRule": m.DisseminationRule,
    "ReuseRule": m.ReuseRule,
    "ClassificationRule": m.ClassificationRule,
}
_FIELDS = {
    "StorageRule": "storage",
    "AppraisalRule": "appraisal",
    "AccessRule": "access",
    "DisseminationRule": "dissemination",
    "ReuseRule": "reuse",
    "ClassificationRule": "classification",
}


def read_transfer(open_stream: Opener, limits: XmlLimits = DEFAULT_XML_LIMITS) -> m.ArchiveTransfer:
    """The ArchiveTransfer as our model; a value that cannot be read as its type (a date that
    is not ISO 8601) is ``UnreadableValue``, never a bare ``ValueError``."""
    try:
        return _StreamingRead(open_stream, limits).transfer()
    except ValueError as exc:
        raise UnreadableValue(f"valeur illisible dans le bordereau : {exc}") from exc


def _transfer(root: etree._Element) -> m.ArchiveTransfer:
    r = SedaReader(root)
    found = root.find(r.brace + "DataObjectPackage")
    package = m.DataObjectPackage() if found is None else read_package(r, found)
    header = _header(r, root)
    return m.ArchiveTransfer(header, package.groups, package.units, package.management_metadata)


class _StreamingRead:
    """One pass: object groups (under ``DataObjectPackage``) and units (under
    ``DescriptiveMetadata`` or their parent unit) become the model at their end, then leave the
    tree; the header and ManagementMetadata are read from what is left at the end. A unit's
    children are built before it and handed to it. An element of another name directly under
    ``DescriptiveMetadata`` (the XSD refuses it) is read with its subtree at the end, after the
    units streamed."""

    def __init__(self, open_stream: Opener, limits: XmlLimits) -> None:
        self.open_stream, self.limits = open_stream, limits
        self.groups: dict[str, tuple[list[m.DataObject], list[m.RawXml]]] = {}
        self.units: list[m.ArchiveUnit] = []
        self.open_units: list[tuple[etree._Element, list[m.ArchiveUnit]]] = []

    def transfer(self) -> m.ArchiveTransfer:
        root = _first_element(self.open_stream, self.limits)
        if root is None:  # nothing to stream: the whole parse says what is wrong
            return _transfer(parse_document(self.open_stream, self.limits).getroot())
        r = SedaReader(root)
        names = ("DataObjectPackage", "DescriptiveMetadata", "ArchiveUnit", *_GROUPED)
        seen: etree._Element | None = None
        for event, el in iterparse_safe(
            self.open_stream, ("start", "end"), limits=self.limits, tag=[r.brace + n for n in names]
        ):
            seen = el
            if event == "start":
                self._start(r, el)
            else:
                self._end(r, el)
        if seen is None:  # no package at all: a small message, read whole
            return _transfer(parse_document(self.open_stream, self.limits).getroot())
        return self._assemble(r, seen.getroottree().getroot())

    def _start(self, r: SedaReader, el: etree._Element) -> None:
        if r.local(el) == "ArchiveUnit" and self._is_unit_place(r, el.getparent()):
            self.open_units.append((el, []))

    def _is_unit_place(self, r: SedaReader, parent: etree._Element | None) -> bool:
        if parent is None:
            return False
        if self.open_units:
            return parent is self.open_units[-1][0]
        return r.local(parent) == "DescriptiveMetadata"

    def _end(self, r: SedaReader, el: etree._Element) -> None:
        parent = el.getparent()
        name = r.local(el)
        if name == "ArchiveUnit" and self.open_units and self.open_units[-1][0] is el:
            _el, children = self.open_units.pop()
            unit = _unit(r, el, tuple(children))
            (self.open_units[-1][1] if self.open_units else self.units).append(unit)
        elif name in _GROUPED and parent is not None and r.local(parent) == "DataObjectPackage":
            _group_into(r, el, self.groups)
        else:
            return
        el.clear()
        if parent is not None:
            parent.remove(el)

    def _assemble(self, r: SedaReader, root: etree._Element) -> m.ArchiveTransfer:
        package = root.find(r.brace + "DataObjectPackage")
        units = self.units
        descriptive = None if package is None else package.find(r.brace + "DescriptiveMetadata")
        if descriptive is not None:
            units += [_unit(r, u) for u in r.children(descriptive)]
        groups = tuple(
            m.DataObjectGroup(k, tuple(o), tuple(x)) for k, (o, x) in self.groups.items()
        )
        mm = None if package is None else package.find(r.brace + "ManagementMetadata")
        management = _management_metadata(r, mm)
        if package is None:
            groups, units, management = (), [], m.DataObjectPackage().management_metadata
        return m.ArchiveTransfer(_header(r, root), groups, tuple(units), management)


_GROUPED = ("DataObjectGroup", "BinaryDataObject", "PhysicalDataObject")


def _first_element(open_stream: Opener, limits: XmlLimits) -> etree._Element | None:
    """The root element as the document's start gives it (its namespace names the version)."""
    events: Iterator[tuple[str, etree._Element]] = iterparse_safe(
        open_stream, ("start",), limits=limits
    )
    try:
        return next(events, (None, None))[1]
    finally:
        events.close()  # type: ignore[attr-defined]


def read_package(r: SedaReader, package: etree._Element) -> m.DataObjectPackage:
    """A DataObjectPackage, object groups in the nested form."""
    descriptive = package.find(r.brace + "DescriptiveMetadata")
    units = () if descriptive is None else tuple(_unit(r, u) for u in r.children(descriptive))
    mm_el = package.find(r.brace + "ManagementMetadata")
    return m.DataObjectPackage(tuple(_groups(r, package)), units, _management_metadata(r, mm_el))


def _header(r: SedaReader, root: etree._Element) -> m.TransferHeader:
    clv = root.find(r.brace + "CodeListVersions")
    return m.TransferHeader(
        version=r.version,
        message_identifier=r.text(root, "MessageIdentifier") or "",
        archival_agency=_agency(r, root.find(r.brace + "ArchivalAgency")),
        transferring_agency=_agency(r, root.find(r.brace + "TransferringAgency")),
        date=datetime.fromisoformat(r.text(root, "Date") or "1970-01-01T00:00:00"),
        archival_agreement=r.text(root, "ArchivalAgreement"),
        comments=r.texts(root, "Comment"),
        code_list_versions=tuple((r.local(c), c.text or "") for c in r.children(clv))
        if clv is not None
        else (),
        related_transfer_references=r.texts(root, "RelatedTransferReference"),
        transfer_request_reply_identifier=r.text(root, "TransferRequestReplyIdentifier"),
    )


def _agency(r: SedaReader, el: etree._Element | None) -> m.Agency:
    if el is None:
        return m.Agency("")
    extra = tuple(r.raw(c) for c in r.children(el) if r.local(c) != "Identifier")
    return m.Agency(r.text(el, "Identifier") or "", extra)


def _groups(r: SedaReader, package: etree._Element) -> list[m.DataObjectGroup]:
    groups: dict[str, tuple[list[m.DataObject], list[m.RawXml]]] = {}
    for el in r.children(package):
        _group_into(r, el, groups)
    return [m.DataObjectGroup(k, tuple(o), tuple(x)) for k, (o, x) in groups.items()]


def _group_into(
    r: SedaReader, el: etree._Element, groups: dict[str, tuple[list[m.DataObject], list[m.RawXml]]]
) -> None:
    """A child of DataObjectPackage into ``groups``: a group as it is, a flat-form object into
    the group it names."""
    name = r.local(el)
    if name == "DataObjectGroup":
        objects = [_object(r, o) for o in r.children(el) if r.local(o) != "LogBook"]
        logbook = [r.raw(o) for o in r.children(el) if r.local(o) == "LogBook"]
        groups[el.get("id") or ""] = (objects, logbook)
    elif name in ("BinaryDataObject", "PhysicalDataObject"):
        key = (
            r.text(el, "DataObjectGroupId")
            or r.text(el, "DataObjectGroupReferenceId")
            or "GOT_" + (el.get("id") or "")
        )
        groups.setdefault(key, ([], []))[0].append(_object(r, el, flat=True))


def _object(r: SedaReader, el: etree._Element, flat: bool = False) -> m.DataObject:
    skip = {"DataObjectGroupId", "DataObjectGroupReferenceId"} if flat else set()
    kids = [c for c in r.children(el) if r.local(c) not in skip]
    if r.local(el) == "PhysicalDataObject":
        typed = {"DataObjectVersion", "PhysicalId"}
        return m.PhysicalDataObject(
            el.get("id") or "",
            r.text(el, "DataObjectVersion"),
            r.text(el, "PhysicalId"),
            tuple(r.raw(c) for c in kids if r.local(c) not in typed),
        )
    return _binary(r, el, kids)


def _binary(r: SedaReader, el: etree._Element, kids: list[etree._Element]) -> m.BinaryDataObject:
    typed = {"DataObjectVersion", "Uri", "MessageDigest", "Size"}
    fmt_el, info_el = el.find(r.brace + "FormatIdentification"), el.find(r.brace + "FileInfo")
    fmt = None
    if fmt_el is not None:
        typed.add("FormatIdentification")
        fmt = m.FormatIdentification(
            r.text(fmt_el, "FormatLitteral"),
            r.text(fmt_el, "MimeType"),
            r.text(fmt_el, "FormatId"),
            r.text(fmt_el, "Encoding"),
        )
    info_typed = info_el is not None and {r.local(c) for c in r.children(info_el)} <= {
        "Filename",
        "LastModified",
    }
    if info_typed:
        typed.add("FileInfo")
    digest = el.find(r.brace + "MessageDigest")
    size = r.text(el, "Size")
    return m.BinaryDataObject(
        id=el.get("id") or "",
        uri=r.text(el, "Uri") or "",
        message_digest=(digest.text or "") if digest is not None else "",
        digest_algorithm=(digest.get("algorithm") or "") if digest is not None else "",
        size=int(size) if size else None,
        data_object_version=r.text(el, "DataObjectVersion"),
        format=fmt,
        filename=r.text(info_el, "Filename") if info_typed else None,
        last_modified=r.text(info_el, "LastModified") if info_typed else None,
        extra=tuple(r.raw(c) for c in kids if r.local(c) not in typed),
    )


def _unit(
    r: SedaReader, el: etree._Element, children: tuple[m.ArchiveUnit, ...] | None = None
) -> m.ArchiveUnit:
    """A unit; ``children``: its child units already read (streaming), else read from ``el``."""
    ident = el.get("id") or ""
    ref = r.text(el, "ArchiveUnitRefId")
    if ref is not None:
        return m.ArchiveUnit(ident, archive_unit_ref_id=ref)
    management = el.find(r.brace + "Management")
    refs = tuple(
        m.ObjectReference(
            r.text(d, "DataObjectReferenceId"), r.text(d, "DataObjectGroupReferenceId")
        )
        for d in el.findall(r.brace + "DataObjectReference")
    )
    return m.ArchiveUnit(
        ident,
        read_content(r, el.find(r.brace + "Content")),
        None if management is None else _management(r, management),
        tuple(_unit(r, c) for c in el.findall(r.brace + "ArchiveUnit"))
        if children is None
        else children,
        refs,
        r.text(el, "ArchiveUnitProfile"),
    )


def _management(r: SedaReader, el: etree._Element) -> m.Management:
    values: dict[str, object] = {}
    extra: list[m.RawXml] = []
    for child in r.children(el):
        name = r.local(child)
        if name in _RULES:
            values[_FIELDS[name]] = _category(r, child, name)
        elif name == "NeedAuthorization":
            values["need_authorization"] = (child.text or "").strip() in ("true", "1")
        elif name == "HoldRule":
            values["hold"] = _hold(r, child)
        else:
            extra.append(r.raw(child))
    return m.Management(**values, extra=tuple(extra))  # type: ignore[arg-type]


def _date(text: str | None) -> date | None:
    return None if not text else date.fromisoformat(text.strip()[:10])


def _bool(text: str | None) -> bool | None:
    return None if text is None else text.strip() in ("true", "1")


def _category(r: SedaReader, el: etree._Element, name: str) -> m.RuleCategory:
    rules: list[m.Rule] = []
    for child in r.children(el):
        if r.local(child) == "Rule":
            rules.append(m.Rule(child.text or ""))
        elif r.local(child) == "StartDate" and rules:
            rules[-1] = m.Rule(rules[-1].rule_id, _date(child.text))
    common: dict[str, Any] = {
        "rules": tuple(rules),
        "prevent_inheritance": _bool(r.text(el, "PreventInheritance")),
        "ref_non_rule_ids": r.texts(el, "RefNonRuleId"),
    }
    if name in ("StorageRule", "AppraisalRule"):
        common["final_action"] = r.text(el, "FinalAction") or ""
    if name == "ClassificationRule":
        common |= {
            "classification_level": r.text(el, "ClassificationLevel") or "",
            "classification_owner": r.text(el, "ClassificationOwner") or "",
            "classification_audience": r.text(el, "ClassificationAudience"),
            "classification_reassessing_date": _date(r.text(el, "ClassificationReassessingDate")),
            "need_reassessing_authorization": _bool(r.text(el, "NeedReassessingAuthorization")),
        }
    category: m.RuleCategory = _RULES[name](**common)
    return category


def _hold(r: SedaReader, el: etree._Element) -> m.HoldRule:
    items: list[dict[str, object]] = []
    keys = {
        "StartDate": "start_date",
        "HoldEndDate": "hold_end_date",
        "HoldReassessingDate": "hold_reassessing_date",
    }
    for child in r.children(el):
        name = r.local(child)
        if name == "Rule":
            items.append({"rule_id": child.text or ""})
        elif name in keys and items:
            items[-1][keys[name]] = _date(child.text)
        elif name in ("HoldOwner", "HoldReason") and items:
            items[-1]["hold_owner" if name == "HoldOwner" else "hold_reason"] = child.text or ""
        elif name == "PreventRearrangement" and items:
            items[-1]["prevent_rearrangement"] = _bool(child.text)
    return m.HoldRule(
        tuple(m.HoldRuleItem(**i) for i in items),  # type: ignore[arg-type]
        _bool(r.text(el, "PreventInheritance")),
        r.texts(el, "RefNonRuleId"),
    )


def _management_metadata(r: SedaReader, el: etree._Element | None) -> m.ManagementMetadata:
    if el is None:
        return m.ManagementMetadata()
    head = (
        "ArchivalProfile",
        "ServiceLevel",
        "AcquisitionInformation",
        "LegalStatus",
        "OriginatingAgencyIdentifier",
        "SubmissionAgencyIdentifier",
    )
    block = etree.Element("x")
    for child in r.children(el):
        if r.local(child) not in head:
            block.append(child)
    values = {_snake(h): r.text(el, h) for h in head}
    return m.ManagementMetadata(**values, rules=_management(r, block))


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
