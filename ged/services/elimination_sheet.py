"""The bordereau d'élimination as a person reads it, in French, for signature (Code du
patrimoine R212-14: no destruction of public records without the visa of the archives' control).

One sheet, two renderings that cannot disagree: the printable page of the web interface and the
PDF (``ged.services.elimination_pdf``). It follows the model of the Service interministériel des
Archives de France: the organisation and the proposal, then each dossier with its service,
reference, title, covering dates, the rule and rule version it is destroyed under, the end of its
DUA, why it is there and its volume (documents, versions, size), then every derogation bound to
one of its dossiers with its justification, and the two signatures. Dates read « 6 décembre
2026 », sizes « 1,5 Mo »; no code reaches the sheet (``ged.presentation.labels``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ged.domain.access import Principal
from ged.presentation import labels
from ged.services.context import Context
from ged.services.elimination_review import ProposalReview, ReviewedItem, Volume, review_proposal

COLUMNS = (
    "Service",
    "Référence",
    "Intitulé",
    "Dates extrêmes",
    "Règle",
    "Fin de DUA",
    "Motif",
    "Volume",
)
DEROGATION_COLUMNS = ("Dossier", "Règle propre au dossier", "Justification")
SIGNATURES = (
    "Le service producteur (nom, date, signature)",
    "Visa de l'archiviste (Code du patrimoine, art. R212-14) (nom, date, signature)",
)
WHY = labels.ITEM_OUTCOMES


@dataclass(frozen=True)
class SheetRow:
    dossier_id: str
    cells: tuple[str, ...]  # one per column of COLUMNS


@dataclass(frozen=True)
class SlipSheet:
    proposal_id: str
    organisation: str
    facts: list[tuple[str, str]]  # heading, value
    rows: list[SheetRow]
    derogations: list[SheetRow]  # one per derogation, cells per DEROGATION_COLUMNS
    total: str  # the volume of every dossier together


def elimination_sheet(ctx: Context, actor: Principal, proposal_id: str) -> SlipSheet:
    """The slip of one proposal of the actor's organisation (another's is not found)."""
    review = review_proposal(ctx, actor, proposal_id)
    with ctx.uow() as uow:
        organisation = uow.repo.get_organisation(review.proposal.organisation_id)
    return SlipSheet(
        proposal_id=review.proposal.id,
        organisation=organisation.name if organisation else "",
        facts=_facts(review),
        rows=[SheetRow(i.item.dossier_id, _cells(i)) for i in review.items],
        derogations=[row for i in review.items for row in _derogations(i)],
        total=volume_text(review.volume),
    )


def volume_text(volume: Volume) -> str:
    """« 3 documents, 4 versions, 1,2 Mo »."""
    return ", ".join(
        (
            labels.count(volume.documents, "document"),
            labels.count(volume.versions, "version"),
            labels.size(volume.size),
        )
    )


def _facts(review: ProposalReview) -> list[tuple[str, str]]:
    p = review.proposal
    return [
        ("Proposition", p.id),
        ("Proposée par", review.name(p.created_by)),
        ("Proposée le", labels.day(p.created_at)),
        ("Dossiers dont la DUA est échue au", labels.day(p.as_of)),
        ("État", labels.label(labels.PROPOSAL_STATUS, p.status.value)),
        ("Visa", review.name(p.decided_by) or "en attente"),
        ("Visée le", labels.day(p.decided_at)),
        ("Observations du visa", p.decision_note),
        ("Nombre de dossiers", str(len(review.items))),
        ("Volume total", volume_text(review.volume)),
    ]


def _cells(reviewed: ReviewedItem) -> tuple[str, ...]:
    item, dossier, rule = reviewed.item, reviewed.dossier, reviewed.rule
    dates = ""
    if dossier is not None:
        closed = f" au {labels.day(dossier.closed_on)}" if dossier.closed_on else ""
        dates = f"du {labels.day(dossier.opened_on)}{closed}"
    rule_text = f"{item.rule_id}, version {item.rule_version}"
    if rule is not None:
        rule_text += f" — {rule.label} ({labels.duration(rule.duration)}, "
        rule_text += f"{labels.final_action(item.final_action.value)})"
    return (
        reviewed.service,
        item.reference,
        item.title,
        dates,
        rule_text,
        labels.day(item.due_on),
        labels.label(WHY, item.outcome) if item.outcome else "",
        volume_text(reviewed.volume),
    )


def _derogations(reviewed: ReviewedItem) -> list[SheetRow]:
    item = reviewed.item
    rows = []
    for derogation in reviewed.derogations:
        binding, rule = derogation.binding, derogation.rule
        named = f"{binding.rule_id} — {rule.label}" if rule else binding.rule_id
        dossier = f"{item.reference} {item.title}".strip()
        rows.append(SheetRow(item.dossier_id, (dossier, named, binding.justification)))
    return rows
