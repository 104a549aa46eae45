"""Search requests and results (full text + metadata filters + sort + pagination)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from ged.domain.model import Document

MAX_PAGE = 100

# Sorted by relevance, a search ranks the RANKED_WINDOW most recently filed documents that match
# and pass the filters, and shows those only (sorted otherwise, it shows every match). A term
# found in most documents would otherwise have every match ranked: 100,000 documents read for
# 20 rows. With fewer matches than that, the ranking is over all of them.
RANKED_WINDOW = 200


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
    phase: str | None = None  # the lifecycle phase of the document's dossier
    mime_type: str | None = None  # the format of the current version
    extra: dict[str, str] = field(default_factory=dict)
    # valid | invalid | indeterminate: the current version's report says so; none: it found
    # no signature, or the version was not verified
    signature: str | None = None
    sort: SortKey = SortKey.RELEVANCE
    descending: bool = True
    limit: int = 20
    offset: int = 0
    excerpts: bool = False  # an excerpt of each hit with the matching words marked


@dataclass(frozen=True)
class Fragment:
    """A piece of an excerpt: plain text, or words that match the query (``marked``)."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class SearchHit:
    document: Document
    rank: float | None
    excerpt: tuple[Fragment, ...] = ()


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    next_offset: int | None


# What the search adapters put around matching words: control characters, rare in text. A stray
# one in a document can only misplace a highlight, never inject markup: pages escape every
# fragment and add the marks themselves.
MARK_START = "\x02"
MARK_END = "\x03"


def fragments(marked_text: str) -> tuple[Fragment, ...]:
    """Splits an excerpt whose matching words sit between ``MARK_START`` and ``MARK_END`` into
    fragments; the text itself is left as it is (escaping is the page's job)."""
    found: list[Fragment] = []
    for i, piece in enumerate(marked_text.split(MARK_START)):
        inside, sep, after = piece.partition(MARK_END)
        if i == 0 or not sep:
            found.append(Fragment(piece.replace(MARK_END, "")))
            continue
        found.extend([Fragment(inside, marked=True), Fragment(after.replace(MARK_END, ""))])
    return tuple(f for f in found if f.text)


def terms(text: str) -> list[str]:
    """Splits free text into search terms; punctuation other than letters/digits separates."""
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text)
    return [word for word in cleaned.split() if word][:32]
