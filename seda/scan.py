"""One streaming pass over a SEDA message checking what the XSD engine does not check.

Collected: every `id` (ArchiveUnit, DataObjectGroup, BinaryDataObject, PhysicalDataObject,
`DataObjectGroupId`) with its kind, the references (`DataObjectReferenceId`,
`DataObjectGroupReferenceId`, `ArchiveUnitRefId`, `SignedDocumentReferenceId`,
`Relationship/@target`), the unit links, the dates to compare (SEDA 2.x, DataObjectPackage).

Memory stays bounded whatever the number of units: finished subtrees are cleared; the ids and
the unit links go to the caller's index (``seda.idindex``, on disk for the repository); a reference whose target is already
known is checked on the spot and forgotten (in SEDA the objects come before the units that point
at them), only forward references are kept; each binary object is handed to a callback (the
package checks) instead of being stored. The same pass can carry the
streaming XSD validation (`schema=`), so a large manifest is parsed once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from lxml import etree

from seda.dates import check_content_dates, check_hold_dates
from seda.idindex import IdIndex, MemoryIdIndex
from seda.issues import Issue, Severity
from seda.refs import GROUPED_OBJECT, OBJECT, Reference, cycle_issues, pending_issues, target_issue
from seda.safexml import (
    DEFAULT_XML_LIMITS,
    Opener,
    XmlLimits,
    iterparse_safe,
    line_of,
    owner_xpath,
    release,
)

REF_KINDS = {
    "DataObjectReferenceId": OBJECT,
    "DataObjectGroupReferenceId": "group",
    "ArchiveUnitRefId": "unit",
    "SignedDocumentReferenceId": "unit",
}


class BinaryRecord(NamedTuple):
    """What the package checks need of one BinaryDataObject (or SEDA 1.0 Document)."""

    id: str
    uri: str | None
    algorithm: str | None
    digest: str | None
    size: int | None
    line: int | None
    path: str | None = None  # where the object is described, when not a BinaryDataObject

    @property
    def xpath(self) -> str:
        return self.path or f"//BinaryDataObject[@id='{self.id}']"


@dataclass
class ScanResult:
    pending: list[Reference] = field(default_factory=list)  # met before their target
    has_unit_refs: bool = False
    issues: list[Issue] = field(default_factory=list)
    declared_profile: str | None = None


OnBinary = Callable[[BinaryRecord], None]
_Handler = Callable[["_Scanner", etree._Element], None]


def _text(el: etree._Element) -> str:
    return (el.text or "").strip()


class _Scanner:
    def __init__(
        self, namespace: str, on_binary: OnBinary | None, grouped: Severity, ids: IdIndex
    ) -> None:
        self.brace = brace = "{" + namespace + "}"
        self.result = ScanResult()
        self.ids = ids  # id → kind, and the unit links
        self.on_binary = on_binary
        self.grouped = grouped
        self.handlers: dict[str, _Handler] = {brace + k: h for k, h in _HANDLERS.items()}
        self.tags = {local: brace + local for local in _CHILD_TAGS}
        self.ref_kinds = {brace + local: kind for local, kind in REF_KINDS.items()}
        self.group: etree._Element | None = None  # the object group being read (nested form)

    def handle(self, el: etree._Element) -> None:
        self.handlers[el.tag](self, el)  # iterparse filters on these tags

    def register_id(self, ident: str | None, kind: str, el: etree._Element) -> None:
        if not ident:
            return
        if not self.ids.add(ident, kind):
            message, xpath = f"identifiant en double : {ident}", owner_xpath(el, self.brace)
            issue = Issue("ref_duplicate_id", Severity.ERROR, message, line_of(el), xpath)
            self.result.issues.append(issue)

    def reference(self, el: etree._Element, kind: str, value: str) -> None:
        found = self.ids.get(value)
        if found is not None and (found == kind or kind == "any"):
            return  # the common case: resolved on the spot, nothing kept
        ref = Reference(value, kind, line_of(el), owner_xpath(el, self.brace))
        if found is None:
            self.result.pending.append(ref)
        elif (issue := target_issue(ref, found, self.grouped)) is not None:
            self.result.issues.append(issue)

    def finish(self) -> ScanResult:
        result = self.result
        result.issues.extend(pending_issues(result.pending, self.ids.get, self.grouped))
        if result.has_unit_refs:
            result.issues.extend(cycle_issues(self.ids.edges()))
        return result


def _on_unit(scanner: _Scanner, el: etree._Element) -> None:
    """A finished unit: its id, its Content dates and signed-document links, its rules' hold
    dates, its object references, its link to another unit. Child units were handled before."""
    t = scanner.tags
    ident = el.get("id")
    scanner.register_id(ident, "unit", el)
    linked: str | None = None
    for child in el:
        tag = child.tag
        if tag == t["Content"]:
            scanner.result.issues.extend(check_content_dates(child, scanner.brace, owner_xpath))
            for signed in child.iter(t["SignedDocumentReferenceId"]):
                scanner.reference(signed, "unit", _text(signed))
        elif tag == t["Management"]:
            for hold in child.iterchildren(t["HoldRule"]):
                scanner.result.issues.extend(check_hold_dates(hold, scanner.brace, owner_xpath))
        elif tag == t["DataObjectReference"]:
            for ref in child:
                kind = scanner.ref_kinds.get(ref.tag)
                if kind is not None:
                    scanner.reference(ref, kind, _text(ref))
        elif tag == t["ArchiveUnitRefId"]:
            linked = _text(child)
            scanner.reference(child, "unit", linked)
    parent = el.getparent()
    nested = parent is not None and parent.tag == t["ArchiveUnit"]
    if nested and parent is not None:
        if linked is not None:
            scanner.result.has_unit_refs = True
        target = linked if linked is not None else ident
        if target:
            scanner.ids.add_edge(parent.get("id") or "", target)
    if nested:
        _release_unit(el, t["ArchiveUnit"])
    else:
        release(el)


def _release_unit(el: etree._Element, unit_tag: str) -> None:
    """Free a finished unit nested in another one. Only the finished units before it go: the
    parent's Content, Management and object references are read when the parent ends."""
    el.clear(keep_tail=True)  # type: ignore[call-arg]  # lxml-stubs lack keep_tail
    parent = el.getparent()
    previous = el.getprevious()
    while parent is not None and previous is not None:
        if isinstance(previous.tag, str) and previous.tag != unit_tag:
            break
        parent.remove(previous)
        previous = el.getprevious()


def _enter_group(scanner: _Scanner, group: etree._Element) -> None:
    """First object of a group (nested form): register the group, free the groups before it."""
    if group is scanner.group:
        return
    scanner.register_id(group.get("id"), "group", group)
    package = group.getparent()
    while package is not None and group.getprevious() is not None:
        del package[0]
    scanner.group = group  # lxml keeps one proxy per node while it is referenced


def _on_object(scanner: _Scanner, el: etree._Element) -> None:
    """A finished BinaryDataObject or PhysicalDataObject. Objects of a group are handled here
    (no event for the group itself): the group is freed when the next one starts."""
    parent = el.getparent()
    in_group = parent is not None and parent.tag == scanner.tags["DataObjectGroup"]
    if in_group and parent is not None:
        _enter_group(scanner, parent)
    ident = el.get("id")
    record, flat_group = _walk_object(scanner, el, ident or "")
    kind = GROUPED_OBJECT if in_group or flat_group else OBJECT
    scanner.register_id(ident, kind, el)
    if scanner.on_binary is not None and el.tag == scanner.tags["BinaryDataObject"]:
        scanner.on_binary(record)
    if not in_group:
        release(el)


def _walk_object(scanner: _Scanner, el: etree._Element, ident: str) -> tuple[BinaryRecord, bool]:
    """One walk over an object's children: what the package checks need, and its links."""
    uri = algorithm = digest = size = None
    flat_group = False
    t = scanner.tags
    for child in el:
        tag = child.tag
        if tag == t["Uri"]:
            uri = _text(child)
        elif tag == t["MessageDigest"]:
            algorithm, digest = child.get("algorithm"), _text(child)
        elif tag == t["Size"]:
            size = _text(child)
        elif tag == t["DataObjectGroupId"]:  # flat form: the first object declares the group
            flat_group = True
            scanner.register_id(_text(child), "group", child)
        elif tag == t["DataObjectGroupReferenceId"]:
            flat_group = True
            scanner.reference(child, "group", _text(child))
        elif tag == t["Relationship"] and (target := child.get("target")):
            scanner.reference(child, "any", target)
    declared = int(size) if size is not None and size.isdecimal() else None
    return BinaryRecord(ident, uri, algorithm, digest, declared, line_of(el)), flat_group


def _on_management_metadata(scanner: _Scanner, el: etree._Element) -> None:
    t = scanner.tags
    for child in el:
        if child.tag == t["ArchivalProfile"]:
            scanner.result.declared_profile = _text(child) or None
        elif child.tag == t["HoldRule"]:
            scanner.result.issues.extend(check_hold_dates(child, scanner.brace, owner_xpath))
    release(el)


def _on_finished(_scanner: _Scanner, el: etree._Element) -> None:
    release(el)


_HANDLERS: dict[str, _Handler] = {
    "ArchiveUnit": _on_unit,
    "BinaryDataObject": _on_object,
    "PhysicalDataObject": _on_object,
    "ManagementMetadata": _on_management_metadata,
    "CodeListVersions": _on_finished,
}
_CHILD_TAGS = (
    "ArchiveUnit",
    "ArchiveUnitRefId",
    "ArchivalProfile",
    "BinaryDataObject",
    "Content",
    "DataObjectGroup",
    "DataObjectGroupId",
    "DataObjectGroupReferenceId",
    "DataObjectReference",
    "HoldRule",
    "Management",
    "MessageDigest",
    "Relationship",
    "SignedDocumentReferenceId",
    "Size",
    "Uri",
)


class XsdStreamStopped(Exception):
    """The XSD validation carried by the pass met its first error; `line` is the line of the
    last element the pass had finished (libxml2 gives no line for streamed schema errors)."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def scan(
    open_stream: Opener,
    namespace: str,
    limits: XmlLimits = DEFAULT_XML_LIMITS,
    *,
    on_binary: OnBinary | None = None,
    schema: etree.XMLSchema | None = None,
    grouped_object_refs: Severity = Severity.WARNING,
    id_index: Callable[[], IdIndex] = MemoryIdIndex,
) -> ScanResult:
    """Stream the message once. Raises HostileXml / MalformedXml on refused input and, when
    `schema` is given, XsdStreamStopped at the first XSD error."""
    ids = id_index()
    try:
        scanner = _Scanner(namespace, on_binary, grouped_object_refs, ids)
        tags = list(scanner.handlers)
        events = iterparse_safe(open_stream, ("end",), schema=schema, limits=limits, tag=tags)
        last: etree._Element | None = None
        try:
            for _event, last in events:
                scanner.handle(last)
        except etree.XMLSyntaxError as exc:  # only schema errors come out raw from iterparse_safe
            raise XsdStreamStopped(str(exc), None if last is None else line_of(last)) from exc
        return scanner.finish()
    finally:
        ids.close()
