"""A page of a listing: ``limit`` rows after the first ``offset``, within bounds every listing
shares (the GED's and the archival repository's).

Unchecked paging used to reach the database: SQLite reads a negative LIMIT as "no limit" (past
the 200-row cap), and an offset beyond 2**63 - 1 overflows the driver (a 500). An offset is also
what the database skips row by row, hence its bound: past a million rows, narrow the filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from kernel.errors import InvalidError, Issue

MAX_LIMIT = 200
MAX_OFFSET = 1_000_000
# The largest integer a SQL column holds (SQLite INTEGER, PostgreSQL bigint): a number from a
# request (a version, a journal sequence) beyond it overflows the driver, so it is refused first.
MAX_SQL_INTEGER = 2**63 - 1
T = TypeVar("T")


class PageOutOfRange(InvalidError):
    code = "page_out_of_range"
    title = "Pagination hors limites"


@dataclass(frozen=True)
class Page:
    """Checked when made: ``limit`` from 1 to ``max_limit``, ``offset`` from 0 to MAX_OFFSET."""

    limit: int = 50
    offset: int = 0
    max_limit: int = MAX_LIMIT

    def __post_init__(self) -> None:
        issues = []
        if not 1 <= self.limit <= self.max_limit:
            message = f"limit doit être compris entre 1 et {self.max_limit}"
            issues.append(Issue("limit_out_of_range", message, path="limit"))
        if not 0 <= self.offset <= MAX_OFFSET:
            message = f"offset doit être compris entre 0 et {MAX_OFFSET}"
            issues.append(Issue("offset_out_of_range", message, path="offset"))
        if issues:
            raise PageOutOfRange("Pagination hors limites", issues=issues)

    def of(self, rows: Sequence[T]) -> list[T]:
        """This page of rows already in memory."""
        return list(rows[self.offset : self.offset + self.limit])

    @classmethod
    def numbered(cls, number: int, limit: int) -> Page:
        """Page ``number`` (counted from 1) of ``limit`` rows, as people number pages."""
        return cls(limit, (number - 1) * limit)

    def within(self, total: int) -> Page:
        """This page, or the last one when this one starts past the ``total`` rows (a page
        number from an old link, once rows have gone): never an empty page after the end."""
        if self.offset < total or self.offset == 0:
            return self
        last = (total - 1) // self.limit * self.limit
        return Page(self.limit, last, self.max_limit)


@dataclass(frozen=True)
class Counted(Generic[T]):
    """One page of a listing and how many rows the whole listing has."""

    rows: list[T]
    page: Page
    total: int

    @property
    def number(self) -> int:
        """The page's number, counted from 1."""
        return self.page.offset // self.page.limit + 1

    @property
    def has_next(self) -> bool:
        return self.page.offset + len(self.rows) < self.total


FIRST_PAGE = Page()
