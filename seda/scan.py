"""One streaming pass over a SEDA message collecting what the XSD engine does not check.

Collected: every `id` (ArchiveUnit, DataObjectGroup, BinaryDataObject, PhysicalDataObject,
`DataObjectGroupId`), every reference (`DataObjectReferenceId`, `DataObjectGroupReferenceId`,
`ArchiveUnitRefId`, `SignedDocumentReferenceId`, `Relationship/@target`), the unit tree edges, the
binary objects (`Uri`, `MessageDigest`, `Size`) and the dates to compare. Finished subtrees are
cleared, so memory stays bounded whatever the number of units (SEDA 2.x, DataObjectPackage).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from seda.dates import check_content_dates, check_hold_dates
from seda.issues import Issue, Severity
from seda.safexml import DEFAULT_XML_LIMITS, Opener, XmlLimits, iterparse_safe, line_of

ID_KINDS = {
    "ArchiveUnit": "unit",
    "DataObjectGroup": "group",
    "BinaryDataObject": "object",
    "PhysicalDataObject": "object",
}
REF_KINDS = {
    "DataObjectReferenceId": "object",
    "DataObjectGroupReferenceId": "group",
    "ArchiveUnitRefId": "unit",
    "SignedDocumentReferenceId": "unit",
}
_CLEARED = {
    "BinaryDataObject",
    "PhysicalDataObject",
    "DataObjectGroup",
    "ArchiveUnit",
    "ManagementMetadata",
    "CodeListVersions",
}
_WATCHED = (
    *ID_KINDS,
    *REF_KINDS,
    "DataObjectGroupId",
    "Content",
    "HoldRule",
    "Relationship",
    "ArchivalProfile",
    *_CLEARED,
)


@dataclass(frozen=True)
class BinaryRecord:
    id: str
    uri: str | None
    algorithm: str | None
    digest: str | None
    size: int | None
    line: int | None
    xpath: str


@dataclass(frozen=True)
class Reference:
    value: str
    kind: str  # "object", "group", "unit" or "any"
    line: int | None
    xpath: str


@dataclass
class ScanResult:
    ids: dict[str, str] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)
    unit_edges: list[tuple[str, str]] = field(default_factory=list)
    has_unit_refs: bool = False
    binaries: list[BinaryRecord] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
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


class _Scanner:
    def __init__(self, namespace: str) -> None:
        self.brace = "{" + namespace + "}"
        self.result = ScanResult()

    def child_text(self, el: etree._Element, local: str) -> str | None:
        found = el.find(self.brace + local)
        return None if found is None or found.text is None else found.text.strip()

    def handle(self, el: etree._Element) -> None:
        local = el.tag[len(self.brace) :]
        self.result.counts[local] = self.result.counts.get(local, 0) + 1
        if local in ID_KINDS:
            self.register_id(el.get("id"), ID_KINDS[local], el)
        if local in REF_KINDS:
            self.add_reference(el, REF_KINDS[local], (el.text or "").strip())
        handler = _HANDLERS.get(local)
        if handler is not None:
            handler(self, el)
        if local in _CLEARED:
            _release(el)

    def register_id(self, ident: str | None, kind: str, el: etree._Element) -> None:
        if not ident:
            return
        if ident in self.result.ids:
            self.result.issues.append(
                Issue(
                    "ref_duplicate_id",
                    Severity.ERROR,
                    f"identifiant en double : {ident}",
                    line_of(el),
                    owner_xpath(el, self.brace),
                )
            )
            return
        self.result.ids[ident] = kind

    def add_reference(self, el: etree._Element, kind: str, value: str) -> None:
        self.result.references.append(
            Reference(value, kind, line_of(el), owner_xpath(el, self.brace))
        )


def _on_group_id(scanner: _Scanner, el: etree._Element) -> None:
    # Flat form: the first object of a group declares the group id (xs:ID) in this element.
    scanner.register_id((el.text or "").strip(), "group", el)


def _on_relationship(scanner: _Scanner, el: etree._Element) -> None:
    target = el.get("target")
    if target:
        scanner.add_reference(el, "any", target)


def _on_unit(scanner: _Scanner, el: etree._Element) -> None:
    parent = el.getparent()
    ref = scanner.child_text(el, "ArchiveUnitRefId")
    if parent is None or parent.tag != scanner.brace + "ArchiveUnit":
        return
    parent_id = parent.get("id") or ""
    if ref is not None:
        scanner.result.has_unit_refs = True
        scanner.result.unit_edges.append((parent_id, ref))
    elif el.get("id"):
        scanner.result.unit_edges.append((parent_id, el.get("id") or ""))


def _on_binary(scanner: _Scanner, el: etree._Element) -> None:
    digest = el.find(scanner.brace + "MessageDigest")
    size = scanner.child_text(el, "Size")
    scanner.result.binaries.append(
        BinaryRecord(
            id=el.get("id") or "",
            uri=scanner.child_text(el, "Uri"),
            algorithm=None if digest is None else digest.get("algorithm"),
            digest=None if digest is None else (digest.text or "").strip(),
            size=int(size) if size is not None and size.isdigit() else None,
            line=line_of(el),
            xpath=owner_xpath(el, scanner.brace),
        )
    )


def _on_content(scanner: _Scanner, el: etree._Element) -> None:
    scanner.result.issues.extend(check_content_dates(el, scanner.brace, owner_xpath))


def _on_hold(scanner: _Scanner, el: etree._Element) -> None:
    scanner.result.issues.extend(check_hold_dates(el, scanner.brace, owner_xpath))


def _on_profile(scanner: _Scanner, el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None and parent.tag == scanner.brace + "ManagementMetadata":
        scanner.result.declared_profile = (el.text or "").strip() or None


_HANDLERS = {
    "DataObjectGroupId": _on_group_id,
    "Relationship": _on_relationship,
    "ArchiveUnit": _on_unit,
    "BinaryDataObject": _on_binary,
    "Content": _on_content,
    "HoldRule": _on_hold,
    "ArchivalProfile": _on_profile,
}


def _release(el: etree._Element) -> None:
    """Free a finished subtree and the finished siblings before it (bounded memory)."""
    el.clear(keep_tail=True)  # type: ignore[call-arg]  # lxml-stubs lack keep_tail
    parent = el.getparent()
    if parent is None:
        return
    while el.getprevious() is not None:
        del parent[0]


def scan(open_stream: Opener, namespace: str, limits: XmlLimits = DEFAULT_XML_LIMITS) -> ScanResult:
    """Stream the message once; raises HostileXml / MalformedXml on refused input."""
    scanner = _Scanner(namespace)
    tags = [scanner.brace + local for local in _WATCHED]
    for _event, el in iterparse_safe(open_stream, ("end",), limits=limits, tag=tags):
        scanner.handle(el)
    return scanner.result
