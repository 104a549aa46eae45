"""Search requests and results (full text + metadata filters + sort + pagination)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from ged.domain.model import Document

MAX_PAGE = 100


class SortKey(enum.StrEnum):
    RELEVANCE = "relevance"
    TITLE = "title"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    CREATED_ON = "created_on"


@dataclass(frozen=True)
class SearchQuery:
    organisation_id: str
    service_ids: frozenset[str] | None = None  # None: every service of the organisation
    text: str = ""
    dossier_id: str | None = None
    document_type: str | None = None
    author: str | None = None
    keyword: str | None = None
    language: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # valid | invalid | indeterminate: the current version's report says so; none: it found
    # no signature, or the version was not verified
    signature: str | None = None
    sort: SortKey = SortKey.RELEVANCE
    descending: bool = True
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class SearchHit:
    document: Document
    rank: float | None


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    next_offset: int | None


def terms(text: str) -> list[str]:
    """Splits free text into search terms; punctuation other than letters/digits separates."""
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text)
    return [word for word in cleaned.split() if word][:32]
