"""Communication and restitution of transferred archives over HTTP (``ged.services.
archive_exchanges``; the exchange with the repository: docs/exchanges.md).

``POST /archives/requests`` sends the request for the archives of the dossiers given;
``POST /archives/requests/{id}/receive`` reads the reply and, when granted, fetches the package,
verifies every digest and keeps it in the spool (a restitution is acknowledged only then):
``waiting`` (202, ``Retry-After``), ``refused`` (with the repository's comments) or
``received``; ``GET /archives/requests/{id}/package`` gives the verified package. Records
officers, archivists and administrators; another organisation's request answers 404.

The repository's messages to the producer: ``POST /archives/messages/collect`` reads its
mailbox, ``GET /archives/messages`` lists what was kept (``state=awaiting_answer``: the
authorization requests no archivist answered), ``POST /archives/messages/{id}/answer`` (an
archivist) answers one.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from connectors.exchanges import ExchangeKind
from ged.api.deps import Caller, Ctx
from ged.api.transfers import transfer_setup
from ged.services import archive_exchanges, incoming_exchanges
from ged.services.archive_exchanges import Received
from ged.services.incoming_ports import IncomingMessage, IncomingState
from kernel.openapi_problems import files

router = APIRouter(tags=["communications et restitutions"])
_KINDS = {"communication": ExchangeKind.DELIVERY, "restitution": ExchangeKind.RESTITUTION}


class ArchivesRequestIn(BaseModel):
    agreement: str = Field(min_length=1, max_length=200)
    kind: Literal["communication", "restitution"]
    dossier_ids: list[str] = Field(min_length=1, max_length=10_000)
    derogation: bool = False
    reason: str | None = Field(default=None, max_length=2000)


class ReceiveIn(BaseModel):
    agreement: str = Field(min_length=1, max_length=200)


@router.post("/archives/requests", status_code=201)
async def request_archives(
    body: ArchivesRequestIn, request: Request, response: Response, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    setup = transfer_setup(request)
    mid = await run_in_threadpool(
        lambda: archive_exchanges.request_archives(
            setup,
            ctx,
            caller,
            body.agreement,
            _KINDS[body.kind],
            body.dossier_ids,
            derogation=body.derogation,
            reason=body.reason,
        )
    )
    response.headers["Location"] = f"/api/v1/archives/requests/{mid}"
    return {"message_identifier": mid, "kind": body.kind, "state": "sent"}


@router.post("/archives/requests/{message_identifier}/receive")
async def receive_archives(
    message_identifier: str,
    body: ReceiveIn,
    request: Request,
    response: Response,
    ctx: Ctx,
    caller: Caller,
) -> dict[str, Any]:
    setup = transfer_setup(request)
    out = archive_exchanges.package_path(setup, caller, message_identifier)
    found = await run_in_threadpool(
        archive_exchanges.receive_archives, setup, ctx, caller, body.agreement,
        message_identifier, out,
    )  # fmt: skip
    if found.state == "waiting":
        response.status_code = 202
        response.headers["Retry-After"] = str(int(found.retry_after or 0))
    return _shown(found)


@router.get(
    "/archives/requests/{message_identifier}/package",
    response_class=FileResponse,
    responses=files("application/zip"),
)
def get_package(message_identifier: str, request: Request, caller: Caller) -> FileResponse:
    """The package received, verified (404 before)."""
    path = archive_exchanges.received_package(transfer_setup(request), caller, message_identifier)
    return FileResponse(path, media_type="application/zip", filename=path.name)


def _shown(found: Received) -> dict[str, Any]:
    shown: dict[str, Any] = {"message_identifier": found.message_identifier, "state": found.state}
    if found.state == "waiting":
        shown["retry_after"] = found.retry_after
    if found.state == "refused":
        shown["comments"] = list(found.comments)
    if found.state == "received":
        mid = found.message_identifier
        shown |= {"sha256": found.sha256, "units": list(found.units)}
        shown["package_url"] = f"/api/v1/archives/requests/{mid}/package"
    return shown


class CollectIn(BaseModel):
    agreement: str = Field(min_length=1, max_length=200)


class AnswerIn(BaseModel):
    granted: bool
    comment: str | None = Field(default=None, max_length=2000)


@router.post("/archives/messages/collect")
async def collect_messages(
    body: CollectIn, request: Request, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    """Read the repository's mailbox: the messages kept now (each once)."""
    setup = transfer_setup(request)
    new = await run_in_threadpool(
        incoming_exchanges.collect_messages, setup, ctx, caller, body.agreement
    )
    return {"new": [_incoming(m) for m in new]}


@router.get("/archives/messages")
def list_messages(
    ctx: Ctx, caller: Caller, state: IncomingState | None = None
) -> list[dict[str, Any]]:
    return [_incoming(m) for m in incoming_exchanges.incoming_messages(ctx, caller, state)]


@router.post("/archives/messages/{message_identifier}/answer")
async def answer_authorization(
    message_identifier: str, body: AnswerIn, request: Request, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    """An archivist's yes or no to an authorization request before an elimination (409 once
    answered)."""
    setup = transfer_setup(request)
    answered = await run_in_threadpool(
        lambda: incoming_exchanges.answer_authorization(
            setup, ctx, caller, message_identifier, granted=body.granted, comment=body.comment
        )
    )
    return _incoming(answered)


def _incoming(m: IncomingMessage) -> dict[str, Any]:
    return {
        "message_identifier": m.message_identifier,
        "type": m.message_type,
        "agreement": m.agreement,
        "state": m.state.value,
        "received_at": m.received_at.isoformat(),
        "units": list(m.units),
        "dossiers": list(m.dossiers),
        "answer": m.answer,
        "comment": m.comment,
        "reply_identifier": m.reply_identifier,
    }
