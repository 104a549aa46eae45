"""Paging a listing on a page: « Documents 1 à 50 sur 5 000 » with links to the previous and
next pages, which keep the page's other parameters (filters, the dossier).

A page number comes from the address as people number pages (from 1). One that is not a whole
number, or below 1, is the French 422 page (« Un paramètre de l'adresse est invalide. »); one
past the end shows the last page (``kernel.paging.Page.within``); the upper bound keeps the
offset within ``kernel.paging.MAX_OFFSET``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request

from kernel.paging import MAX_OFFSET, Counted, Page

ROWS = 50  # rows of a listing's page
PageNumber = Annotated[int, Query(ge=1, le=MAX_OFFSET // ROWS + 1, description="page, from 1")]


def page_of(number: int) -> Page:
    return Page.numbered(number, ROWS)


@dataclass(frozen=True)
class Navigation:
    """Where a page sits in its listing (rows counted from 1), and links to its neighbours."""

    first: int
    last: int
    total: int
    previous: str | None
    next: str | None

    @property
    def several_pages(self) -> bool:
        return self.previous is not None or self.next is not None


def navigation(request: Request, listing: Counted[Any], param: str = "page") -> Navigation:
    shown = len(listing.rows)
    first = listing.page.offset + 1 if shown else 0
    number = listing.number
    previous = _at(request, param, number - 1) if number > 1 else None
    following = _at(request, param, number + 1) if listing.has_next else None
    return Navigation(first, listing.page.offset + shown, listing.total, previous, following)


def _at(request: Request, param: str, number: int) -> str:
    params = {k: v for k, v in request.query_params.items() if k != param}
    if number > 1:
        params[param] = str(number)
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")
