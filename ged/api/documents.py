"""Documents: streaming upload, versions, metadata, download.

Uploads send the raw bytes as the request body (``Content-Type`` of the file; the original
name in ``Content-Disposition: attachment; filename*=UTF-8''…`` or the ``filename`` query
parameter), metadata as query parameters. This keeps the upload a single stream, hashed while
written, with no multipart spooling.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ged.adapters.fixity.verified_download import verified_blocks
from ged.api import links
from ged.api.deps import Caller, Ctx
from ged.api.idempotent import Upload, run_once
from ged.api.paging import Limit, Offset
from ged.api.schemas import DocumentOut, MetadataIn, VersionOut
from ged.api.streaming import BodyReader, declared_length
from ged.domain.model import Metadata
from ged.http_streaming import content_disposition
from ged.services import documents, processing
from ged.services.context import Context
from ged.services.document_view import view_document
from kernel.errors import InvalidError, Issue
from kernel.openapi_problems import files
from kernel.paging import MAX_LIMIT, MAX_SQL_INTEGER, Page

router = APIRouter(tags=["documents"])


def filename_from(request: Request, query_name: str | None) -> str | None:
    if query_name:
        return query_name
    header = request.headers.get("content-disposition", "")
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1])
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename":
            return value.strip('"')
    return None


def _extra(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidError(
            "extra : JSON invalide", issues=[Issue("bad_json", str(exc), path="extra")]
        ) from exc
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidError(
            "extra : objet de chaînes attendu", issues=[Issue("bad_extra", "type", path="extra")]
        )
    return value


def upload_of(request: Request, ctx: Context, reader: BodyReader, size: int | None) -> Upload[Any]:
    """An upload for its Idempotency-Key: its head is the declared size, type and name (the
    query string is part of the fingerprint already), then the digest of the bytes stored."""
    headers = request.headers
    marker = f"{size} {headers.get('content-type', '')} {headers.get('content-disposition', '')}"
    return Upload(marker, reader, _stored_digest, ctx.max_upload_bytes)


def _stored_digest(created: DocumentOut | VersionOut) -> str:
    if isinstance(created, VersionOut):
        return created.sha256
    [version] = created.versions or []  # a new document has its first version only
    return version.sha256


def _process_later(tasks: BackgroundTasks, ctx: Context, document_id: str, number: int) -> None:
    tasks.add_task(processing.process, ctx, document_id, number)


@router.post(
    "/dossiers/{dossier_id}/documents",
    status_code=201,
    response_model=DocumentOut,
    responses=links.DOCUMENT_FILED,
    openapi_extra=links.RAW_UPLOAD,
)
async def upload_document(
    dossier_id: str,
    request: Request,
    ctx: Ctx,
    caller: Caller,
    tasks: BackgroundTasks,
    title: str | None = None,
    filename: str | None = None,
    description: str = "",
    author: str = "",
    language: str = "fra",
    document_type: str = "",
    keywords: Annotated[list[str] | None, Query()] = None,
    created_on: date | None = None,
    received_on: date | None = None,
    extra: str | None = None,
    signature_of: Annotated[
        str | None,
        Query(description="for a detached signature (.p7s): the document it signs, same dossier"),
    ] = None,
) -> Response:
    size = declared_length(request, ctx.max_upload_bytes)
    name = filename_from(request, filename)
    meta = Metadata(
        title=title or name or "Sans titre",
        description=description,
        author=author,
        language=language,
        document_type=document_type,
        keywords=keywords or [],
        created_on=created_on,
        received_on=received_on,
        extra=_extra(extra),
    )
    reader = BodyReader(request)

    def create() -> DocumentOut:
        filed = documents.file_document(
            ctx,
            caller,
            dossier_id,
            reader.blocks(),
            filename=name,
            metadata=meta,
            mime_type=request.headers.get("content-type"),
            expected_size=size,
            signature_of=signature_of,
        )
        _process_later(tasks, ctx, filed.document.id, filed.version.number)
        return DocumentOut.of(filed.document, [filed.version])

    return await run_once(
        request, ctx, caller, create, upload=upload_of(request, ctx, reader, size)
    )


@router.post(
    "/documents/{document_id}/versions",
    status_code=201,
    response_model=VersionOut,
    openapi_extra=links.RAW_UPLOAD,
)
async def upload_version(
    document_id: str,
    request: Request,
    ctx: Ctx,
    caller: Caller,
    tasks: BackgroundTasks,
    filename: str | None = None,
) -> Response:
    size = declared_length(request, ctx.max_upload_bytes)
    name = filename_from(request, filename)
    reader = BodyReader(request)

    def create() -> VersionOut:
        filed = documents.add_version(
            ctx,
            caller,
            document_id,
            reader.blocks(),
            filename=name,
            mime_type=request.headers.get("content-type"),
            expected_size=size,
        )
        _process_later(tasks, ctx, filed.document.id, filed.version.number)
        return VersionOut.of(filed.version)

    return await run_once(
        request, ctx, caller, create, upload=upload_of(request, ctx, reader, size)
    )


@router.get("/documents/{document_id}", response_model=DocumentOut)
async def get_document(document_id: str, ctx: Ctx, caller: Caller) -> DocumentOut:
    view = await run_in_threadpool(view_document, ctx, caller, document_id)
    return DocumentOut.of_view(view)


@router.patch("/documents/{document_id}", response_model=DocumentOut)
async def update_metadata(
    document_id: str, body: MetadataIn, ctx: Ctx, caller: Caller
) -> DocumentOut:
    # An explicit null leaves the field as it is (every metadata field has a value).
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    doc = await run_in_threadpool(documents.update_metadata, ctx, caller, document_id, changes)
    return DocumentOut.of(doc)


@router.get("/documents/{document_id}/versions", response_model=list[VersionOut])
async def list_versions(
    document_id: str, ctx: Ctx, caller: Caller, limit: Limit = MAX_LIMIT, offset: Offset = 0
) -> list[VersionOut]:
    page = Page(limit, offset)
    view = await run_in_threadpool(view_document, ctx, caller, document_id)
    return page.of(DocumentOut.of_view(view).versions or [])


# Up to this size the whole content is read and verified before the answer starts, so that a
# damaged one gets a clear 409; past it, a damaged content's transfer is cut short instead.
VERIFIED_BEFORE_SENDING = 2 * 1024 * 1024


@router.get("/documents/{document_id}/content", response_class=Response, responses=files("*/*"))
async def download(
    document_id: str,
    ctx: Ctx,
    caller: Caller,
    version: Annotated[int | None, Query(ge=1, le=MAX_SQL_INTEGER)] = None,
) -> Response:
    """The version's bytes, re-hashed as they are served: never a damaged content as a complete
    200 (ISO 14721 §4.1.1.3 error checking on access)."""
    found, stream = await run_in_threadpool(
        documents.open_version, ctx, caller, document_id, version
    )
    blocks = verified_blocks(stream, found, documents.damage_recorder(ctx, caller, found))
    headers = {
        "Content-Disposition": content_disposition(found.filename),
        "Content-Length": str(found.size),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
        "ETag": f'"{found.sha256}"',
        "Repr-Digest": f"sha-256=:{base64.b64encode(bytes.fromhex(found.sha256)).decode()}:",
    }
    if found.size <= VERIFIED_BEFORE_SENDING:
        body = await run_in_threadpool(b"".join, blocks)
        return Response(body, media_type=found.mime_type, headers=headers)
    return StreamingResponse(blocks, media_type=found.mime_type, headers=headers)
