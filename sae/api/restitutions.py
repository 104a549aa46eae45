"""``/restitutions``: a producer asks its archives back, as docs/exchanges.md defines it. It
posts an ``ArchiveRestitutionRequest`` (its ``MessageIdentifier`` as ``Idempotency-Key``),
decided at once; reads the ``ArchiveRestitutionRequestReply`` and the package (a zip streamed
from disk); then posts the ``Acknowledgement`` of the reply once it has verified every digest,
and only then are the archives deleted (a tombstone kept of each)."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from kernel.openapi_problems import files
from sae.access.deliveries import MAX_REQUEST_BYTES
from sae.access.restitutions import (
    acknowledge_restitution,
    get_restitution,
    receive_restitution_request,
    restitution_package,
)
from sae.api.deliveries import read_limited
from sae.api.deps import API, Db, Opened, Sender

router = APIRouter(prefix=f"{API}/restitutions")
_XML: Final = "application/xml"


@router.post("", status_code=202)
async def submit(request: Request, who: Sender, opened: Opened, db: Db) -> JSONResponse:
    data = await read_limited(request, MAX_REQUEST_BYTES)
    key = request.headers.get("Idempotency-Key", "")
    config = opened.config
    found, new = await run_in_threadpool(
        receive_restitution_request,
        db, config.settings.schema_dir, who.organisation, who.name, key, data, config.clock(),
    )  # fmt: skip
    return JSONResponse({"restitution_id": found.id}, status_code=202 if new else 200)


@router.get(
    "/{message_identifier}/reply", response_class=Response, responses=files("application/xml")
)
def reply(message_identifier: str, who: Sender, db: Db) -> Response:
    found = get_restitution(db, who.organisation, message_identifier)
    return Response(found.reply, media_type=_XML)


@router.get(
    "/{message_identifier}/package", response_class=Response, responses=files("application/zip")
)
async def package(message_identifier: str, who: Sender, opened: Opened, db: Db) -> FileResponse:
    offers = opened.storage.offers(who.organisation)
    path = await run_in_threadpool(
        restitution_package, db, offers, opened.config.dips_dir, who.organisation,
        message_identifier,
    )  # fmt: skip
    return FileResponse(path, media_type="application/zip", filename=f"{path.stem}.zip")


@router.post("/{message_identifier}/receipt")
async def receipt(
    message_identifier: str, request: Request, who: Sender, opened: Opened, db: Db
) -> dict[str, str]:
    data = await read_limited(request, MAX_REQUEST_BYTES)
    offers = opened.storage.offers(who.organisation)
    await run_in_threadpool(
        acknowledge_restitution, db, offers, opened.config.dips_dir, who.organisation, who.name,
        message_identifier, data, opened.config.clock(),
    )  # fmt: skip
    return {"status": "acknowledged"}
