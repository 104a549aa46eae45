"""One streaming pass over a SEDA 1.0 message for what the XSD does not check: each `Document`
whose `Attachment` names a file of the package (`@filename`) is handed to the package checks with
its `Integrity` (`@algorithme`, hex or base64) and its `Size` when counted in bytes (`unitCode`
`AD`, UN/ECE Recommendation 20); the first `Archive/ArchivalProfile` is the declared profile.
An `Attachment` carrying the document itself (base64 content, no file) has nothing to check in
the package. SEDA 1.0 has no ID/IDREF links between objects, so no reference check applies.
"""

from __future__ import annotations

from lxml import etree

from seda.safexml import DEFAULT_XML_LIMITS, Opener, XmlLimits, iterparse_safe, line_of, release
from seda.scan import BinaryRecord, OnBinary, ScanResult
from seda.versions import SEDA_1_0

_NS = "{" + SEDA_1_0.namespace + "}"
BYTE = "AD"  # UN/ECE Recommendation 20: byte


def scan_v1(
    open_stream: Opener,
    limits: XmlLimits = DEFAULT_XML_LIMITS,
    *,
    on_binary: OnBinary | None = None,
) -> ScanResult:
    """Stream the message once; hostile or malformed input raises as in `seda.scan.scan`."""
    result = ScanResult()
    count = 0
    tags = [_NS + "Document", _NS + "ArchivalProfile"]
    for _event, el in iterparse_safe(open_stream, ("end",), limits=limits, tag=tags):
        if el.tag == _NS + "ArchivalProfile":
            if result.declared_profile is None:
                result.declared_profile = (el.text or "").strip() or None
            continue
        count += 1
        record = _record(el, count)
        if record is not None and on_binary is not None:
            on_binary(record)
        release(el)
    return result


def _record(document: etree._Element, number: int) -> BinaryRecord | None:
    attachment = document.find(_NS + "Attachment")
    if attachment is None or (attachment.text or "").strip():
        return None  # no attachment (invalid, the XSD says so) or the document inline
    integrity = document.find(_NS + "Integrity")
    size = document.find(_NS + "Size")
    filename = attachment.get("filename")
    declared = (size.text or "").strip() if size is not None else ""
    return BinaryRecord(
        id=filename or f"Document {number}",
        uri=filename,
        algorithm=None if integrity is None else integrity.get("algorithme"),
        digest=None if integrity is None else (integrity.text or "").strip(),
        size=int(declared)
        if size is not None and size.get("unitCode") == BYTE and declared.isdecimal()
        else None,
        line=line_of(document),
        path=f"(//Document)[{number}]",
    )
