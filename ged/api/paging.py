"""Paging query parameters of the listing routes, bounded as ``kernel.paging`` says:
outside the bounds FastAPI answers 422 ``invalid_request`` naming the parameter, before the
route runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from kernel.paging import MAX_LIMIT, MAX_OFFSET

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Lignes par page (1 à {MAX_LIMIT})")]
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description=f"Lignes sautées (0 à {MAX_OFFSET})")
]
