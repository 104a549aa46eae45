"""Business messages parsed as untrusted input (``seda.safexml``: no network, no DTD, no
entities, bounded size and depth), and read by local name: producers disagree on prefixes and
on qualifying attributes (ACTES v1.1 asks for qualified ones; not every TdT writes them).

An ACTES acknowledgement is often windows-1252 without any encoding declaration, which XML 1.0
reads as UTF-8 (§4.3.3): such a document, when it is not valid UTF-8, is read as windows-1252.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

from lxml import etree

from ged.adapters.inbound.sources import InputLimits
from ged.services.inbound.model import Source
from kernel.errors import Issue
from seda.errors import MalformedXml, SedaError
from seda.safexml import XmlLimits, line_of, parse_bytes

_DECLARED_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=", re.IGNORECASE)


def read_xml(
    source: Source, name: str, limits: InputLimits, issues: list[Issue]
) -> etree._Element | None:
    """The document's root element, or None with the reason added to ``issues``."""
    if source.size(name) > limits.max_xml_bytes:
        message = f"{name} : document XML de plus de {limits.max_xml_bytes} octets"
        issues.append(Issue("xml_limit_exceeded", message, path=name))
        return None
    with source.open(name) as stream:
        data = stream.read(limits.max_xml_bytes + 1)
    try:
        return _parse(data, limits)
    except SedaError as exc:
        issues.append(Issue(exc.code, f"{name} : {exc}", line=exc.line, path=name))
        return None


def _parse(data: bytes, limits: InputLimits) -> etree._Element:
    xml_limits = XmlLimits(max_bytes=limits.max_xml_bytes)
    try:
        return parse_bytes(data, xml_limits).getroot()
    except MalformedXml:
        if _DECLARED_ENCODING.match(data) or _is_utf8(data):
            raise
        return parse_bytes(_windows_1252(data).encode("utf-8"), xml_limits).getroot()


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _windows_1252(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # the five bytes windows-1252 leaves undefined
        return data.decode("latin-1")


def local(el: etree._Element) -> str:
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def children(el: etree._Element, name: str) -> Iterator[etree._Element]:
    return (c for c in el if local(c) == name)


def child(el: etree._Element, name: str) -> etree._Element | None:
    return next(children(el, name), None)


def text(el: etree._Element | None, name: str | None = None) -> str:
    """The whitespace-normalised text of ``el`` (or of its first child ``name``)."""
    node = el if name is None or el is None else child(el, name)
    if node is None:
        return ""
    return " ".join("".join(str(part) for part in node.itertext()).split())


def attr(el: etree._Element, name: str) -> str | None:
    """An attribute by local name, qualified or not."""
    for key, value in el.attrib.items():
        if etree.QName(key).localname == name:
            return str(value)
    return None


def line(el: etree._Element) -> int | None:
    return line_of(el)


def parse_date(value: str | None) -> date | None:
    """``YYYY-MM-DD``, or a date-time whose date part is taken (web-delib writes
    ``YYYY-MM-DD HH:MM:SS``)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def parse_datetime(value: str | None) -> datetime | None:
    """ISO 8601 (``2022-12-28T08:12:31.967+0000`` included); UTC when no offset is given."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
