"""The ArchiveTransferReply of a decision (SEDA 2.x, §3.2.2).

Accepting answers ``OK`` with each ArchiveUnit's archive identifier as ``Content/SystemId``
(Vitam's dialect, read by ``seda.replies.parse_reply``); rejecting answers ``KO`` with the
archivist's comment and every blocking check issue as ``Operation/Event``. The reply is in the
transfer's SEDA version.
"""

from __future__ import annotations

import io
import uuid
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from sae.model import CheckIssue, Transfer
from seda.replies import build_transfer_reply
from seda.versions import SedaVersion

_REPLY_VERSION: Final = SedaVersion.V2_2


def reply(transfer: Transfer, code: str, comment: str | None, extra: etree._Element) -> bytes:
    version = SedaVersion(transfer.seda_version) if transfer.seda_version else _REPLY_VERSION
    data = build_transfer_reply(
        version,
        message_identifier=f"ATR-{uuid.uuid4()}",
        request_identifier=transfer.message_identifier,
        reply_code=code,
        archival_agency=transfer.organisation,
        transferring_agency=transfer.transferring_agency,
        date=datetime.now(UTC).replace(microsecond=0),
        grant_date=datetime.now(UTC).replace(microsecond=0) if code == "OK" else None,
        comment=comment,
    )
    return _insert(data, extra)


def _insert(document: bytes, extra: etree._Element) -> bytes:
    """Put DataObjectPackage before ReplyCode, Operation after it (SEDA 2.x order)."""
    root = etree.fromstring(document)
    ns = etree.QName(root).namespace
    code = root.find(f"{{{ns}}}ReplyCode")
    assert code is not None  # build_transfer_reply always writes it
    for el in extra.iter():
        if isinstance(el.tag, str):
            el.tag = f"{{{ns}}}{etree.QName(el).localname}"
    if etree.QName(extra).localname == "Operation":
        code.addnext(extra)
    else:
        code.addprevious(extra)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def accepted_reply(
    transfer: Transfer,
    comment: str | None,
    units: Iterable[tuple[str, str]],
    *,
    compressed: bool = False,
) -> bytes:
    """The ``OK`` reply, its units written one at a time as text (a reply of 100,000 units is
    10 MB; as a tree it weighed several times that), compressed as it is written (zlib) when
    ``compressed``, so that those 10 MB are never held whole. The package goes before
    ``ReplyCode``, in the reply's default namespace."""
    document = reply(transfer, "OK", comment, etree.Element("DataObjectPackage"))
    head, _, tail = document.partition(b"<DataObjectPackage/>")
    assert tail, "an empty package marks where the units go"
    out = io.BytesIO()
    packer = zlib.compressobj() if compressed else None

    def write(data: bytes) -> None:
        out.write(data if packer is None else packer.compress(data))

    write(head + b"<DataObjectPackage><DescriptiveMetadata>")
    for unit_id, archive_id in units:
        write(
            f"<ArchiveUnit id={quoteattr(unit_id)}><Content><SystemId>{escape(archive_id)}"
            "</SystemId></Content></ArchiveUnit>".encode()
        )
    agency = escape(transfer.transferring_agency)
    write(
        "</DescriptiveMetadata><ManagementMetadata><OriginatingAgencyIdentifier>"
        f"{agency}</OriginatingAgencyIdentifier></ManagementMetadata>"
        "</DataObjectPackage>".encode()
    )
    write(tail)
    if packer is not None:
        out.write(packer.flush())
    return out.getvalue()


def operation(events: list[tuple[str, str, str]]) -> etree._Element:
    operation = etree.Element("Operation")
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    for code, outcome, message in events:
        event = etree.SubElement(operation, "Event")
        etree.SubElement(event, "EventTypeCode").text = code
        etree.SubElement(event, "EventDateTime").text = now
        etree.SubElement(event, "Outcome").text = outcome
        etree.SubElement(event, "OutcomeDetailMessage").text = message
    return operation


def issue_text(issue: CheckIssue) -> str:
    where = ", ".join(
        f"{k} {v}" for k, v in (("chemin", issue.path), ("ligne", issue.line)) if v is not None
    )
    return f"{issue.message} ({where})" if where else issue.message
