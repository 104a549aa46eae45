"""One streaming pass over a SEDA message checking what the XSD engine does not check.

Collected: every `id` (ArchiveUnit, DataObjectGroup, BinaryDataObject, PhysicalDataObject,
`DataObjectGroupId`) with its kind, the references (`DataObjectReferenceId`,
`DataObjectGroupReferenceId`, `ArchiveUnitRefId`, `SignedDocumentReferenceId`,
`Relationship/@target`), the unit links, the dates to compare (SEDA 2.x, DataObjectPackage).

Memory stays bounded whatever the number of units: finished subtrees are cleared; a reference
whose target is already known is checked on the spot and forgotten (in SEDA the objects come
before the units that point at them), only forward references are kept; each binary object is
handed to a callback (the package checks) instead of being stored. The same pass can carry the
streaming XSD validation (`schema=`), so a large manifest is parsed once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from seda.dates import check_content_dates, check_hold_dates
from seda.issues import Issue, Severity
from seda.refs import GROUPED_OBJECT, OBJECT, Reference, cycle_issues, pending_issues, target_issue
from seda.safexml import DEFAULT_XML_LIMITS, Opener, XmlLimits, iterparse_safe, line_of

REF_KINDS = {
    "DataObjectReferenceId": OBJECT,
    "DataObjectGroupReferenceId": "group",
    "ArchiveUnitRefId": "unit",
    "SignedDocumentReferenceId": "unit",
}


class BinaryRecord(NamedTuple):
    """What the package checks need of one BinaryDataObject."""

    id: str
    uri: str | None
    algorithm: str | None
    digest: str | None
    size: int | None
    line: int | None

    @property
    def xpath(self) -> str:
        return f"//BinaryDataObject[@id='{self.id}']"


@dataclass
class ScanResult:
    ids: dict[str, str] = field(default_factory=dict)  # id → kind
    pending: list[Reference] = field(default_factory=list)  # met before their target
    unit_edges: list[tuple[str, str]] = field(default_factory=list)
    has_unit_refs: bool = False
    issues: list[Issue] = field(default_factory=list)
    declared_profile: str | None = None


def owner_xpath(el: etree._Element, brace: str) -> str:
    """A readable XPath: from the nearest ancestor that has an id, else from the root."""
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        local = node.tag[len(brace) :] if isinstance(node.tag, str) else "?"
        ident = node.get("id")
        if ident is not None:
            steps.append(f"{local}[@id='{ident}']")
            return "//" + "/".join(reversed(steps))
        steps.append(local)
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


OnBinary = Callable[[BinaryRecord], None]
_Handler = Callable[["_Scanner", etree._Element], None]


class _Scanner:
    def __init__(self, namespace: str, on_binary: OnBinary | None, grouped: Severity) -> None:
        self.brace = brace = "{" + namespace + "}"
        self.result = ScanResult()
        self.on_binary = on_binary
        self.grouped = grouped
        self.handlers: dict[str, _Handler] = {brace + k: h for k, h in _HANDLERS.items()}
        self.tags = {local: brace + local for local in _CHILD_TAGS}
        self.ref_kinds = {brace + local: kind for local, kind in REF_KINDS.items()}
        self.binary_tags = (brace + "Uri", brace + "MessageDigest", brace + "Size")
        self.flat_group_tags = {brace + "DataObjectGroupId", brace + "DataObjectGroupReferenceId"}

    def handle(self, el: etree._Element) -> None:
        self.handlers[el.tag](self, el)  # iterparse filters on these tags

    def register_id(self, ident: str | None, kind: str, el: etree._Element) -> None:
        if not ident:
            return
        ids = self.result.ids
        if ident in ids:
            self.issue("ref_duplicate_id", f"identifiant en double : {ident}", el)
            return
        ids[ident] = kind

    def reference(self, el: etree._Element, kind: str, value: str) -> None:
        found = self.result.ids.get(value)
        if found is not None and (found == kind or kind == "any"):
            return  # the common case: resolved on the spot, nothing kept
        ref = Reference(value, kind, line_of(el), owner_xpath(el, self.brace))
        if found is None:
            self.result.pending.append(ref)
        elif (issue := target_issue(ref, found, self.grouped)) is not None:
            self.result.issues.append(issue)

    def issue(self, code: str, message: str, el: etree._Element) -> None:
        xpath = owner_xpath(el, self.brace)
        self.result.issues.append(Issue(code, Severity.ERROR, message, line_of(el), xpath))

    def finish(self) -> ScanResult:
        result = self.result
        result.issues.extend(pending_issues(result.pending, result.ids, self.grouped))
        if result.has_unit_refs:
            result.issues.extend(cycle_issues(result.unit_edges))
        return result


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


def _on_reference(scanner: _Scanner, el: etree._Element) -> None:
    scanner.reference(el, scanner.ref_kinds[el.tag], _text(el))


def _on_group_id(scanner: _Scanner, el: etree._Element) -> None:
    # Flat form: the first object of a group declares the group id (xs:ID) in this element.
    scanner.register_id(_text(el), "group", el)


def _on_relationship(scanner: _Scanner, el: etree._Element) -> None:
    target = el.get("target")
    if target:
        scanner.reference(el, "any", target)


def _on_unit(scanner: _Scanner, el: etree._Element) -> None:
    ident = el.get("id")
    scanner.register_id(ident, "unit", el)
    parent = el.getparent()
    if parent is not None and parent.tag == scanner.tags["ArchiveUnit"]:
        first = next(iter(el), None)  # a linking unit holds only its ArchiveUnitRefId
        if first is not None and first.tag == scanner.tags["ArchiveUnitRefId"]:
            scanner.result.has_unit_refs = True
            scanner.result.unit_edges.append((parent.get("id") or "", _text(first)))
        elif ident:
            scanner.result.unit_edges.append((parent.get("id") or "", ident))
    _release(el)


def _on_group(scanner: _Scanner, el: etree._Element) -> None:
    scanner.register_id(el.get("id"), "group", el)
    _release(el)


def _object_kind(scanner: _Scanner, el: etree._Element, flat_group: bool) -> str:
    """Nested form: the object sits in a DataObjectGroup; flat form: it names its group."""
    parent = el.getparent()
    in_group = parent is not None and parent.tag == scanner.tags["DataObjectGroup"]
    return GROUPED_OBJECT if in_group or flat_group else OBJECT


def _on_physical(scanner: _Scanner, el: etree._Element) -> None:
    flat_group = any(c.tag in scanner.flat_group_tags for c in el)
    scanner.register_id(el.get("id"), _object_kind(scanner, el, flat_group), el)
    _release_object(scanner, el)


def _on_binary(scanner: _Scanner, el: etree._Element) -> None:
    ident = el.get("id")
    record, flat_group = _binary_record(scanner, el, ident or "")
    scanner.register_id(ident, _object_kind(scanner, el, flat_group), el)
    if scanner.on_binary is not None:
        scanner.on_binary(record)
    _release_object(scanner, el)


def _release_object(scanner: _Scanner, el: etree._Element) -> None:
    parent = el.getparent()
    # An object inside a group is freed with its group, soon: spare a release per object.
    if parent is None or parent.tag != scanner.tags["DataObjectGroup"]:
        _release(el)


def _binary_record(scanner: _Scanner, el: etree._Element, ident: str) -> tuple[BinaryRecord, bool]:
    uri = algorithm = digest = size = None
    flat_group = False
    uri_tag, digest_tag, size_tag = scanner.binary_tags
    for child in el:  # one walk over the children instead of one find() per element
        tag = child.tag
        if tag == uri_tag:
            uri = _text(child)
        elif tag == digest_tag:
            algorithm, digest = child.get("algorithm"), _text(child)
        elif tag == size_tag:
            size = _text(child)
        elif tag in scanner.flat_group_tags:
            flat_group = True
    declared = int(size) if size is not None and size.isdigit() else None
    return BinaryRecord(ident, uri, algorithm, digest, declared, line_of(el)), flat_group


def _on_content(scanner: _Scanner, el: etree._Element) -> None:
    scanner.result.issues.extend(check_content_dates(el, scanner.brace, owner_xpath))


def _on_hold(scanner: _Scanner, el: etree._Element) -> None:
    scanner.result.issues.extend(check_hold_dates(el, scanner.brace, owner_xpath))


def _on_profile(scanner: _Scanner, el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None and parent.tag == scanner.tags["ManagementMetadata"]:
        scanner.result.declared_profile = _text(el) or None


def _on_finished(_scanner: _Scanner, el: etree._Element) -> None:
    _release(el)


_HANDLERS: dict[str, _Handler] = {
    **dict.fromkeys(REF_KINDS, _on_reference),
    "DataObjectGroupId": _on_group_id,
    "Relationship": _on_relationship,
    "ArchiveUnit": _on_unit,
    "DataObjectGroup": _on_group,
    "BinaryDataObject": _on_binary,
    "PhysicalDataObject": _on_physical,
    "Content": _on_content,
    "HoldRule": _on_hold,
    "ArchivalProfile": _on_profile,
    "ManagementMetadata": _on_finished,
    "CodeListVersions": _on_finished,
}
_CHILD_TAGS = ("ArchiveUnit", "ArchiveUnitRefId", "DataObjectGroup", "ManagementMetadata")


def _release(el: etree._Element) -> None:
    """Free a finished subtree and the finished siblings before it (bounded memory)."""
    el.clear(keep_tail=True)  # type: ignore[call-arg]  # lxml-stubs lack keep_tail
    parent = el.getparent()
    if parent is None:
        return
    while el.getprevious() is not None:
        del parent[0]


def scan(
    open_stream: Opener,
    namespace: str,
    limits: XmlLimits = DEFAULT_XML_LIMITS,
    *,
    on_binary: OnBinary | None = None,
    schema: etree.XMLSchema | None = None,
    grouped_object_refs: Severity = Severity.WARNING,
) -> ScanResult:
    """Stream the message once. Raises HostileXml / MalformedXml on refused input and, when
    `schema` is given, lxml's XMLSyntaxError at the first XSD error."""
    scanner = _Scanner(namespace, on_binary, grouped_object_refs)
    tags = list(scanner.handlers)
    events = iterparse_safe(open_stream, ("end",), schema=schema, limits=limits, tag=tags)
    for _event, el in events:
        scanner.handle(el)
    return scanner.finish()
