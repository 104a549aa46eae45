"""Filing documents from the browser: several files at once, dragged and dropped, each with
its progress bar; or, without JavaScript, a plain form.

Both stream into the blob store exactly as the API's upload does (``file_document`` pulls the
bytes from the request in blocks of about 1 MiB while hashing and writing them): the script
posts each file's raw bytes to ``…/depot/fichier`` with the CSRF token in a header; the plain
form's files are read from the multipart stream as they arrive (``ged.web.multipart``), after
its CSRF field. Each file is one document, filed in its own transaction: a refused file leaves
nothing behind, and the files before it stay filed.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ged.domain.access import Principal
from ged.domain.model import Metadata
from ged.http_streaming import BodyReader, declared_length
from ged.presentation import labels
from ged.services import documents, processing
from ged.services.context import Context
from ged.services.filing import get_dossier
from ged.web.forms import check_csrf_first
from ged.web.multipart import StreamingForm
from ged.web.render import redirect_with, render
from ged.web.security import Ctx, User, csrf_in_stream, csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


@router.get("/dossiers/{dossier_id}/depot")
async def upload_page(request: Request, dossier_id: str, ctx: Ctx, user: User) -> Response:
    dossier = await run_in_threadpool(get_dossier, ctx, user, dossier_id)
    return render(
        request,
        "depot.html",
        title=f"Déposer dans « {dossier.title} »",
        dossier=dossier,
        max_size=labels.size(ctx.max_upload_bytes),
        error=None,
    )


@router.post("/dossiers/{dossier_id}/depot/fichier")
async def upload_one(
    request: Request,
    dossier_id: str,
    ctx: Ctx,
    user: User,
    tasks: BackgroundTasks,
    nom: str = "",
) -> Response:
    """One file's raw bytes (the script's request, CSRF token in its header)."""
    size = declared_length(request, ctx.max_upload_bytes)
    reader = BodyReader(request)
    filed = await run_in_threadpool(
        _file, ctx, user, dossier_id, reader, nom, request.headers.get("content-type"), size
    )
    tasks.add_task(processing.process, ctx, filed.document.id, filed.version.number)
    body = {
        "id": filed.document.id,
        "titre": filed.document.metadata.title,
        "adresse": f"/documents/{filed.document.id}",
        "taille": labels.size(filed.version.size),
    }
    return JSONResponse(body, status_code=201)


@router.post("/dossiers/{dossier_id}/depot")
@csrf_in_stream
async def upload_form(
    request: Request, dossier_id: str, ctx: Ctx, user: User, tasks: BackgroundTasks
) -> Response:
    """The plain form (no JavaScript): its CSRF field first, then the files, streamed."""
    form = StreamingForm(request)
    await check_csrf_first(request, form)
    filed = 0
    while (part := await form.next_part()) is not None:
        if not part.filename:  # another field, or a file input left empty
            continue
        done = await run_in_threadpool(
            _file, ctx, user, dossier_id, form, part.filename, part.content_type, None
        )
        tasks.add_task(processing.process, ctx, done.document.id, done.version.number)
        filed += 1
    if not filed:
        return await _nothing_chosen(request, ctx, user, dossier_id)
    message = labels.count(filed, "document déposé", "documents déposés")
    return await redirect_with(
        request, f"/dossiers/{dossier_id}", message[:1].upper() + message[1:] + "."
    )


def _file(
    ctx: Context,
    user: Principal,
    dossier_id: str,
    source: BodyReader | StreamingForm,
    filename: str,
    mime_type: str | None,
    size: int | None,
) -> documents.Filed:
    name = documents.safe_filename(filename)
    return documents.file_document(
        ctx,
        user,
        dossier_id,
        source.blocks(),
        filename=name,
        metadata=Metadata(title=name),
        mime_type=mime_type,
        expected_size=size,
    )


async def _nothing_chosen(request: Request, ctx: Ctx, user: User, dossier_id: str) -> Response:
    dossier = await run_in_threadpool(get_dossier, ctx, user, dossier_id)
    return render(
        request,
        "depot.html",
        status=422,
        title=f"Déposer dans « {dossier.title} »",
        dossier=dossier,
        max_size=labels.size(ctx.max_upload_bytes),
        error="Choisissez au moins un fichier.",
    )
