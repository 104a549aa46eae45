"""Streaming writer of SEDA 2.x ArchiveTransfer messages (bounded memory).

Everything is written as escaped text (seda.elements), one unit or object group at a time, and
flushed in ~1 MB batches, so memory does not grow with the number of units. The SEDA namespace is
declared once, on the root element. Children are emitted in schema order (seda.order), so the
output validates against the official XSD of the chosen version.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

from seda.elements import Markup, element, escape_attr
from seda.errors import VersionMismatch
from seda.model import (
    Agency,
    ArchiveTransfer,
    ArchiveUnit,
    DataObjectPackage,
    ManagementMetadata,
    TransferHeader,
)
from seda.textout import XML_DECLARATION, TextOut, write_file
from seda.versions import SedaVersion


class SedaOut(TextOut):
    """Text output that checks element names against one SEDA 2.x version."""

    def __init__(self, stream: IO[bytes], version: SedaVersion) -> None:
        super().__init__(stream)
        self.markup = Markup(version)

    def text(self, name: str, value: str) -> None:
        self.raw(self.markup.text(name, value))


def write_transfer(out: IO[bytes] | Path, transfer: ArchiveTransfer) -> None:
    """Write `transfer` as XML to a binary stream or a file path. A refused transfer leaves no
    file behind (the path is written under a temporary name and renamed once complete)."""
    if isinstance(out, Path):
        write_file(out, lambda stream: write_transfer(stream, transfer))
        return
    header = transfer.header
    w = SedaOut(out, header.version)
    w.raw(XML_DECLARATION)
    w.raw(f'<ArchiveTransfer xmlns="{header.version.namespace}">')
    _write_head(w, header)
    write_package(
        w, DataObjectPackage(transfer.groups, transfer.units, transfer.management_metadata)
    )
    _write_tail(w, header)
    w.raw("</ArchiveTransfer>\n")
    w.flush()


def write_package(w: SedaOut, package: DataObjectPackage) -> None:
    """DataObjectPackage: the object groups, DescriptiveMetadata, ManagementMetadata."""
    with w.element("DataObjectPackage"):
        for group in package.groups:
            w.raw(w.markup.group(group))
        with w.element("DescriptiveMetadata"):
            for unit in package.units:
                _write_unit(w, unit)
        _write_management_metadata(w, package.management_metadata)


def _write_head(w: SedaOut, header: TransferHeader) -> None:
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


def _write_tail(w: SedaOut, header: TransferHeader) -> None:
    for reference in header.related_transfer_references:
        w.text("RelatedTransferReference", reference)
    if header.transfer_request_reply_identifier is not None:
        w.text("TransferRequestReplyIdentifier", header.transfer_request_reply_identifier)
    _write_agency(w, "ArchivalAgency", header.archival_agency)
    _write_agency(w, "TransferringAgency", header.transferring_agency)


def _write_agency(w: SedaOut, name: str, agency: Agency) -> None:
    extra = "".join(w.markup.raw(r) for r in agency.extra)
    w.raw(f"<{name}>{element('Identifier', agency.identifier)}{extra}</{name}>")


def _write_unit(w: SedaOut, unit: ArchiveUnit) -> None:
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


def _open_unit(w: SedaOut, unit: ArchiveUnit) -> None:
    parts = [f'<ArchiveUnit id="{escape_attr(unit.id)}">']
    if unit.archive_unit_ref_id is not None:
        parts.append(element("ArchiveUnitRefId", unit.archive_unit_ref_id))
        w.raw("".join(parts))
        return
    if unit.archive_unit_profile is not None:
        parts.append(element("ArchiveUnitProfile", unit.archive_unit_profile))
    if unit.management is not None:
        parts.append(w.markup.management("Management", unit.management))
    parts.append(w.markup.content(unit.content))
    for ref in unit.object_references:
        parts.append("<DataObjectReference>")
        if ref.data_object_reference_id is not None:
            parts.append(element("DataObjectReferenceId", ref.data_object_reference_id))
        if ref.data_object_group_reference_id is not None:
            group = ref.data_object_group_reference_id
            parts.append(element("DataObjectGroupReferenceId", group))
        parts.append("</DataObjectReference>")
    w.raw("".join(parts))


def _write_management_metadata(w: SedaOut, mm: ManagementMetadata) -> None:
    parts = ["<ManagementMetadata>"]
    for name, value in (
        ("ArchivalProfile", mm.archival_profile),
        ("ServiceLevel", mm.service_level),
        ("AcquisitionInformation", mm.acquisition_information),
        ("LegalStatus", mm.legal_status),
        ("OriginatingAgencyIdentifier", mm.originating_agency_identifier),
        ("SubmissionAgencyIdentifier", mm.submission_agency_identifier),
    ):
        if value is not None:
            parts.append(element(name, value))
    parts.append(w.markup.rule_block(mm.rules))
    parts.append("</ManagementMetadata>")
    w.raw("".join(parts))
