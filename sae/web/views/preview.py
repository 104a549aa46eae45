"""``/versements/{id}/fichiers/{object}``: the preview of one file of a transfer awaiting review
(``sae.review.preview``): a PDF's pages drawn in the sandbox, a safe image, or escaped text;
the images are served sandboxed (``Content-Security-Policy: sandbox``, ``nosniff``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from kernel.errors import UnavailableError
from kernel.sandbox.preview import PageRenderer
from kernel.web.render import render
from kernel.web.security import csrf_protect
from sae.bootstrap import Repository as Opened
from sae.review import decisions
from sae.review.preview import image_of, pdf_page, preview_of
from sae.web.security import Archivist, Db, Repository
from sae.web.views.catalogue import SANDBOXED

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
FILE = "/versements/{transfer_id}/fichiers/{object_id}"


def renderer(opened: Opened) -> PageRenderer:
    config = opened.config
    if config.render_page is None:
        raise UnavailableError("Les aperçus ne sont pas disponibles sur ce dépôt")
    return config.render_page


@router.get(FILE)
async def preview(
    request: Request,
    transfer_id: str,
    object_id: str,
    person: Archivist,
    config: Repository,
    db: Db,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    transfer = await run_in_threadpool(decisions.get_transfer, db, person.organisation, transfer_id)
    shown = await run_in_threadpool(preview_of, transfer, object_id, renderer(config))
    return render(
        request,
        "apercu.html",
        title=f"Aperçu de {shown.file.filename or shown.file.uri}",
        transfer=transfer,
        preview=shown,
        page_number=min(page, shown.page_count or 1),
    )


@router.get(FILE + "/pages/{page}")
async def pdf_page_image(
    transfer_id: str, object_id: str, page: int, person: Archivist, config: Repository, db: Db
) -> Response:
    transfer = await run_in_threadpool(decisions.get_transfer, db, person.organisation, transfer_id)
    png = await run_in_threadpool(pdf_page, transfer, object_id, renderer(config), page)
    return Response(png, media_type="image/png", headers=SANDBOXED)


@router.get(FILE + "/image")
async def image(transfer_id: str, object_id: str, person: Archivist, db: Db) -> Response:
    transfer = await run_in_threadpool(decisions.get_transfer, db, person.organisation, transfer_id)
    kind, data = await run_in_threadpool(image_of, transfer, object_id)
    return Response(data, media_type=kind, headers=SANDBOXED)
