"""Maarch RM's exported messages read as SEDA replies, for the Maarch RM connector
(`connectors.maarch`).

``GET {url}/medona/message/{messageId}/Export`` answers the message as a zip (`message::export`
in `src/bundle/medona/Controller/message.php`, `soumiamahieddine/enmoRM`, built with 7-Zip)
holding ``{messageId}.xml``: the ArchiveTransferReply or the Acknowledgement, SEDA 2.x for a
``seda2`` transfer (SEDA 1.0 for an older one; both are parsed leniently, by local name).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from connectors.base import ProtocolError
from connectors.http_util import expected_reply
from seda.errors import SedaError
from seda.replies import ReplyOutcome
from seda.safexml import parse_bytes


def message_xml(body: bytes, message_id: str, max_bytes: int) -> bytes:
    """`{messageId}.xml` out of the export zip (or the body itself when it is the XML)."""
    if body.lstrip()[:1] == b"<":
        return body
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            member = _message_member(archive, message_id)
            if member.file_size > max_bytes:
                raise ProtocolError(
                    f"message {message_id} de plus de {max_bytes} octets",
                    code="response_too_large",
                )
            return archive.read(member)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ProtocolError(
            f"export du message {message_id} illisible : {exc}", code="export_unreadable"
        ) from exc


def read_message(data: bytes, mid: str, *, expect_reply: bool) -> ReplyOutcome:
    """The Acknowledgement, or with `expect_reply` the ArchiveTransferReply, of transfer `mid`."""
    expected = "ArchiveTransferReply" if expect_reply else "Acknowledgement"
    outcome = expected_reply(data, mid, expected=expected)
    about = outcome.transfer_identifier or _seda1_transfer_identifier(data)
    if about not in (None, mid):
        raise ProtocolError(
            f"la réponse concerne le transfert {about}, pas {mid}", code="reply_mismatch"
        )
    return outcome


def _message_member(archive: zipfile.ZipFile, message_id: str) -> zipfile.ZipInfo:
    """`{messageId}.xml` wherever 7-Zip put it, else the archive's only XML file."""
    members = [m for m in archive.infolist() if not m.is_dir()]
    wanted = f"{message_id}.xml"
    named = [m for m in members if PurePosixPath(m.filename).name == wanted]
    xml = [m for m in members if m.filename.lower().endswith(".xml")]
    if named:
        return named[0]
    if len(xml) == 1:
        return xml[0]
    raise KeyError(f"{wanted} absent de l'export")


def _seda1_transfer_identifier(data: bytes) -> str | None:
    """SEDA 1.0 replies name the transfer `TransferIdentifier`, not MessageRequestIdentifier."""
    try:
        root = parse_bytes(data).getroot()
    except SedaError:
        return None
    for child in root:
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "TransferIdentifier":
            return (child.text or "").strip() or None
    return None
