"""``/versements``: the archivist's queue of received transfers, the review screen of one
(bordereau, files, every check with its French explanation), and the decision: accept, or
refuse with a reason. The decision is the logged-in archivist's, as the CLI's token-holder's is
(``sae.review.decisions``: the reply, the catalogue rows and the journal entry in one unit of
work)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from kernel.paging import Page
from kernel.web.render import redirect_with, render
from kernel.web.security import csrf_protect
from sae import presentation
from sae.bootstrap import Repository as Opened
from sae.ingest.setup import load_setup
from sae.journal.checkpoints import sealer
from sae.model import Decision, Transfer, TransferState
from sae.ports import Database
from sae.review import decisions
from sae.review.bordereau import package_size, read_bordereau
from sae.web.security import Archivist, Db, Repository

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
PAGE_SIZE = 50
SHOWN_ROWS = 500  # units and files drawn on the review screen (the rest: counted, not drawn)
MAX_REASON = 2000


@dataclass(frozen=True)
class QueueLine:
    transfer: Transfer
    size: int | None


def _queue(db: Database, organisation: str, number: int) -> tuple[list[QueueLine], bool]:
    """One page of the transfers awaiting a decision, oldest first, and whether more follow."""
    page = Page(PAGE_SIZE + 1, (number - 1) * PAGE_SIZE)
    found = decisions.pending(db, organisation, page)
    lines = [QueueLine(t, package_size(t)) for t in found[:PAGE_SIZE]]
    return lines, len(found) > PAGE_SIZE


@router.get("/versements")
async def queue(
    request: Request, person: Archivist, db: Db, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    lines, more = await run_in_threadpool(_queue, db, person.organisation, page)
    return render(
        request, "versements.html", title="Versements reçus", lines=lines, page=page, more=more
    )


@router.get("/versements/{transfer_id}")
async def review(request: Request, transfer_id: str, person: Archivist, db: Db) -> Response:
    return await _review_page(request, db, person.organisation, transfer_id)


async def _review_page(
    request: Request,
    db: Database,
    organisation: str,
    transfer_id: str,
    *,
    reason: str = "",
    errors: list[str] | None = None,
) -> Response:
    transfer = await run_in_threadpool(decisions.get_transfer, db, organisation, transfer_id)
    bordereau = await run_in_threadpool(read_bordereau, transfer)
    return render(
        request,
        "versement.html",
        status=422 if errors else 200,
        title=f"Versement {transfer.message_identifier}",
        transfer=transfer,
        bordereau=bordereau,
        size=package_size(transfer),
        checks=await run_in_threadpool(
            _checks, db, transfer, bordereau.agreement if bordereau else None
        ),
        awaiting=transfer.state is TransferState.AWAITING_REVIEW,
        reason=reason,
        reason_errors=errors or [],
        shown=SHOWN_ROWS,
    )


def _checks(
    db: Database, transfer: Transfer, agreement_id: str | None
) -> list[presentation.CheckResult]:
    """Each check explained against the tenant's setup (its agreement, its referential)."""
    setup = load_setup(db, transfer.organisation)
    agreement = setup.agreements.get(agreement_id) if agreement_id else None
    return presentation.by_family(transfer, agreement, setup.referential)


@router.post("/versements/{transfer_id}/accepter")
async def accept(
    request: Request, transfer_id: str, person: Archivist, opened: Repository, db: Db
) -> Response:
    done = await run_in_threadpool(_accept, opened, person.organisation, transfer_id, person.login)
    message = (
        f"Versement {done.message_identifier} accepté : ses archives sont conservées."
        if done.state is TransferState.ACCEPTED
        else f"Versement {done.message_identifier} accepté : ses archives sont en cours "
        "d'écriture sur les offres de stockage."
    )
    return await redirect_with(request, "/versements", message)


def _accept(opened: Opened, tenant: str, transfer_id: str, login: str) -> Transfer:
    """As the API's acceptance: the tenant's offers, its log sealed after."""
    offers = opened.storage.offers(tenant)
    seal = sealer(opened.db, tenant, offers, opened.config.sealing)
    return decisions.accept(
        opened.db, offers, tenant, transfer_id, Decision(login), seal=seal, jobs=opened.jobs
    )


@router.post("/versements/{transfer_id}/refuser")
async def refuse(
    request: Request,
    transfer_id: str,
    person: Archivist,
    db: Db,
    motif: Annotated[str, Form()] = "",
) -> Response:
    reason = motif.strip()
    errors = _reason_errors(reason)
    if errors:
        return await _review_page(
            request,
            db,
            person.organisation,
            transfer_id,
            reason=motif[:MAX_REASON],
            errors=errors,
        )
    decision = Decision(person.login, reason)
    done = await run_in_threadpool(decisions.reject, db, person.organisation, transfer_id, decision)
    message = (
        f"Versement {done.message_identifier} refusé ; le motif est envoyé au service versant."
    )
    return await redirect_with(request, "/versements", message)


def _reason_errors(reason: str) -> list[str]:
    if not reason:
        return ["Indiquez le motif du refus : il est envoyé au service versant."]
    if len(reason) > MAX_REASON:
        return [f"Le motif ne doit pas dépasser {MAX_REASON} caractères."]
    return []
