"""``/archives``: the catalogue for every person of the organisation (archivists and readers):
search (full text, folded accents), an archive's page (its description, its place, its
children and its objects) and the verified download of an object (``sae.storage.download``:
re-verified before the first byte, re-hashed while sent; a damaged copy never completes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from kernel.web.render import render
from kernel.web.security import csrf_protect
from sae.access.register import download_object
from sae.catalogue.search import archive_detail, search_archives
from sae.model import MAX_PAGES, ArchiveQuery, Principal
from sae.storage.download import download_headers, verified_chunks
from sae.web.security import Db, Repository, Someone

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
# What a downloaded file may do if a browser opened it anyway: nothing (no script, no plugin).
SANDBOXED = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}


@router.get("/archives")
async def search(
    request: Request,
    person: Someone,
    db: Db,
    q: str = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGES)] = 1,
) -> Response:
    query = ArchiveQuery(person.organisation, q.strip()[:500], page=page, page_size=20)
    found = await run_in_threadpool(search_archives, db, query)
    return render(request, "archives.html", title="Catalogue", q=q, found=found)


@router.get("/archives/{archive_id}")
async def archive(request: Request, archive_id: str, person: Someone, db: Db) -> Response:
    detail = await run_in_threadpool(archive_detail, db, person.organisation, archive_id)
    return render(request, "archive.html", title=detail.unit.title or archive_id, detail=detail)


@router.get("/archives/{archive_id}/objets/{object_id}")
async def download(
    archive_id: str, object_id: str, person: Someone, config: Repository, db: Db
) -> Response:
    who = Principal(person.organisation, person.role, person.name)
    now = config.config.clock()
    found = await run_in_threadpool(download_object, db, who, archive_id, object_id, now)
    offers = config.storage.offers(person.organisation)  # the tenant's, against its registry
    blocks = await run_in_threadpool(verified_chunks, offers, found)
    return StreamingResponse(
        blocks,
        media_type="application/octet-stream",
        headers={**download_headers(found), **SANDBOXED},
    )
