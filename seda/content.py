"""Content of an ArchiveUnit (DescriptiveMetadataContentType, seda-2.x-ontology.xsd): the typed
elements a dossier's description carries, written as escaped text and read back.

Typed: DescriptionLevel, Title, SystemId, OriginatingAgencyArchiveUnitIdentifier, Description,
CustodialHistory, Keyword, OriginatingAgency (written only), StartDate, EndDate and Event.
Reading types an element only when the model holds all of it; SystemId,
OriginatingAgencyArchiveUnitIdentifier, CustodialHistory, Keyword and Event are typed only when
every occurrence in the Content can be (else all of them stay verbatim, `Content.extra`, so
their order is kept).
A unit's OriginatingAgency is read back verbatim, into `Content.extra`, where the repository's
catalogue looks it up today; typing it on reading waits for the catalogue to read
`Content.originating_agency`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lxml import etree

from seda import model as m
from seda.model import Content, CustodialHistoryItem, Event, Keyword
from seda.reading import SedaReader
from seda.xmltext import element, escape_attr, escape_text

Part = tuple[str, str]  # (element name, markup)


def content_parts(content: Content) -> list[Part]:
    """The typed children of a Content, as (name, markup) in schema order."""
    c = content
    typed: list[Part] = []
    _add_text(typed, "DescriptionLevel", c.description_level)
    _add_texts(typed, "Title", c.titles)
    _add_texts(typed, "SystemId", c.system_ids)
    ids = c.originating_agency_archive_unit_identifiers
    _add_texts(typed, "OriginatingAgencyArchiveUnitIdentifier", ids)
    _add_texts(typed, "Description", c.descriptions)
    if c.custodial_history:
        typed.append(("CustodialHistory", custodial_history(c.custodial_history)))
    typed += [("Keyword", keyword(k)) for k in c.keywords]
    if c.originating_agency is not None:
        agency = element("Identifier", c.originating_agency)
        typed.append(("OriginatingAgency", f"<OriginatingAgency>{agency}</OriginatingAgency>"))
    _add_text(typed, "StartDate", c.start_date)
    _add_text(typed, "EndDate", c.end_date)
    typed += [("Event", event(e)) for e in c.events]
    return typed


def _add_text(parts: list[Part], name: str, value: str | None) -> None:
    if value is not None:
        parts.append((name, element(name, value)))


def _add_texts(parts: list[Part], name: str, values: tuple[str, ...]) -> None:
    parts += [(name, element(name, v)) for v in values]


def keyword(k: Keyword) -> str:
    """KeywordsType: KeywordContent, KeywordReference?, KeywordType?."""
    parts = [element("KeywordContent", k.content)]
    if k.reference is not None:
        parts.append(element("KeywordReference", k.reference))
    if k.type is not None:
        parts.append(element("KeywordType", k.type))
    return f"<Keyword>{''.join(parts)}</Keyword>"


def custodial_history(items: tuple[CustodialHistoryItem, ...]) -> str:
    parts = []
    for item in items:
        when = "" if item.when is None else f' when="{escape_attr(item.when)}"'
        parts.append(f"<CustodialHistoryItem{when}>{escape_text(item.text)}</CustodialHistoryItem>")
    return f"<CustodialHistory>{''.join(parts)}</CustodialHistory>"


EVENT_FIELDS = (
    ("EventIdentifier", "identifier"),
    ("EventTypeCode", "type_code"),
    ("EventType", "type"),
    ("EventDateTime", "date_time"),
    ("EventDetail", "detail"),
    ("Outcome", "outcome"),
    ("OutcomeDetail", "outcome_detail"),
    ("OutcomeDetailMessage", "outcome_detail_message"),
    ("EventDetailData", "detail_data"),
)


def event(e: Event) -> str:
    """EventType, in the order of its sequence (ontology and main schemas of SEDA 2.x)."""
    parts = [
        element(name, value)
        for name, attribute in EVENT_FIELDS
        if (value := getattr(e, attribute)) is not None
    ]
    return f"<Event>{''.join(parts)}</Event>"


# -- reading ---------------------------------------------------------------------------------
_SIMPLE = {"DescriptionLevel", "Title", "Description", "StartDate", "EndDate"}
_KEYWORD_PARTS = ("KeywordContent", "KeywordReference", "KeywordType")
_EVENT_PARTS = dict(EVENT_FIELDS)


def _plain(el: etree._Element) -> bool:
    """No attribute, no child (not even a comment): the element is only its text."""
    return not el.attrib and len(el) == 0


def _parts(r: SedaReader, el: etree._Element, allowed: Iterable[str]) -> dict[str, str] | None:
    """The text of each child of a plain-children element, or None when it holds anything else
    (an attribute, a repeated or unknown child, a child with attributes)."""
    kids = r.children(el)
    names = [r.local(k) for k in kids]
    if el.attrib or len(kids) != len(el) or len(set(names)) != len(names):
        return None
    if not set(names) <= set(allowed) or not all(_plain(k) for k in kids):
        return None
    return {name: k.text or "" for name, k in zip(names, kids, strict=True)}


def _keyword(r: SedaReader, el: etree._Element) -> m.Keyword | None:
    parts = _parts(r, el, _KEYWORD_PARTS)
    if parts is None or "KeywordContent" not in parts:
        return None
    return m.Keyword(
        parts["KeywordContent"], parts.get("KeywordReference"), parts.get("KeywordType")
    )


def _event(r: SedaReader, el: etree._Element) -> m.Event | None:
    parts = _parts(r, el, _EVENT_PARTS)
    if parts is None or "EventDateTime" not in parts:
        return None
    return m.Event(**{_EVENT_PARTS[name]: value for name, value in parts.items()})


def _custodial_items(r: SedaReader, el: etree._Element) -> list[m.CustodialHistoryItem] | None:
    kids = r.children(el)
    if el.attrib or not kids or len(kids) != len(el):
        return None
    items = []
    for kid in kids:
        if r.local(kid) != "CustodialHistoryItem" or set(kid.attrib) - {"when"} or len(kid):
            return None
        items.append(m.CustodialHistoryItem(kid.text or "", kid.get("when")))
    return items


def _identifier(_r: SedaReader, el: etree._Element) -> str | None:
    return (el.text or "") if _plain(el) else None


# Elements typed only when every occurrence in the Content can be (else all stay verbatim, so
# their order is kept).
_TYPED: dict[str, Callable[[SedaReader, etree._Element], Any]] = {
    "SystemId": _identifier,
    "OriginatingAgencyArchiveUnitIdentifier": _identifier,
    "CustodialHistory": _custodial_items,
    "Keyword": _keyword,
    "Event": _event,
}


def _typed_groups(
    r: SedaReader, kids: list[etree._Element]
) -> tuple[dict[str, list[Any]], set[int]]:
    """The values of the `_TYPED` elements, by name, and the ids of the elements they came from."""
    found: dict[str, list[etree._Element]] = {}
    for kid in kids:
        if r.local(kid) in _TYPED:
            found.setdefault(r.local(kid), []).append(kid)
    values: dict[str, list[Any]] = {}
    used: set[int] = set()
    for name, elements in found.items():
        read = [_TYPED[name](r, e) for e in elements]
        if all(v is not None for v in read) and (name != "CustodialHistory" or len(read) == 1):
            values[name] = read
            used.update(id(e) for e in elements)
    return values, used


def read_content(r: SedaReader, el: etree._Element | None) -> m.Content:
    if el is None:
        return m.Content()
    kids = r.children(el)
    simple = [c for c in kids if r.local(c) in _SIMPLE and not c.attrib and not len(c)]
    groups, used = _typed_groups(r, kids)
    used.update(id(c) for c in simple)
    names = {r.local(c) for c in simple}
    history = groups.get("CustodialHistory", [[]])[0]
    return m.Content(
        description_level=r.text(el, "DescriptionLevel") if "DescriptionLevel" in names else None,
        titles=tuple(c.text or "" for c in simple if r.local(c) == "Title"),
        descriptions=tuple(c.text or "" for c in simple if r.local(c) == "Description"),
        start_date=r.text(el, "StartDate") if "StartDate" in names else None,
        end_date=r.text(el, "EndDate") if "EndDate" in names else None,
        extra=tuple(r.raw(c) for c in kids if id(c) not in used),
        system_ids=tuple(groups.get("SystemId", ())),
        originating_agency_archive_unit_identifiers=tuple(
            groups.get("OriginatingAgencyArchiveUnitIdentifier", ())
        ),
        custodial_history=tuple(history),
        keywords=tuple(groups.get("Keyword", ())),
        events=tuple(groups.get("Event", ())),
    )
