"""What both i-Parapheur exports share: the circuit's steps made into the dossier's dated
events (end of the circuit, last signature), and the proofs kept as documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ged.domain.model import Metadata
from ged.services.inbound.model import BusinessEvent, CircuitStep, InboundDocument

CIRCUIT_END = "date de fin du circuit"
SIGNED = "date de signature"
MAX_ID = 200


def circuit(steps: Sequence[CircuitStep]) -> list[BusinessEvent]:
    """The dossier's dated events: the end of the circuit, and its last signature if any."""
    events = [BusinessEvent(CIRCUIT_END, max(s.occurred_at for s in steps).date())]
    signed = [s.occurred_at for s in steps if is_signature(s.kind)]
    if signed:
        events.append(BusinessEvent(SIGNED, max(signed).date()))
    return events


def is_signature(kind: str) -> bool:
    """A signature or seal step (i-Parapheur 5 SIGNATURE, SEAL…; version 4 « Signe »)."""
    upper = kind.upper()
    return ("SIGN" in upper or upper in ("SEAL", "CACHET")) and "REJET" not in upper


def opened_on(steps: Sequence[CircuitStep]) -> date:
    return min(s.occurred_at for s in steps).date()


def proof(member: str, title: str, kind: str, extra: dict[str, str]) -> InboundDocument:
    return InboundDocument(member, Metadata(title=title, document_type=kind, extra=dict(extra)))


def bounded(properties: dict[str, str]) -> dict[str, str]:
    """Custom metadata of the parapheur, within what a document's free fields hold."""
    return {k[:100]: v[:10_000] for k, v in list(properties.items())[:50] if k}
