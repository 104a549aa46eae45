"""Our ArchiveTransferReply as Vitam writes it, for the senders built for Vitam's
ingest-external (``sae.api.vitam``): Vitam's ``MessageIdentifier`` is the operation's id
(`TransferNotificationActionHandler.java`), which its clients correlate replies by; the rest —
ReplyCode OK/KO, each unit's archive identifier as ``Content/SystemId``, our MessageIdentifier
as ``MessageRequestIdentifier`` — is already Vitam's form (``sae.review.replies``).

``ko_reply`` is the KO reply Vitam gives as the body of a 503 when the ``X-Context-Id`` names no
workflow (`IngestExternalImpl.handleResponseWithATR`): nothing was received, the records were
not judged.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Final

from lxml import etree

from seda.replies import build_transfer_reply
from seda.safexml import parse_bytes
from seda.versions import SedaVersion

UNKNOWN: Final = "Unknown"  # what Vitam's KO template writes for what it could not read


def as_vitam(reply: bytes, operation_id: str) -> bytes:
    root = parse_bytes(reply).getroot()
    ns = etree.QName(root).namespace
    message = root.find(f"{{{ns}}}MessageIdentifier")
    if message is not None:
        message.text = operation_id
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def ko_reply(comment: str) -> bytes:
    return build_transfer_reply(
        SedaVersion.V2_1,
        message_identifier=str(uuid.uuid4()),
        request_identifier=UNKNOWN,
        reply_code="KO",
        archival_agency=UNKNOWN,
        transferring_agency=UNKNOWN,
        date=datetime.now(UTC).replace(microsecond=0),
        comment=comment,
    )
