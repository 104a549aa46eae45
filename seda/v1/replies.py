"""SEDA 1.0 Acknowledgement and ArchiveTransferReply (seda_v1-0_acknowledgement.xsd,
seda_v1-0_archivetransfer.xsd): read into the same normalised outcome as 2.x replies, and built.

1.0 names the identifiers after the message: an Acknowledgement has `AcknowledgementIdentifier`
(its own) and `MessageReceivedIdentifier` (ours); an ArchiveTransferReply `TransferReplyIdentifier`
(its own) and `TransferIdentifier` (our transfer), so no guess is needed. The repository's
identifier of each archive is `Archive/ArchivalAgencyArchiveIdentifier`, each top-level
`Archive` being one top-level unit of the transfer, in its order; the reply's `Comment`s are kept
(As@lae gives its reasons there). ReplyCode follows the
SEDA 0.2 list (`000` accepted, `001`/`002` accepted with remarks, `1xx`–`3xx` refused:
seda.v1.codes.REPLY_CODES).
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from seda.errors import NotSeda
from seda.replies import Outcome, ReplyOutcome, ReplyUnit, outcome_of
from seda.textout import XML_DECLARATION
from seda.v1.reader import NS, text, texts
from seda.v1.transfer import organization
from seda.versions import SEDA_1_0
from seda.xmltext import element


def outcome_v1(root: etree._Element) -> ReplyOutcome:
    """The normalised outcome of a SEDA 1.0 Acknowledgement or ArchiveTransferReply."""
    kind = etree.QName(root).localname
    if kind == "Acknowledgement":
        return ReplyOutcome(
            outcome=Outcome.RECEIVED,
            message_type=kind,
            reply_code=None,
            dialect="unknown",
            reply_identifier=text(root, "AcknowledgementIdentifier"),
            transfer_identifier=text(root, "MessageReceivedIdentifier"),
            archive_identifiers=(),
            events=(),
        )
    if kind != "ArchiveTransferReply":
        raise NotSeda(f"{kind} n'est pas une réponse à un transfert")
    code = text(root, "ReplyCode")
    found = (text(a, "ArchivalAgencyArchiveIdentifier") for a in root.findall(NS + "Archive"))
    archives = tuple(a for a in found if a)
    return ReplyOutcome(
        outcome=outcome_of(code),
        message_type=kind,
        reply_code=code,
        dialect="asalae" if (code or "").isdecimal() else "unknown",
        reply_identifier=text(root, "TransferReplyIdentifier"),
        transfer_identifier=text(root, "TransferIdentifier"),
        archive_identifiers=archives,
        events=(),
        units=tuple(ReplyUnit("", a, top_level=True) for a in archives),
        comments=tuple(c for c in texts(root, "Comment") if c),
    )


def build_acknowledgement_v1(
    *,
    message_identifier: str,
    received_identifier: str,
    sender: str,
    receiver: str,
    date: datetime,
    comment: str | None = None,
) -> bytes:
    """Comment?, Date, AcknowledgementIdentifier, MessageReceivedIdentifier, Receiver, Sender."""
    parts = [] if comment is None else [element("Comment", comment)]
    parts += [
        element("Date", date.isoformat()),
        element("AcknowledgementIdentifier", message_identifier),
        element("MessageReceivedIdentifier", received_identifier),
        organization("Receiver", receiver),
        organization("Sender", sender),
    ]
    return _message("Acknowledgement", parts)


def build_transfer_reply_v1(
    *,
    message_identifier: str,
    request_identifier: str,
    reply_code: str,
    archival_agency: str,
    transferring_agency: str,
    date: datetime,
    grant_date: datetime | None = None,
    comment: str | None = None,
) -> bytes:
    """An ArchiveTransferReply, without the optional `Archive` descriptions."""
    parts = [] if comment is None else [element("Comment", comment)]
    parts.append(element("Date", date.isoformat()))
    if grant_date is not None:
        parts.append(element("GrantDate", grant_date.isoformat()))
    parts += [
        element("ReplyCode", reply_code),
        element("TransferIdentifier", request_identifier),
        element("TransferReplyIdentifier", message_identifier),
        organization("ArchivalAgency", archival_agency),
        organization("TransferringAgency", transferring_agency),
    ]
    return _message("ArchiveTransferReply", parts)


def _message(root: str, parts: list[str]) -> bytes:
    body = "".join(parts)
    return f'{XML_DECLARATION}<{root} xmlns="{SEDA_1_0.namespace}">{body}</{root}>'.encode()
