"""Pages of a listing (kernel.paging): the bounds every listing shares."""

from __future__ import annotations

import pytest

from kernel.paging import MAX_OFFSET, Page, PageOutOfRange


@pytest.mark.parametrize(
    ("limit", "offset", "paths"),
    [
        (-1, 0, ["limit"]),
        (0, 0, ["limit"]),
        (201, 0, ["limit"]),
        (50, -1, ["offset"]),
        (50, MAX_OFFSET + 1, ["offset"]),
        (-1, 2**63, ["limit", "offset"]),
    ],
)
def test_a_page_out_of_bounds_is_refused_naming_each_parameter(
    limit: int, offset: int, paths: list[str]
) -> None:
    with pytest.raises(PageOutOfRange) as caught:
        Page(limit, offset)
    assert [issue.path for issue in caught.value.issues] == paths


def test_a_listing_may_allow_larger_pages_than_the_default_cap() -> None:
    assert Page(1000, MAX_OFFSET, max_limit=1000).limit == 1000
    with pytest.raises(PageOutOfRange):
        Page(1001, max_limit=1000)


def test_a_page_of_rows_in_memory_starts_at_its_offset() -> None:
    assert Page(2, 1).of(["a", "b", "c", "d"]) == ["b", "c"]
    assert Page(2, 5).of(["a", "b"]) == []


def test_pages_numbered_from_one_start_where_people_expect() -> None:
    assert Page.numbered(1, 50) == Page(50, 0)
    assert Page.numbered(3, 50) == Page(50, 100)


def test_a_page_past_the_end_becomes_the_last_page() -> None:
    assert Page(50, 200).within(120) == Page(50, 100)
    assert Page(50, 100).within(101) == Page(50, 100)
    assert Page(50, 100).within(100) == Page(50, 50)


def test_a_page_within_the_rows_or_of_an_empty_listing_stays_as_it_is() -> None:
    assert Page(50, 50).within(120) == Page(50, 50)
    assert Page(50, 0).within(0) == Page(50, 0)
