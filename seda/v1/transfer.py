"""Streaming writer of SEDA 1.0 ArchiveTransfer messages (seda_v1-0_archivetransfer.xsd), from
the same 2.x model the GED builds for every version (`header.version` is not read).

Envelope, in order: Comment*, Date, RelatedTransferReference?, TransferIdentifier (our
MessageIdentifier), TransferRequestReplyIdentifier?, ArchivalAgency and TransferringAgency
(`Identification`), then one `Archive` per top unit (seda.v1.archive). Units are written one at a
time and flushed in ~1 MB batches; object groups are indexed first, because SEDA 1.0 nests each
document in the archive object it belongs to. A message refused half-way (a rule without
translation, a value 1.0 requires) leaves no file behind when written to a path, and a SIP
written by `seda.sip.write_sip` is removed as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

from seda.errors import MissingValue, VersionMismatch
from seda.model import Agency, ArchiveTransfer, DataObject, TransferHeader
from seda.textout import XML_DECLARATION, TextOut, write_file
from seda.v1.archive import Context, write_archive
from seda.v1.translation import Seda1Options
from seda.versions import SEDA_1_0
from seda.xmltext import element


def write_transfer_v1(
    out: IO[bytes] | Path, transfer: ArchiveTransfer, options: Seda1Options
) -> None:
    """Write `transfer` as a SEDA 1.0 ArchiveTransfer to a binary stream or a file path."""
    if isinstance(out, Path):
        write_file(out, lambda stream: write_transfer_v1(stream, transfer, options))
        return
    groups = {g.id: g for g in transfer.groups}
    objects: dict[str, DataObject] = {o.id: o for g in groups.values() for o in g.objects}
    header = transfer.header
    ctx = Context(options, transfer.management_metadata, groups, objects, header.archival_agreement)
    w = TextOut(out)
    w.raw(XML_DECLARATION + f'<ArchiveTransfer xmlns="{SEDA_1_0.namespace}">')
    w.raw(_head(header))
    archives = 0
    for unit in transfer.units:
        write_archive(w, unit, ctx)
        archives += 1
    if not archives:
        raise MissingValue("un versement SEDA 1.0 contient au moins une archive (Archive)")
    w.raw("</ArchiveTransfer>\n")
    w.flush()


@dataclass(frozen=True)
class Seda1TransferWriter:
    """`write_transfer_v1` with its options, in the shape `seda.sip.write_sip` takes."""

    options: Seda1Options

    def __call__(self, stream: IO[bytes], transfer: ArchiveTransfer) -> None:
        write_transfer_v1(stream, transfer, self.options)


def _head(header: TransferHeader) -> str:
    if len(header.related_transfer_references) > 1:
        raise VersionMismatch("SEDA 1.0 ne cite qu'un versement lié (RelatedTransferReference)")
    if not header.message_identifier.strip():
        raise MissingValue("SEDA 1.0 exige un identifiant de versement (TransferIdentifier)")
    parts = [element("Comment", c) for c in header.comments]
    parts.append(element("Date", header.date.isoformat()))
    parts += [element("RelatedTransferReference", r) for r in header.related_transfer_references]
    parts.append(element("TransferIdentifier", header.message_identifier))
    if header.transfer_request_reply_identifier is not None:
        reply = header.transfer_request_reply_identifier
        parts.append(element("TransferRequestReplyIdentifier", reply))
    parts.append(organization("ArchivalAgency", header.archival_agency))
    parts.append(organization("TransferringAgency", header.transferring_agency))
    return "".join(parts)


def organization(name: str, agency: Agency | str) -> str:
    """OrganizationType reduced to its one mandatory child, `Identification`."""
    if isinstance(agency, Agency):
        if agency.extra:
            raise VersionMismatch(f"{name} : description d'organisation 2.x sans équivalent 1.0")
        agency = agency.identifier
    return f"<{name}>{element('Identification', agency)}</{name}>"
