"""Transfers to an archival repository over HTTP: start, follow, poll now, read the reply.

Records officers, archivists and administrators run transfers; the scheduler of ``gedsae
serve`` polls them in the background, ``POST …/poll`` asks at once; an archivist records a reply
received outside any connector with ``POST …/reply`` (its XML, checked as a polled one).
Another organisation's transfer answers 404.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ged.api.deps import Caller, Ctx
from ged.api.paging import Offset
from ged.api.streaming import BodyReader, declared_length
from ged.services import transfer_loop, transfer_packages, transfer_runner
from ged.services.ports import TransferRecord, TransferState
from ged.services.transfer_by_hand import MAX_REPLY_BYTES
from ged.services.transfer_setup import TransferSetup, configured
from kernel.errors import PayloadTooLargeError
from kernel.openapi_problems import files
from kernel.paging import Page

router = APIRouter(tags=["versements"])


class TransferIn(BaseModel):
    agreement: str = Field(min_length=1, max_length=200)
    dossier_ids: list[str] = Field(default_factory=list, max_length=10_000)
    due: bool = False


def transfer_setup(request: Request) -> TransferSetup:
    """The instance's agreements and connectors; 503 when none is configured."""
    return configured(request.app.state.transfers)


@router.post("/transfers", status_code=201)
async def start_transfer(
    body: TransferIn, request: Request, response: Response, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    """A transfer of the dossiers given, or (``due``) of every due dossier to keep that may
    leave: the answer's ``left`` names each other one with its ``code`` and ``reason``."""
    setup = transfer_setup(request)
    left: list[dict[str, str]] = []
    if body.due or not body.dossier_ids:
        due = await run_in_threadpool(transfer_runner.start_due, setup, ctx, caller, body.agreement)
        record, left = due.record, [asdict(x) for x in due.left]
    else:
        record = await run_in_threadpool(
            transfer_runner.start, setup, ctx, caller, body.agreement, body.dossier_ids
        )
    response.headers["Location"] = f"/api/v1/transfers/{record.message_identifier}"
    return {**transfer_runner.describe(record), "left": left}


_PACKAGE_STARTED = {
    "message_identifier": "PARAPH-2026-0042",
    "state": "sent",
    "agreement": "ad35",
    "connector": "sae",
    "transferring_agency": "SERVICE-A",
    "dossiers": [],
    "attempts": 1,
    "left": [],
}
_PACKAGE_REFUSED = {
    "type": "https://gedsae.example/problems/package_refused",
    "title": "Paquet de versement refusé",
    "status": 422,
    "code": "package_refused",
    "detail": "Paquet refusé : 2 problème(s), rien n'a été conservé ni envoyé",
    "issues": [
        {
            "code": "digest_mismatch",
            "message": "BDO_1 : empreinte différente du fichier content/BDO_1.pdf",
            "line": 41,
            "path": None,
        },
        {
            "code": "originating_agency_outside",
            "message": "service producteur « RH » hors des services de l'accord ou de l'appelant",
            "line": None,
            "path": "OriginatingAgency",
        },
    ],
}


@router.post(
    "/transfers/packages",
    status_code=201,
    responses={
        201: {
            "description": "paquet contrôlé, signé et envoyé : le transfert, suivi ensuite "
            "comme les autres (GET /api/v1/transfers/{message_identifier})",
            "content": {"application/json": {"example": _PACKAGE_STARTED}},
        },
        409: {"description": "MessageIdentifier déjà reçu (transfer_mismatch)"},
        422: {
            "description": "paquet refusé : tous ses problèmes (issues), rien de conservé",
            "content": {"application/problem+json": {"example": _PACKAGE_REFUSED}},
        },
        503: {"description": "aucun accord configuré, ou schémas SEDA non installés"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "le SIP prêt : un zip avec manifest.xml à sa racine",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def submit_package(
    request: Request,
    response: Response,
    ctx: Ctx,
    caller: Caller,
    agreement: Annotated[str, Query(min_length=1, max_length=200)],
) -> dict[str, Any]:
    """A ready SIP (zip body) sent under ``agreement`` by an application client or someone who
    runs transfers: checked (XSD, references, digests and sizes, the agreement's profile, its
    agencies, the caller's services), signed as ours are and sent through the agreement's
    connector. Refused: 422 with every problem, nothing kept."""
    setup = transfer_setup(request)
    await run_in_threadpool(transfer_packages.may_submit, setup, ctx, caller, agreement)
    declared_length(request, ctx.max_upload_bytes)
    reader = BodyReader(request)

    uploads = setup.uploads or partial(transfer_packages.received, setup.spool)

    def run() -> TransferRecord:
        with uploads(reader.blocks(), ctx.max_upload_bytes) as up:
            return transfer_packages.submit_package(setup, ctx, caller, agreement, up)

    record = await run_in_threadpool(run)
    response.headers["Location"] = f"/api/v1/transfers/{record.message_identifier}"
    return {**transfer_runner.describe(record), "left": []}


@router.get("/transfers")
def list_transfers(
    ctx: Ctx,
    caller: Caller,
    state: Annotated[TransferState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=transfer_loop.MAX_TRANSFERS_PAGE)] = 200,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    page = Page(limit, offset, max_limit=transfer_loop.MAX_TRANSFERS_PAGE)
    records = transfer_loop.list_transfers(ctx, caller, state, page)
    return [transfer_runner.describe(r) for r in records]


_FOLLOWED = {
    **{k: v for k, v in _PACKAGE_STARTED.items() if k != "left"},
    "state": "accepted",
    "acknowledged": True,
    "remote_reference": "TR-2026-118",
    "outcome": {"outcome": "accepted", "archive_identifiers": ["FRAD035-2026-0042"]},
    "error": None,
    "reasons": [],
}


@router.get(
    "/transfers/{message_identifier}",
    responses={
        200: {
            "description": "le versement (une application cliente : les siens seulement)",
            "content": {"application/json": {"example": _FOLLOWED}},
        },
        404: {"description": "inconnu, d'une autre organisation ou d'une autre application"},
    },
)
def get_transfer(
    message_identifier: str, ctx: Ctx, caller: Caller, history: bool = False
) -> dict[str, Any]:
    record = transfer_loop.get_transfer(ctx, caller, message_identifier)
    shown = transfer_runner.describe(record)
    if history:
        shown["history"] = list(record.history)
    return shown


@router.get(
    "/transfers/{message_identifier}/reply",
    response_class=Response,
    responses=files("application/xml"),
)
def get_transfer_reply(message_identifier: str, ctx: Ctx, caller: Caller) -> Response:
    """The repository's ArchiveTransferReply, byte for byte as received (404 before one)."""
    data = transfer_loop.transfer_reply(ctx, caller, message_identifier)
    name = f"reponse-{message_identifier}.xml"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/xml", headers=headers)


@router.post("/transfers/{message_identifier}/reply")
async def record_reply(
    message_identifier: str, request: Request, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    """An archivist records the repository's ArchiveTransferReply received outside any
    connector (paper, mail): the body is the reply's XML, checked as a polled reply is."""
    data = await _bounded_body(request, MAX_REPLY_BYTES)
    setup: TransferSetup | None = request.app.state.transfers
    record = await run_in_threadpool(
        transfer_runner.record_reply, setup, ctx, caller, message_identifier, data
    )
    return transfer_runner.describe(record)


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The body, refused (413) past ``limit`` bytes, never held beyond it."""
    length = request.headers.get("content-length", "")
    if length.isdecimal() and int(length) > limit:
        raise PayloadTooLargeError(f"Réponse de plus de {limit} octets refusée")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLargeError(f"Réponse de plus de {limit} octets refusée")
    return bytes(body)


@router.post("/transfers/{message_identifier}/poll")
async def poll_transfer(
    message_identifier: str, request: Request, ctx: Ctx, caller: Caller
) -> dict[str, Any]:
    setup = transfer_setup(request)
    record = transfer_loop.get_transfer(ctx, caller, message_identifier)
    done = await run_in_threadpool(transfer_runner.step, setup, ctx, caller, record)
    return transfer_runner.describe(done)
