"""The document page: metadata, versions, a preview that never runs the file in the browser
(PDF pages drawn as images by the sandbox, safe image formats served sandboxed, extracted text
escaped), and the download of each version."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ged.http_streaming import content_disposition
from ged.services.browse import document_page
from ged.services.documents import open_version
from ged.services.preview import image_of, pdf_page, preview_of
from ged.web.render import render
from ged.web.security import Ctx, User, csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
# The bytes of a stored file never run as a page: no script, no plugin, no type sniffing.
SANDBOXED = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}


@router.get("/documents/{document_id}")
async def document(
    request: Request,
    document_id: str,
    ctx: Ctx,
    user: User,
    version: int | None = None,
    page: int = 1,
) -> Response:
    found = await run_in_threadpool(document_page, ctx, user, document_id)
    preview = await run_in_threadpool(preview_of, ctx, user, document_id, version)
    return render(
        request,
        "document.html",
        title=found.document.metadata.title,
        page=found,
        preview=preview,
        page_number=max(1, min(page, preview.page_count or 1)),
    )


@router.get("/documents/{document_id}/versions/{number}/pages/{page}")
async def pdf_page_image(
    document_id: str, number: int, page: int, ctx: Ctx, user: User
) -> Response:
    png = await run_in_threadpool(pdf_page, ctx, user, document_id, number, page)
    return Response(png, media_type="image/png", headers=SANDBOXED)


@router.get("/documents/{document_id}/versions/{number}/image")
async def image(document_id: str, number: int, ctx: Ctx, user: User) -> Response:
    version, stream = await run_in_threadpool(image_of, ctx, user, document_id, number)
    headers = {**SANDBOXED, "Content-Length": str(version.size)}
    return StreamingResponse(_chunks(stream), media_type=version.mime_type, headers=headers)


@router.get("/documents/{document_id}/versions/{number}/contenu")
async def download(document_id: str, number: int, ctx: Ctx, user: User) -> Response:
    version, stream = await run_in_threadpool(open_version, ctx, user, document_id, number)
    headers = {
        **SANDBOXED,
        "Content-Disposition": content_disposition(version.filename),
        "Content-Length": str(version.size),
    }
    return StreamingResponse(_chunks(stream), media_type=version.mime_type, headers=headers)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while block := stream.read(1 << 20):
            yield block
