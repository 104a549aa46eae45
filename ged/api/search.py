"""Search and operation-log verification."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from ged.api.deps import Caller, Ctx
from ged.api.paging import Offset
from ged.api.schemas import DocumentOut, LogVerifyOut, SearchHitOut, SearchOut
from ged.domain.model import Role
from ged.domain.search import MAX_PAGE, SearchQuery, SortKey
from ged.services.oplog import verify_log
from ged.services.search import search_documents
from kernel.errors import InvalidError, Issue

router = APIRouter(tags=["recherche"])


def _extra_filters(raw: list[str]) -> dict[str, str]:
    pairs = {}
    for item in raw:
        key, sep, value = item.partition(":")
        if not sep or not key:
            raise InvalidError(
                "Filtre extra attendu sous la forme clé:valeur",
                issues=[Issue("bad_filter", item, path="extra")],
            )
        pairs[key] = value
    return pairs


@router.get("/search", response_model=SearchOut)
async def search(
    ctx: Ctx,
    caller: Caller,
    q: str = "",
    service_id: Annotated[list[str] | None, Query()] = None,
    dossier_id: str | None = None,
    document_type: str | None = None,
    author: str | None = None,
    keyword: str | None = None,
    language: str | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    extra: Annotated[list[str] | None, Query()] = None,
    signature: Annotated[
        str | None,
        Query(
            pattern="^(valid|invalid|indeterminate|none)$",
            description="the current version's signatures: none = no signature found",
        ),
    ] = None,
    sort: SortKey = SortKey.RELEVANCE,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Offset = 0,
) -> SearchOut:
    query = SearchQuery(
        organisation_id=caller.organisation_id,
        service_ids=frozenset(service_id) if service_id else None,
        text=q,
        dossier_id=dossier_id,
        document_type=document_type,
        author=author,
        keyword=keyword,
        language=language,
        created_from=created_from,
        created_to=created_to,
        extra=_extra_filters(extra or []),
        signature=signature,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )
    page = await run_in_threadpool(search_documents, ctx, caller, query)
    hits = [SearchHitOut(document=DocumentOut.of(h.document), rank=h.rank) for h in page.hits]
    return SearchOut(hits=hits, next_offset=page.next_offset)


@router.get("/log/verify", response_model=LogVerifyOut)
async def log_verify(ctx: Ctx, caller: Caller) -> LogVerifyOut:
    caller.ensure_role(Role.ADMIN, Role.ARCHIVIST)
    report = await run_in_threadpool(verify_log, ctx)
    bad = report.first_break
    return LogVerifyOut(
        ok=report.ok,
        entries=report.entries,
        head=report.head,
        first_bad_seq=bad.seq if bad else None,
        reason=bad.reason if bad else None,
        message=bad.message if bad else None,
    )
