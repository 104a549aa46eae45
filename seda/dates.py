"""Date coherence checks the XSD cannot express (SEDA 2.x ontology and HoldRule).

`Content/StartDate` must not follow `Content/EndDate`; in a HoldRule group (2.2+), `HoldEndDate`
must not precede the group's `StartDate` (Vitam rejects both at ingest).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from lxml import etree

from seda.issues import Issue, Severity
from seda.safexml import line_of

XPathOf = Callable[[etree._Element, str], str]
_DATE = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})")


def parse_date(text: str | None) -> date | None:
    """The calendar date at the start of an xs:date / xs:dateTime value, None if unreadable."""
    match = _DATE.match((text or "").strip())
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _value(el: etree._Element | None) -> tuple[date | None, str | None]:
    if el is None or el.text is None:
        return None, None
    return parse_date(el.text), el.text.strip()


def _unreadable(el: etree._Element, brace: str, xpath_of: XPathOf) -> Issue:
    return Issue(
        "date_invalid",
        Severity.ERROR,
        f"date illisible : {el.text!r}",
        line_of(el),
        xpath_of(el, brace),
    )


def check_content_dates(content: etree._Element, brace: str, xpath_of: XPathOf) -> list[Issue]:
    start_el = end_el = None
    start_tag, end_tag = brace + "StartDate", brace + "EndDate"
    for child in content:  # one walk instead of two find() (this runs once per unit)
        if child.tag == start_tag:
            start_el = child
        elif child.tag == end_tag:
            end_el = child
    if start_el is None and end_el is None:
        return []
    return _compare(start_el, end_el, brace, xpath_of, "EndDate")


def check_hold_dates(hold: etree._Element, brace: str, xpath_of: XPathOf) -> list[Issue]:
    issues: list[Issue] = []
    start: etree._Element | None = None
    for child in hold:
        if child.tag == brace + "Rule":
            start = None
        elif child.tag == brace + "StartDate":
            start = child
        elif child.tag == brace + "HoldEndDate":
            issues.extend(_compare(start, child, brace, xpath_of, "HoldEndDate"))
    return issues


def _compare(
    start_el: etree._Element | None,
    end_el: etree._Element | None,
    brace: str,
    xpath_of: XPathOf,
    end_name: str,
) -> list[Issue]:
    issues: list[Issue] = []
    start, start_text = _value(start_el)
    end, end_text = _value(end_el)
    for el, parsed, text in ((start_el, start, start_text), (end_el, end, end_text)):
        if el is not None and text and parsed is None:
            issues.append(_unreadable(el, brace, xpath_of))
    if start is not None and end is not None and end < start and end_el is not None:
        issues.append(
            Issue(
                "date_order",
                Severity.ERROR,
                f"{end_name} ({end_text}) antérieure à StartDate ({start_text})",
                line_of(end_el),
                xpath_of(end_el, brace),
            )
        )
    return issues
