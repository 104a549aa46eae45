"""The elimination slip (bordereau d'élimination) of a proposal, for signature, and its SEDA
messages.

Its content follows the model of the Service interministériel des Archives de France: the
originating service, each dossier with its reference, title, covering dates, the rule and its
version, the final action and the end of the DUA, then the author of the proposal and the visa
(name, date, note) required by R212-14 of the Code du patrimoine. Two renderings: CSV (UTF-8
with a byte-order mark, semicolons, cells that look like formulas prefixed with ') for
spreadsheets, and a self-contained printable HTML page (escaped, no script, no external
resource). The PDF, and the web interface's printable page, are in French for signature
(``ged.services.elimination_sheet``).

The SEDA 2.1 / 2.2 / 2.3 messages (``seda.destruction``) are written per originating service,
because ``Requester`` and ``OriginatingAgency`` each name one organisation: the
``AuthorizationControlAuthorityRequest`` asks the control authority for the visa on every dossier
of the proposal, the ``ArchiveDestructionNotification`` (only once executed) lists the dossiers
actually eliminated. Identifiers and dates derive from the proposal, so the same request always
yields the same message.
"""

from __future__ import annotations

import csv
import html
import io
from dataclasses import dataclass
from typing import Literal

from ged.domain.access import Principal
from ged.domain.lifecycle import EliminationProposal, ItemStatus, ProposalItem, ProposalStatus
from ged.domain.model import Service
from ged.domain.retention import FinalAction
from ged.services.context import Context
from ged.services.elimination_sheet import elimination_sheet
from ged.services.eliminations import Proposal, get_proposal
from ged.services.ports import UnitOfWork
from kernel.errors import ConflictError, InvalidError, Issue
from seda.destruction import (
    ArchiveDestructionNotification,
    AuthorizationControlAuthorityRequest,
    UnitToDestroy,
    build_authorization_request,
    build_destruction_notification,
)
from seda.errors import SedaError
from seda.versions import SedaVersion

SlipFormat = Literal["csv", "html", "pdf"]
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
    """CSV or HTML for programs and spreadsheets (codes kept); PDF in French, for signature
    (``ged.services.elimination_pdf``)."""
    if format == "pdf":
        # ReportLab (about 16 MiB once imported) is loaded when a slip is drawn, not at start:
        # a server's memory stays within what an upload of any size may take.
        from ged.services.elimination_pdf import elimination_pdf

        return elimination_pdf(elimination_sheet(ctx, actor, proposal_id))
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
        "Tri → destruction" if item.final_action is FinalAction.SORT else "Destruction",
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


# -- SEDA messages ----------------------------------------------------------------------------
AUTHORIZATION_REASON = "Élimination (Code du patrimoine, art. R212-14)"


class ProposalNotExecuted(ConflictError):
    code = "proposal_not_executed"
    title = "La proposition n'a pas encore été exécutée"


class NothingEliminated(ConflictError):
    code = "nothing_eliminated"
    title = "Aucun dossier de ce service n'a été éliminé"


class SedaMessageImpossible(ConflictError):
    code = "seda_message_impossible"
    title = "Le message SEDA ne peut pas être écrit avec ces données"


class ServiceRequired(InvalidError):
    code = "service_required"
    title = "Préciser le service producteur"


class ServiceNotInProposal(InvalidError):
    code = "service_not_in_proposal"
    title = "Ce service n'a aucun dossier dans la proposition"


def authorization_request(
    ctx: Context,
    actor: Principal,
    proposal_id: str,
    version: SedaVersion,
    *,
    control_authority: str,
    archival_agency: str | None = None,
    service: str | None = None,
) -> bytes:
    """The AuthorizationControlAuthorityRequest of the proposal's dossiers of one service
    (``service``: its SEDA identifier, needed only when the proposal spans several).
    ``archival_agency`` defaults to the organisation, which keeps its intermediate archives."""
    found = get_proposal(ctx, actor, proposal_id)
    with ctx.uow() as uow:
        chosen, items = _service_items(uow, found, service)
        units = _units(uow, items)
    p = found.proposal
    message = AuthorizationControlAuthorityRequest(
        message_identifier=f"{p.id}.{chosen.seda_identifier}.authorization-request",
        date=p.created_at,
        archival_agency=archival_agency or p.organisation_id,
        control_authority=control_authority,
        requester=chosen.seda_identifier,
        reason=AUTHORIZATION_REASON,
        request_date=p.created_at.date(),
        units=units,
        comments=(
            f"Proposition {p.id} : {len(units)} dossiers dont la DUA est échue au "
            f"{p.as_of.isoformat()} et dont le sort final est la destruction",
        ),
    )
    try:
        return build_authorization_request(version, message)
    except SedaError as exc:  # a stored title with a character XML 1.0 cannot carry
        raise SedaMessageImpossible(f"{exc} ({exc.code})") from exc


def destruction_notification(
    ctx: Context,
    actor: Principal,
    proposal_id: str,
    version: SedaVersion,
    *,
    archival_agency: str | None = None,
    service: str | None = None,
    reply_identifier: str | None = None,
) -> bytes:
    """The ArchiveDestructionNotification of an executed proposal: the dossiers of one service
    actually eliminated. ``reply_identifier`` is the control authority's reply when it sent one;
    by default the visa recorded here stands for it."""
    found = get_proposal(ctx, actor, proposal_id)
    p = found.proposal
    if p.status is not ProposalStatus.EXECUTED or p.executed_at is None:
        raise ProposalNotExecuted(
            f"La proposition {p.id} est « {p.status.value} » : rien n'a encore été éliminé"
        )
    with ctx.uow() as uow:
        chosen, items = _service_items(uow, found, service)
        done = [i for i in items if i.status is ItemStatus.ELIMINATED]
        if not done:
            raise NothingEliminated(
                f"Aucun dossier du service {chosen.seda_identifier} n'a été éliminé"
            )
        units = _units(uow, done)
        approver = uow.repo.get_principal(p.decided_by) if p.decided_by else None
    message = ArchiveDestructionNotification(
        message_identifier=f"{p.id}.{chosen.seda_identifier}.destruction-notification",
        date=p.executed_at,
        archival_agency=archival_agency or p.organisation_id,
        originating_agency=chosen.seda_identifier,
        authorization_reply_identifier=reply_identifier or f"{p.id}.visa",
        units=units,
        comments=_visa_comments(p, approver.name if approver else p.decided_by),
    )
    try:
        return build_destruction_notification(version, message)
    except SedaError as exc:
        raise SedaMessageImpossible(f"{exc} ({exc.code})") from exc


def _service_items(
    uow: UnitOfWork, found: Proposal, seda_identifier: str | None
) -> tuple[Service, list[ProposalItem]]:
    services = {s.id: s for s in uow.repo.list_services(found.proposal.organisation_id)}
    present = sorted(
        {services[i.service_id] for i in found.items if i.service_id in services},
        key=lambda s: s.seda_identifier,
    )
    if seda_identifier is None and len(present) > 1:
        names = ", ".join(s.seda_identifier for s in present)
        raise ServiceRequired(
            f"La proposition couvre plusieurs services ({names}) : un message par service",
            issues=[Issue("service_required", names, path="service")],
        )
    chosen = next(
        (s for s in present if seda_identifier in (None, s.seda_identifier)),
        None,
    )
    if chosen is None:
        raise ServiceNotInProposal(
            f"Aucun dossier du service « {seda_identifier} » dans la proposition",
            issues=[Issue("service_not_in_proposal", str(seda_identifier), path="service")],
        )
    return chosen, [i for i in found.items if i.service_id == chosen.id]


def _units(uow: UnitOfWork, items: list[ProposalItem]) -> tuple[UnitToDestroy, ...]:
    units = []
    for item in items:
        dossier = uow.repo.get_dossier(item.dossier_id)
        units.append(
            UnitToDestroy(
                identifier=item.dossier_id,
                title=item.title or None,
                reference=item.reference or None,
                start_date=dossier.opened_on if dossier else None,
                end_date=dossier.closed_on if dossier else None,
                appraisal_rule=item.rule_id,
            )
        )
    return tuple(units)


def _visa_comments(p: EliminationProposal, approver: str | None) -> tuple[str, ...]:
    day = p.decided_at.date().isoformat() if p.decided_at else "?"
    visa = f"Élimination visée par {approver or '?'} le {day} (Code du patrimoine, art. R212-14)"
    return (visa, f"Observations du visa : {p.decision_note}") if p.decision_note else (visa,)
