"""Imports from the business systems: ``POST /imports?profile=…`` takes the export (zip or
tar.gz) as the raw request body, like a document upload; ``GET /imports/{profile}/{id}`` says
what an import made; ``GET /documents/{id}/history`` gives a signed document's circuit.

201 for a new import, 200 for the same input again (nothing stored), 409 for other files under
an imported business identifier, 422 listing every problem of a refused input.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ged.api.deps import Caller, Ctx
from ged.api.documents import filename_from
from ged.api.schemas import DocumentOut
from ged.api.streaming import BodyReader, declared_length
from ged.domain.inbound import DeliberationLink, DocumentEvent, Profile
from ged.services import processing
from ged.services.inbound.importing import import_inbound
from ged.services.inbound.model import ImportRequest, ImportResult
from ged.services.inbound.replay import document_history, get_import
from ged.services.inbound.setup import InboundSetup
from kernel.errors import UnavailableError

router = APIRouter(tags=["imports"])


class LinkOut(BaseModel):
    number: str
    seance_dossier_id: str
    deliberation_document_id: str | None
    acte_dossier_id: str

    @classmethod
    def of(cls, link: DeliberationLink) -> LinkOut:
        return cls(**link.__dict__)


class ImportedDocumentOut(DocumentOut):
    filename: str


class ImportOut(BaseModel):
    profile: Profile
    business_id: str
    dossier_id: str
    created: bool
    imported_at: datetime
    documents: list[ImportedDocumentOut]
    links: list[LinkOut]

    @classmethod
    def of(cls, result: ImportResult) -> ImportOut:
        record = result.record
        docs = [
            ImportedDocumentOut(**DocumentOut.of(doc).model_dump(), filename=name)
            for doc, name in result.documents
        ]
        return cls(
            profile=record.profile,
            business_id=record.business_id,
            dossier_id=record.dossier_id,
            created=result.created,
            imported_at=record.imported_at,
            documents=docs,
            links=[LinkOut.of(link) for link in result.links],
        )


class HistoryEventOut(BaseModel):
    position: int
    occurred_at: datetime
    kind: str
    agent: str
    detail: str
    source: str

    @classmethod
    def of(cls, event: DocumentEvent) -> HistoryEventOut:
        return cls(**{k: v for k, v in event.__dict__.items() if k != "document_id"})


class InboundUnavailable(UnavailableError):
    code = "inbound_unavailable"
    title = "Imports non disponibles"


def _setup(request: Request) -> InboundSetup:
    setup: InboundSetup | None = getattr(request.app.state, "inbound", None)
    if setup is None:
        raise InboundUnavailable("Les imports ne sont pas configurés sur ce serveur")
    return setup


_ARCHIVE_BODY = {"schema": {"type": "string", "format": "binary"}}


@router.post(
    "/imports",
    status_code=201,
    response_model=ImportOut,
    responses={
        200: {"model": ImportOut, "description": "déjà importé : rien de nouveau"},
        409: {"description": "identifiant métier déjà importé avec d'autres fichiers"},
        422: {"description": "entrée refusée : tous ses problèmes (issues), rien d'enregistré"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                kind: _ARCHIVE_BODY
                for kind in ("application/zip", "application/gzip", "application/x-tar")
            },
        }
    },
)
async def create_import(
    request: Request,
    ctx: Ctx,
    caller: Caller,
    tasks: BackgroundTasks,
    profile: Profile,
    service_id: str,
    filename: str | None = None,
) -> Response:
    """The export as the body (``application/zip``, ``application/gzip``…), its original name
    in ``filename`` or ``Content-Disposition``."""
    setup = _setup(request)
    declared_length(request, ctx.max_upload_bytes)
    name = filename_from(request, filename)
    reader = BodyReader(request)

    def run() -> ImportResult:
        with setup.spool(reader.blocks(), ctx.max_upload_bytes) as path:
            return import_inbound(
                ctx, setup, caller, ImportRequest(profile, path, service_id, name)
            )

    result = await run_in_threadpool(run)
    if result.created:
        for doc, _ in result.documents:
            tasks.add_task(processing.process, ctx, doc.id, 1)
    body = ImportOut.of(result).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if result.created else 200, background=tasks)


@router.get("/imports/{profile}/{business_id}", response_model=ImportOut)
async def read_import(profile: Profile, business_id: str, ctx: Ctx, caller: Caller) -> ImportOut:
    result = await run_in_threadpool(get_import, ctx, caller, profile, business_id)
    return ImportOut.of(result)


@router.get("/documents/{document_id}/history", response_model=list[HistoryEventOut])
async def read_history(document_id: str, ctx: Ctx, caller: Caller) -> list[HistoryEventOut]:
    events = await run_in_threadpool(document_history, ctx, caller, document_id)
    return [HistoryEventOut.of(e) for e in events]
