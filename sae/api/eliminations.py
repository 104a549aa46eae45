"""Elimination in the repository and the producers' mailbox, as docs/exchanges.md defines
them: archivists propose (``POST /eliminations``), follow and approve eliminations; the GED
reads ``/messages`` (the authorization requests) and posts its answer to
``/authorization-replies``."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from kernel.errors import ConflictError
from kernel.openapi_problems import files
from sae.access.deliveries import MAX_REQUEST_BYTES
from sae.access.eliminations import (
    approve_elimination,
    get_elimination,
    list_eliminations,
    propose_eliminations,
    record_authorization_reply,
    record_control_reply,
)
from sae.access.mailbox import PAGE, mailbox_message, read_mailbox
from sae.api.deliveries import read_limited
from sae.api.deps import API, Anyone, Archivist, Db, Opened, Sender
from sae.model import Elimination

router = APIRouter(prefix=API)
_XML: Final = "application/xml"


class ProposalBody(BaseModel):
    # the authority whose visa each elimination also needs (R212-14), if any
    control_authority: str | None = Field(default=None, min_length=1, max_length=200)


@router.post("/eliminations", status_code=201)
def propose(
    who: Archivist, opened: Opened, db: Db, body: ProposalBody | None = None
) -> dict[str, Any]:
    authority = body.control_authority if body is not None else None
    now = opened.config.clock()
    made = propose_eliminations(db, who.organisation, who.name, now, authority)
    return {"items": [elimination_to_dict(e) for e in made]}


@router.get(
    "/eliminations/{elimination_id}/control-request",
    response_class=Response,
    responses=files("application/xml"),
)
def control_request(elimination_id: str, who: Archivist, db: Db) -> Response:
    """The AuthorizationControlAuthorityRequest, for the archivist to send to the authority."""
    found = get_elimination(db, who.organisation, elimination_id)
    if found.control_request is None:
        raise NoControlAsked(f"L'élimination {elimination_id} ne demande pas de visa")
    return Response(found.control_request, media_type=_XML)


class NoControlAsked(ConflictError):
    code = "no_control_authority"
    title = "Pas d'autorité de contrôle pour cette élimination"


@router.post("/control-authorization-replies", status_code=202)
async def control_reply(request: Request, who: Archivist, opened: Opened, db: Db) -> Any:
    """The control authority's AuthorizationControlAuthorityRequestReply, as the archivist
    received it."""
    data = await read_limited(request, MAX_REQUEST_BYTES)
    await run_in_threadpool(
        record_control_reply, db, who.organisation, who.name, data, opened.config.clock()
    )
    return {"status": "recorded"}


@router.get("/eliminations")
def listing(who: Archivist, db: Db) -> dict[str, Any]:
    return {"items": [elimination_to_dict(e) for e in list_eliminations(db, who.organisation)]}


@router.post("/eliminations/{elimination_id}/approve")
def approve(elimination_id: str, who: Archivist, opened: Opened, db: Db) -> dict[str, Any]:
    offers = opened.storage.offers(who.organisation)
    config = opened.config
    done = approve_elimination(
        db, offers, config.dips_dir, who.organisation, who.name, elimination_id, config.clock()
    )
    return elimination_to_dict(done)


@router.get(
    "/eliminations/{elimination_id}/notification",
    response_class=Response,
    responses=files("application/xml"),
)
def notification(elimination_id: str, who: Archivist, db: Db) -> Response:
    found = get_elimination(db, who.organisation, elimination_id)
    if found.notification is None:
        raise NotDestroyed(f"L'élimination {elimination_id} n'est pas encore faite")
    return Response(found.notification, media_type=_XML)


class NotDestroyed(ConflictError):
    code = "elimination_not_done"
    title = "Élimination pas encore faite"


@router.get("/messages")
def messages(
    request: Request, who: Anyone, db: Db, after: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    cursor = int(after) if after and after.isdecimal() else 0
    found = read_mailbox(db, who.organisation, cursor)
    base = str(request.base_url).rstrip("/")
    listed = [
        {"id": m.id, "type": m.type, "message_identifier": m.message_identifier,
         "url": f"{base}{API}/messages/{m.id}"}
        for m in found
    ]  # fmt: skip
    more = {"next": str(found[-1].seq)} if len(found) == PAGE else {}
    return {"messages": listed, **more}


@router.get("/messages/{message_id}", response_class=Response, responses=files("application/xml"))
def message(message_id: str, who: Anyone, db: Db) -> Response:
    return Response(mailbox_message(db, who.organisation, message_id).message, media_type=_XML)


@router.post("/authorization-replies", status_code=202)
async def authorization_reply(request: Request, who: Sender, opened: Opened, db: Db) -> Any:
    data = await read_limited(request, MAX_REQUEST_BYTES)
    await run_in_threadpool(
        record_authorization_reply, db, who.organisation, who.name, data, opened.config.clock()
    )
    return {"status": "recorded"}


def elimination_to_dict(found: Elimination) -> dict[str, Any]:
    return {
        "elimination_id": found.id,
        "message_identifier": found.message_identifier,
        "originating_agency": found.originating_agency,
        "unit_identifiers": list(found.unit_ids),
        "state": str(found.state),
        "proposed_at": found.proposed_at.isoformat(),
        "proposed_by": found.proposed_by,
        "approved_by": found.approved_by,
        "destroyed_at": None if found.destroyed_at is None else found.destroyed_at.isoformat(),
        "control_authority": found.control_authority,
        "control_granted": found.control_granted,
    }
