"""``/deliveries``: communication, as docs/exchanges.md defines it. A GED posts an
``ArchiveDeliveryRequest`` (its ``MessageIdentifier`` as ``Idempotency-Key``), decided at once;
then reads the ``ArchiveDeliveryRequestReply`` and, when granted, the DIP (a zip streamed from
disk). Archivists list the requests received."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse

from kernel.errors import PayloadTooLargeError
from kernel.openapi_problems import files
from kernel.paging import Page
from sae.access.deliveries import (
    MAX_REQUEST_BYTES,
    delivery_dip,
    get_delivery,
    list_deliveries,
    receive_delivery_request,
)
from sae.api.deps import API, Anyone, Archivist, Db, Opened
from sae.model import Delivery

router = APIRouter(prefix=f"{API}/deliveries")
_XML: Final = "application/xml"


@router.post("", status_code=202)
async def submit(request: Request, who: Anyone, opened: Opened, db: Db) -> JSONResponse:
    data = await read_limited(request, MAX_REQUEST_BYTES)
    key = request.headers.get("Idempotency-Key", "")
    config = opened.config
    delivery, new = await run_in_threadpool(
        receive_delivery_request,
        db, config.settings.schema_dir, who.organisation, who.name, key, data, config.clock(),
    )  # fmt: skip
    return JSONResponse({"delivery_id": delivery.id}, status_code=202 if new else 200)


@router.get("")
def listing(
    who: Archivist,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    found = list_deliveries(db, who.organisation, Page(limit, offset))
    return {"items": [delivery_to_dict(d) for d in found]}


@router.get(
    "/{message_identifier}/reply", response_class=Response, responses=files("application/xml")
)
def reply(message_identifier: str, who: Anyone, db: Db) -> Response:
    found = get_delivery(db, who.organisation, message_identifier)
    return Response(found.reply, media_type=_XML)


@router.get(
    "/{message_identifier}/dip", response_class=Response, responses=files("application/zip")
)
async def dip(message_identifier: str, who: Anyone, opened: Opened, db: Db) -> FileResponse:
    offers = opened.storage.offers(who.organisation)
    path = await run_in_threadpool(
        delivery_dip, db, offers, opened.config.dips_dir, who.organisation, message_identifier
    )
    return FileResponse(path, media_type="application/zip", filename=f"{path.stem}.zip")


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused past ``limit`` bytes before more is read."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"Message de plus de {limit} octets")
        chunks.append(chunk)
    return b"".join(chunks)


def delivery_to_dict(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivery_id": delivery.id,
        "message_identifier": delivery.message_identifier,
        "requester": delivery.requester,
        "unit_identifiers": list(delivery.unit_ids),
        "received_at": delivery.received_at.isoformat(),
        "received_by": delivery.received_by,
        "granted": delivery.granted,
    }
