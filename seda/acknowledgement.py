"""Acknowledgement (accusé de réception) of any SEDA message, 2.1 / 2.2 / 2.3 and 1.0.

2.x (seda-2.x-main.xsd, AcknowledgementType): Comment*, Date, MessageIdentifier,
MessageReceivedIdentifier, Sender, Receiver — no CodeListVersions. 1.0
(seda_v1-0_acknowledgement.xsd): Comment*, Date, AcknowledgementIdentifier,
MessageReceivedIdentifier, Receiver, Sender.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from seda.exchange import HEAD, Kind, Spec, f, head_v1


@dataclass(frozen=True)
class Acknowledgement:
    message_identifier: str
    date: datetime
    received_identifier: str  # the MessageIdentifier of the message received
    sender: str  # who acknowledges
    receiver: str  # who sent the message received
    comments: tuple[str, ...] = ()


SPECS = {
    Acknowledgement: {
        "2": Spec(
            "Acknowledgement",
            (
                *HEAD,
                f("MessageReceivedIdentifier", "received_identifier", Kind.TEXT),
                f("Sender", "sender", Kind.AGENCY),
                f("Receiver", "receiver", Kind.AGENCY),
            ),
        ),
        "1.0": Spec(
            "Acknowledgement",
            (
                *head_v1("AcknowledgementIdentifier"),
                f("MessageReceivedIdentifier", "received_identifier", Kind.TEXT),
                f("Receiver", "receiver", Kind.ORGANIZATION),
                f("Sender", "sender", Kind.ORGANIZATION),
            ),
        ),
    }
}
