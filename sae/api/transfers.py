"""``/transfers``: a GED submits a SIP (streamed to quarantine, acknowledged at once, checked
once answered) and collects its acknowledgement and, once decided, its reply."""

from __future__ import annotations

import re
from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from kernel.errors import BadRequestError, NotFoundError
from kernel.openapi_problems import files
from sae.api.deps import API, VERSION, Anyone, Db, Opened, Sender
from sae.bootstrap import Repository
from sae.ingest.checks import DIGESTS, run_checks
from sae.ingest.receive import NotAZip, Submitted, admit, quarantine, receive
from sae.ingest.setup import load_setup
from sae.model import Transfer
from sae.review.decisions import get_transfer, transfer_reply

router = APIRouter(prefix=API)
_HEX: Final = re.compile(r"^[0-9a-f]+$")
_XML: Final = "application/xml"


class ReplyNotReady(NotFoundError):
    code = "reply_not_ready"
    title = "Réponse pas encore décidée"


@router.get("/health")
def health(who: Anyone) -> dict[str, str]:
    return {"status": "ok", "organisation": who.organisation, "version": VERSION}


@router.post("/transfers", status_code=202)
async def submit(request: Request, who: Sender, opened: Opened, db: Db) -> JSONResponse:
    submitted = _submitted(request)
    settings = opened.config.settings
    setup = await run_in_threadpool(load_setup, db, who.organisation)
    admit(setup, submitted.transferring_agency)
    package = await quarantine(settings, request.stream())
    transfer, new = await run_in_threadpool(
        receive, db, settings, who.organisation, submitted, package
    )
    # The checks hash every file: they run once answered (sae.recovery resumes them).
    checks = await run_in_threadpool(after_receipt, opened, transfer, new)
    return JSONResponse(
        _locators(str(request.base_url), transfer),
        status_code=202 if new else 200,
        background=checks,
    )


@router.get(
    "/transfers/{transfer_id}/acknowledgement",
    response_class=Response,
    responses=files(_XML),
)
def acknowledgement(transfer_id: str, who: Anyone, db: Db) -> Response:
    transfer = get_transfer(db, who.organisation, transfer_id)
    return Response(transfer.acknowledgement, media_type=_XML)


@router.get("/transfers/{transfer_id}/reply", response_class=Response, responses=files(_XML))
def reply(transfer_id: str, who: Anyone, db: Db) -> Response:
    found = transfer_reply(db, who.organisation, transfer_id)
    if found is None:
        raise ReplyNotReady(f"Le transfert {transfer_id} attend la décision de l'archiviste")
    return Response(found, media_type=_XML)


def after_receipt(opened: Repository, transfer: Transfer, new: bool) -> BackgroundTask | None:
    """The checks of a transfer just received: deferred to the workers' queue, or run by this
    process once it has answered (``sae.jobs``); nothing for a resend."""
    if not new or opened.jobs.defer_checks(transfer):
        return None
    return BackgroundTask(run_checks, opened.db, opened.config.settings, transfer)


def _submitted(request: Request) -> Submitted:
    headers = request.headers
    if headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/zip":
        raise NotAZip("Content-Type application/zip attendu")
    key, agency = headers.get("Idempotency-Key", ""), headers.get("X-Transferring-Agency", "")
    if not key or not agency:
        raise BadRequestError("En-têtes Idempotency-Key et X-Transferring-Agency requis")
    return Submitted(key, agency, manifest_digest(request))


def manifest_digest(
    request: Request, *, algorithm_header: str = "X-Manifest-Digest-Algorithm"
) -> tuple[str, str] | None:
    """The manifest's digest the sender announces (Vitam names the first header
    ``X-Manifest-Digest-Algo``), both headers or neither."""
    algorithm = request.headers.get(algorithm_header)
    value = request.headers.get("X-Manifest-Digest-Value")
    if algorithm is None and value is None:
        return None
    if algorithm not in DIGESTS or value is None or not _HEX.match(value):
        raise BadRequestError(
            f"{algorithm_header} (SHA-256|SHA-384|SHA-512) et "
            "X-Manifest-Digest-Value (hexadécimal minuscule) vont ensemble"
        )
    return algorithm, value


def _locators(root: str, transfer: Transfer) -> dict[str, str]:
    base = f"{root.rstrip('/')}{API}/transfers/{transfer.id}"
    return {
        "transfer_id": transfer.id,
        "acknowledgement_url": f"{base}/acknowledgement",
        "reply_url": f"{base}/reply",
    }
