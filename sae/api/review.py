"""``/review/transfers``: an archivist of the organisation lists what awaits a decision, looks at
a transfer and its checks, and accepts or rejects it (exactly one decision wins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from kernel.paging import MAX_LIMIT, MAX_OFFSET, Page
from sae.api.deps import API, Archivist, Db, Opened
from sae.journal.checkpoints import sealer
from sae.model import Decision, TransferState
from sae.review import decisions
from sae.review.summary import transfer_summary

router = APIRouter(prefix=f"{API}/review/transfers")


class DecisionBody(BaseModel):
    comment: str | None = None


@router.get("")
def pending(
    who: Archivist,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    page = Page(limit, offset)
    return [transfer_summary(t) for t in decisions.pending(db, who.organisation, page)]


@router.get("/{transfer_id}")
def show(transfer_id: str, who: Archivist, db: Db) -> dict[str, Any]:
    transfer = decisions.get_transfer(db, who.organisation, transfer_id)
    objects = decisions.archived_objects(db, who.organisation, transfer.id)
    return {**transfer_summary(transfer), "objects": [o.__dict__ for o in objects]}


@router.post(
    "/{transfer_id}/accept", responses={202: {"description": "Acceptée : écriture en cours"}}
)
def accept(
    transfer_id: str,
    body: DecisionBody,
    who: Archivist,
    opened: Opened,
    db: Db,
    response: Response,
) -> dict[str, Any]:
    """200 once the archive is written; 202 while the workers write it (``[jobs]``)."""
    decision = Decision(who.name, body.comment)
    offers = opened.storage.offers(who.organisation)
    seal = sealer(db, who.organisation, offers, opened.config.sealing)
    done = decisions.accept(
        db, offers, who.organisation, transfer_id, decision, seal=seal, jobs=opened.jobs
    )
    if done.state is TransferState.ACCEPTING:
        response.status_code = 202
    return transfer_summary(done)


@router.post("/{transfer_id}/reject")
def reject(transfer_id: str, body: DecisionBody, who: Archivist, db: Db) -> dict[str, Any]:
    decision = Decision(who.name, body.comment)
    return transfer_summary(decisions.reject(db, who.organisation, transfer_id, decision))
