"""Search within what the caller may read: the organisation, and its services for agents."""

from __future__ import annotations

from dataclasses import replace

from ged.domain.access import Principal
from ged.domain.search import MAX_PAGE, SearchPage, SearchQuery
from ged.services.context import Context
from kernel.paging import Page


def search_documents(ctx: Context, actor: Principal, query: SearchQuery) -> SearchPage:
    visible = actor.visible_services()
    services = query.service_ids
    if visible is not None:
        services = visible if services is None else services & visible
    Page(query.limit, query.offset, max_limit=MAX_PAGE)  # refuses a page out of bounds
    scoped = replace(query, organisation_id=actor.organisation_id, service_ids=services)
    with ctx.uow() as uow:
        return uow.repo.search.search(scoped)
