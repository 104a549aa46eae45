"""Full-text search with filters (service, document type, dates, phase, format) and excerpts
whose matching words are marked.

The excerpt comes from the search index as fragments (``ged.domain.search.Fragment``); the
template escapes each one and wraps the matching ones in ``<mark>``, so nothing in a document's
text can become markup. The form works without JavaScript; with htmx only the results change.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from ged.domain.lifecycle import Phase
from ged.domain.model import Service
from ged.domain.search import SearchQuery, SortKey
from ged.presentation import labels
from ged.services.admin import list_services
from ged.services.browse import Found, search_with_versions
from ged.web.render import render
from ged.web.security import Ctx, User, csrf_protect

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
PAGE = 20


@dataclass
class Filters:
    """The search form as typed, and what is wrong with it, field by field."""

    q: str = ""
    service: str = ""
    type: str = ""
    du: str = ""
    au: str = ""
    phase: str = ""
    format: str = ""
    dossier: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def asked(self) -> bool:
        fields = (self.q, self.service, self.type, self.du, self.au, self.phase, self.format)
        return any(fields) or bool(self.dossier)

    def day(self, name: str) -> date | None:
        raw = getattr(self, name).strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors.setdefault(name, []).append(
                "Date attendue sous la forme AAAA-MM-JJ, par exemple 2026-01-31"
            )
            return None

    def choice(self, name: str, allowed: Collection[str]) -> str | None:
        raw: str = getattr(self, name)
        if raw and raw not in allowed:
            self.errors.setdefault(name, []).append("Choix inconnu")
            return None
        return raw or None


def query_of(filters: Filters, organisation_id: str, offset: int) -> SearchQuery:
    return SearchQuery(
        organisation_id=organisation_id,
        service_ids=frozenset({filters.service}) if filters.service else None,
        text=filters.q,
        dossier_id=filters.dossier or None,
        document_type=filters.type.strip() or None,
        created_from=filters.day("du"),
        created_to=filters.day("au"),
        phase=filters.choice("phase", {p.value for p in Phase}),
        mime_type=filters.choice("format", labels.FORMATS),
        sort=SortKey.RELEVANCE if filters.q.strip() else SortKey.CREATED_AT,
        limit=PAGE,
        offset=max(0, offset),
        excerpts=True,
    )


def read_filters(
    q: str = "",
    service: str = "",
    type: str = "",
    du: str = "",
    au: str = "",
    phase: str = "",
    format: str = "",
    dossier: str = "",
) -> Filters:
    """The search form's fields, as typed (the query string of ``/recherche``)."""
    return Filters(q, service, type, du, au, phase, format, dossier)


def options(services: list[Service]) -> dict[str, list[tuple[str, str]]]:
    """The choices of the form's lists, in French."""
    formats = sorted(labels.FORMATS.items(), key=lambda kv: kv[1])
    return {
        "service": [("", "Tous les services"), *[(s.id, s.name) for s in services]],
        "phase": [("", "Toutes les phases"), *[(p.value, labels.phase(p)) for p in Phase]],
        "format": [("", "Tous les formats"), *formats],
    }


@router.get("/recherche")
async def search(
    request: Request,
    ctx: Ctx,
    user: User,
    filters: Annotated[Filters, Depends(read_filters)],
    depuis: int = 0,
) -> Response:
    query = query_of(filters, user.organisation_id, depuis)
    services = await run_in_threadpool(list_services, ctx, user)
    found: tuple[list[Found], int | None] = ([], None)
    if filters.asked and not filters.errors:
        found = await run_in_threadpool(search_with_versions, ctx, user, query)
    return render(
        request,
        "_resultats.html" if "hx-request" in request.headers else "recherche.html",
        status=422 if filters.errors else 200,
        title="Recherche",
        filters=filters,
        hits=found[0],
        next_url=_next_url(request, found[1]),
        options=options(services),
    )


def _next_url(request: Request, offset: int | None) -> str | None:
    if offset is None:
        return None
    params = {k: v for k, v in request.query_params.items() if k != "depuis"}
    return "/recherche?" + urlencode({**params, "depuis": offset})
