"""Search excerpts come as fragments: the matching words marked, the text left for the page to
escape (ged.domain.search.fragments)."""

from __future__ import annotations

from ged.domain.search import MARK_END, MARK_START, Fragment, fragments


def test_an_excerpt_is_split_into_plain_and_marked_fragments() -> None:
    excerpt = f"le {MARK_START}budget{MARK_END} primitif et le {MARK_START}budget{MARK_END}"
    assert fragments(excerpt) == (
        Fragment("le "),
        Fragment("budget", marked=True),
        Fragment(" primitif et le "),
        Fragment("budget", marked=True),
    )


def test_markup_in_the_text_stays_text() -> None:
    excerpt = f"<script>alert(1)</script> {MARK_START}<b>{MARK_END}"
    assert fragments(excerpt) == (
        Fragment("<script>alert(1)</script> "),
        Fragment("<b>", marked=True),
    )


def test_a_stray_marker_in_a_document_only_loses_a_highlight() -> None:
    assert fragments(f"a{MARK_END}b {MARK_START}c") == (Fragment("ab "), Fragment("c"))
