"""The elimination slip (bordereau d'élimination) of a proposal, for signature.

Its content follows the model of the Service interministériel des Archives de France: the
originating service, each dossier with its reference, title, covering dates, the rule and its
version, the final action and the end of the DUA, then the author of the proposal and the visa
(name, date, note) required by R212-14 of the Code du patrimoine. Two renderings: CSV (UTF-8
with a byte-order mark, semicolons, cells that look like formulas prefixed with ') for
spreadsheets, and a self-contained printable HTML page (escaped, no script, no external
resource). A PDF would need a PDF writer the project does not ship yet; the SEDA
AuthorizationControlAuthorityRequest belongs to the SEDA library.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from typing import Literal

from ged.domain.access import Principal
from ged.domain.lifecycle import EliminationProposal, ProposalItem
from ged.services.context import Context
from ged.services.eliminations import get_proposal

SlipFormat = Literal["csv", "html"]
COLUMNS = (
    "Service",
    "Référence",
    "Intitulé",
    "Date de début",
    "Date de fin",
    "Règle",
    "Version",
    "Sort final",
    "Fin de DUA",
    "État",
    "Motif",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SlipData:
    proposal: EliminationProposal
    organisation: str
    author: str
    approver: str | None
    rows: list[list[str]]


def elimination_slip(
    ctx: Context, actor: Principal, proposal_id: str, format: SlipFormat = "csv"
) -> bytes:
    data = _gather(ctx, actor, proposal_id)
    return _csv(data) if format == "csv" else _html(data)


def _gather(ctx: Context, actor: Principal, proposal_id: str) -> SlipData:
    found = get_proposal(ctx, actor, proposal_id)
    with ctx.uow() as uow:
        org = uow.repo.get_organisation(actor.organisation_id)
        services = {s.id: s.name for s in uow.repo.list_services(actor.organisation_id)}
        rows = []
        for item in found.items:
            dossier = uow.repo.get_dossier(item.dossier_id)
            opened = dossier.opened_on.isoformat() if dossier else ""
            closed = dossier.closed_on.isoformat() if dossier and dossier.closed_on else ""
            rows.append(_row(item, services.get(item.service_id, item.service_id), opened, closed))
        author = uow.repo.get_principal(found.proposal.created_by)
        decider = found.proposal.decided_by
        approver = uow.repo.get_principal(decider) if decider else None
    return SlipData(
        found.proposal,
        org.name if org else "",
        author.name if author else found.proposal.created_by,
        approver.name if approver else decider,
        rows,
    )


def _row(item: ProposalItem, service: str, opened: str, closed: str) -> list[str]:
    return [
        service,
        item.reference,
        item.title,
        opened,
        closed,
        item.rule_id,
        str(item.rule_version),
        "Tri → destruction" if item.outcome == "sorted_for_destruction" else "Destruction",
        item.due_on.isoformat() if item.due_on else "",
        item.status.value,
        item.outcome,
    ]


def _header(data: SlipData) -> list[tuple[str, str]]:
    p = data.proposal
    return [
        ("Bordereau d'élimination", p.id),
        ("Organisation", data.organisation),
        ("Proposé par", data.author),
        ("Proposé le", p.created_at.date().isoformat()),
        ("Échéances au", p.as_of.isoformat()),
        ("État", p.status.value),
        ("Visa (R212-14 Code du patrimoine)", data.approver or "en attente"),
        ("Visé le", p.decided_at.date().isoformat() if p.decided_at else ""),
        ("Observations du visa", p.decision_note),
        ("Nombre de dossiers", str(len(data.rows))),
    ]


def _defuse(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _csv(data: SlipData) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerows([_defuse(k), _defuse(v)] for k, v in _header(data))
    writer.writerow([])
    writer.writerow(COLUMNS)
    writer.writerows([_defuse(c) for c in row] for row in data.rows)
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def _html(data: SlipData) -> bytes:
    e = html.escape
    head = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _header(data))
    titles = "".join(f"<th>{e(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in data.rows)
    page = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>Bordereau d'élimination {e(data.proposal.id)}</title>"
        "<style>body{font-family:sans-serif;font-size:10pt}table{border-collapse:collapse}"
        "td,th{border:1px solid #444;padding:2px 4px;text-align:left}"
        ".sign{margin-top:3em;display:flex;gap:6em}</style></head><body>"
        f"<h1>Bordereau d'élimination</h1><table>{head}</table><h2>Dossiers</h2>"
        f"<table><thead><tr>{titles}</tr></thead><tbody>{body}</tbody></table>"
        '<div class="sign"><p>Le service producteur<br>(nom, date, signature)</p>'
        "<p>Visa de l'archiviste (R212-14)<br>(nom, date, signature)</p></div>"
        "</body></html>"
    )
    return page.encode("utf-8")
