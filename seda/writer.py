"""Streaming writer of SEDA 2.x ArchiveTransfer messages (bounded memory).

The envelope is written as text; each unit's Content/Management and each object group is built
as a small lxml subtree and serialised on its own, so memory does not grow with the number of
units. The SEDA namespace is declared once, on the root element (subtrees would otherwise repeat
it, +8 % size). Children are emitted in schema order (seda.order), so the output validates
against the official XSD of the chosen version.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from seda.elements import Builder
from seda.errors import VersionMismatch
from seda.model import Agency, ArchiveTransfer, ArchiveUnit, ManagementMetadata, TransferHeader
from seda.versions import SedaVersion

_BUFFER = 1024 * 1024


class _Out:
    def __init__(self, stream: IO[bytes], version: SedaVersion) -> None:
        self.stream = stream
        self.builder = Builder(version)
        self._decl = f' xmlns="{version.namespace}"'.encode()
        self._chunks: list[bytes] = []
        self._size = 0

    def raw(self, text: str) -> None:
        self._push(text.encode("utf-8"))

    def tree(self, el: etree._Element) -> None:
        data = etree.tostring(el, encoding="utf-8", xml_declaration=False)
        # The namespace is declared on the root: drop its repetition on this subtree's root tag.
        head_end = data.find(b">")
        self._push(data[:head_end].replace(self._decl, b"", 1) + data[head_end:])

    def text(self, name: str, value: str) -> None:
        self.builder.check(name)
        self.raw(f"<{name}>{escape(value)}</{name}>")

    @contextmanager
    def element(self, name: str, **attrs: str) -> Iterator[None]:
        rendered = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
        self.raw(f"<{name}{rendered}>")
        yield
        self.raw(f"</{name}>")

    def _push(self, data: bytes) -> None:
        self._chunks.append(data)
        self._size += len(data)
        if self._size >= _BUFFER:
            self.flush()

    def flush(self) -> None:
        self.stream.write(b"".join(self._chunks))
        self._chunks.clear()
        self._size = 0


def write_transfer(out: IO[bytes] | Path, transfer: ArchiveTransfer) -> None:
    """Write `transfer` as XML to a binary stream or a file path."""
    if isinstance(out, Path):
        with out.open("wb") as stream:
            write_transfer(stream, transfer)
        return
    header = transfer.header
    w = _Out(out, header.version)
    w.raw('<?xml version="1.0" encoding="UTF-8"?>\n')
    w.raw(f'<ArchiveTransfer xmlns="{header.version.namespace}">')
    _write_head(w, header)
    with w.element("DataObjectPackage"):
        for group in transfer.groups:
            w.tree(w.builder.group(group))
        with w.element("DescriptiveMetadata"):
            for unit in transfer.units:
                _write_unit(w, unit)
        _write_management_metadata(w, transfer.management_metadata)
    _write_tail(w, header)
    w.raw("</ArchiveTransfer>\n")
    w.flush()


def _write_head(w: _Out, header: TransferHeader) -> None:
    if header.version.at_least(SedaVersion.V2_2) and not header.message_identifier.strip():
        raise VersionMismatch("MessageIdentifier ne peut être vide à partir de SEDA 2.2")
    for comment in header.comments:
        w.text("Comment", comment)
    w.text("Date", header.date.isoformat())
    w.text("MessageIdentifier", header.message_identifier)
    if header.archival_agreement is not None:
        w.text("ArchivalAgreement", header.archival_agreement)
    with w.element("CodeListVersions"):
        for name, value in header.code_list_versions:
            w.text(name, value)


def _write_tail(w: _Out, header: TransferHeader) -> None:
    for reference in header.related_transfer_references:
        w.text("RelatedTransferReference", reference)
    if header.transfer_request_reply_identifier is not None:
        w.text("TransferRequestReplyIdentifier", header.transfer_request_reply_identifier)
    _write_agency(w, "ArchivalAgency", header.archival_agency)
    _write_agency(w, "TransferringAgency", header.transferring_agency)


def _write_agency(w: _Out, name: str, agency: Agency) -> None:
    el = w.builder.el(name)
    w.builder.sub(el, "Identifier", agency.identifier)
    for raw in agency.extra:
        el.append(w.builder.raw(raw))
    w.tree(el)


def _write_unit(w: _Out, unit: ArchiveUnit) -> None:
    """One unit; children recurse with an explicit stack (trees can be deep)."""
    stack: list[Iterator[ArchiveUnit] | None] = []
    _open_unit(w, unit)
    stack.append(iter(unit.children))
    while stack:
        children = stack[-1]
        child = next(children, None) if children is not None else None
        if child is None:
            stack.pop()
            w.raw("</ArchiveUnit>")
            continue
        _open_unit(w, child)
        stack.append(iter(child.children))


def _open_unit(w: _Out, unit: ArchiveUnit) -> None:
    w.raw(f"<ArchiveUnit id={quoteattr(unit.id)}>")
    if unit.archive_unit_ref_id is not None:
        w.text("ArchiveUnitRefId", unit.archive_unit_ref_id)
        return
    if unit.archive_unit_profile is not None:
        w.text("ArchiveUnitProfile", unit.archive_unit_profile)
    if unit.management is not None:
        w.tree(w.builder.management("Management", unit.management))
    w.tree(w.builder.content(unit.content))
    for ref in unit.object_references:
        el = w.builder.el("DataObjectReference")
        if ref.data_object_reference_id is not None:
            w.builder.sub(el, "DataObjectReferenceId", ref.data_object_reference_id)
        if ref.data_object_group_reference_id is not None:
            w.builder.sub(el, "DataObjectGroupReferenceId", ref.data_object_group_reference_id)
        w.tree(el)


def _write_management_metadata(w: _Out, mm: ManagementMetadata) -> None:
    el = w.builder.el("ManagementMetadata")
    for name, value in (
        ("ArchivalProfile", mm.archival_profile),
        ("ServiceLevel", mm.service_level),
        ("AcquisitionInformation", mm.acquisition_information),
        ("LegalStatus", mm.legal_status),
        ("OriginatingAgencyIdentifier", mm.originating_agency_identifier),
        ("SubmissionAgencyIdentifier", mm.submission_agency_identifier),
    ):
        if value is not None:
            w.builder.sub(el, name, value)
    w.tree(w.builder.ordered(el, w.builder.rule_block(mm.rules)))
