"""Records that come out of the business systems: actes sent to the préfecture (ACTES v1.1),
folders signed in the parapheur (i-Parapheur 4 and 5), séances of the assemblies tool.

Each import is known by its business identifier (the IDActe, the parapheur's folder id, the
séance id): importing the same input again changes nothing. A délibération and the acte sent to
the préfecture for it are linked by the acte's internal number and its decision date, which
both systems carry, whichever arrives first.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime


class Profile(enum.StrEnum):
    ACTES = "actes"
    PARAPHEUR = "parapheur"
    SEANCE = "seance"


PROFILE_LABELS = {
    Profile.ACTES: "acte",
    Profile.PARAPHEUR: "dossier du parapheur",
    Profile.SEANCE: "séance",
}


@dataclass(frozen=True)
class InboundRecord:
    """One imported business object: the dossier made of it and a fingerprint of its files
    (their names and SHA-256), which tells a repeated import from a different one."""

    organisation_id: str
    profile: Profile
    business_id: str
    dossier_id: str
    fingerprint: str
    document_ids: tuple[str, ...]
    imported_at: datetime
    imported_by: str


@dataclass(frozen=True)
class DocumentEvent:
    """One step of a document's circuit before it reached the GED (a visa, a signature…), as
    the system that ran the circuit recorded it (PREMIS event, i-Parapheur history entry)."""

    document_id: str
    position: int
    occurred_at: datetime
    kind: str
    agent: str
    detail: str
    source: str


class LinkSide(enum.StrEnum):
    ACTE = "acte"
    DELIBERATION = "deliberation"


@dataclass(frozen=True)
class LinkClaim:
    """One side of a délibération ↔ acte link, recorded by whichever import brings it."""

    organisation_id: str
    key: str
    side: LinkSide
    number: str
    dossier_id: str
    document_id: str | None = None


@dataclass(frozen=True)
class DeliberationLink:
    """A délibération of a séance and the acte transmitted for it, both imported."""

    number: str
    seance_dossier_id: str
    deliberation_document_id: str | None
    acte_dossier_id: str


def link_key(number: str, decided_on: date) -> str:
    """The acte's internal number (NumeroInterne, web-delib's numeroACTE) and its decision date
    (the séance's date for a délibération): unique within an organisation."""
    return f"{' '.join(number.split()).casefold()}|{decided_on.isoformat()}"


def pair_links(claims: list[LinkClaim]) -> list[DeliberationLink]:
    """Every délibération paired with the acte that shares its key (both imported)."""
    actes = {c.key: c for c in claims if c.side is LinkSide.ACTE}
    return [
        DeliberationLink(c.number, c.dossier_id, c.document_id, actes[c.key].dossier_id)
        for c in claims
        if c.side is LinkSide.DELIBERATION and c.key in actes
    ]
