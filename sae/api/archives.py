"""``/archives``: searching the catalogue and retrieving archived objects (OAIS Access, ISO
14721 §4.1.1.6). Both roles of the organisation may read its archives; an object is served only
from a copy that re-verified against the digest registry, re-hashed while it is sent
(``sae.storage.download``), its download recorded first in the access register
(``sae.access.register``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from kernel.openapi_problems import files
from sae.access.modifications import ArchiveChanges, modify_archive
from sae.access.register import download_object
from sae.api.deps import API, Anyone, Archivist, Db, Opened
from sae.catalogue.search import archive_detail, search_archives
from sae.model import (
    MAX_PAGE_SIZE,
    MAX_PAGES,
    ArchiveQuery,
    CatalogueObject,
    CatalogueUnit,
    RuleRef,
)
from sae.storage.download import download_headers, verified_chunks

router = APIRouter(prefix=f"{API}/archives")


@router.get("")
def search(
    who: Anyone,
    db: Db,
    q: str = "",
    level: str | None = None,
    transfer: str | None = None,
    agency: str | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGES)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> dict[str, Any]:
    query = ArchiveQuery(
        who.organisation, q, level, transfer, agency, date_from, date_to, page, page_size
    )
    found = search_archives(db, query)
    return {
        "items": [unit_to_dict(u) for u in found.units],
        "page": found.page,
        "page_size": found.page_size,
        "next_page": found.page + 1 if found.has_more else None,
    }


@router.get("/{archive_id}")
def show(archive_id: str, who: Anyone, db: Db) -> dict[str, Any]:
    detail = archive_detail(db, who.organisation, archive_id)
    return {
        **unit_to_dict(detail.unit),
        "children": [unit_to_dict(c) for c in detail.children],
        "objects": [object_to_dict(o) for o in detail.objects],
    }


class RuleBody(BaseModel):
    rule_id: str = Field(min_length=1, max_length=200)
    start_date: date | None = None


class ChangesBody(BaseModel):
    title: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=20000)
    appraisal: RuleBody | None = None
    final_action: str | None = None
    access: RuleBody | None = None


@router.patch("/{archive_id}")
def modify(
    archive_id: str, who: Archivist, opened: Opened, db: Db, body: ChangesBody | None = None
) -> dict[str, Any]:
    """An archivist's change of the description or rules; the producer is notified (an
    absent body changes nothing: refused, once the archive is found)."""
    body = body or ChangesBody()
    changes = ArchiveChanges(
        body.title, body.description, _rule(body.appraisal), body.final_action, _rule(body.access)
    )
    now = opened.config.clock()
    return unit_to_dict(modify_archive(db, who.organisation, who.name, archive_id, changes, now))


def _rule(body: RuleBody | None) -> RuleRef | None:
    return None if body is None else RuleRef(body.rule_id, body.start_date)


@router.get(
    "/{archive_id}/objects/{object_id}", response_class=StreamingResponse, responses=files("*/*")
)
def download(
    archive_id: str, object_id: str, who: Anyone, opened: Opened, db: Db
) -> StreamingResponse:
    found = download_object(db, who, archive_id, object_id, opened.config.clock())
    return StreamingResponse(
        # verified before a byte from the tenant's offers against its registry, re-hashed while sent
        verified_chunks(opened.storage.offers(who.organisation), found),
        media_type=found.mime_type or "application/octet-stream",
        headers=download_headers(found),
    )


def unit_to_dict(unit: CatalogueUnit) -> dict[str, Any]:
    return {
        "archive_id": unit.archive_id,
        "title": unit.title,
        "description_level": unit.description_level,
        "description": unit.description,
        "start_date": unit.start_date,
        "end_date": unit.end_date,
        "originating_agency": unit.originating_agency,
        "transfer_id": unit.transfer_id,
        "message_identifier": unit.message_identifier,
        "unit_id": unit.unit_id,
        "parent_archive_id": unit.parent_archive_id,
        "archived_at": unit.archived_at.isoformat(),
        "rules": unit.rules.to_dict(),
    }


def object_to_dict(obj: CatalogueObject) -> dict[str, Any]:
    return {
        "object_id": obj.object_id,
        "filename": obj.filename,
        "uri": obj.uri,
        "size": obj.size,
        "sha256": obj.sha256,
        "sha512": obj.sha512,
        "mime_type": obj.mime_type,
        "format_id": obj.format_id,
        "group_id": obj.group_id,
        "signature_status": obj.signature_status,
    }
