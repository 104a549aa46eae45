"""Safe XML parsing for SEDA messages: no network, no DTD, no entities, bounded size and depth.

Any `<!DOCTYPE` (hence any entity declaration, internal or external) is refused by scanning the
prolog before libxml2 sees the document, which rules out XXE, billion laughs and quadratic
blow-up. libxml2 runs without XML_PARSE_HUGE, so depth (256), text nodes and attribute values
(10 MB) stay bounded. Large manifests are read with `iterparse`, never as a whole tree.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import IO, Any, cast

from lxml import etree

from seda.errors import HostileXml, MalformedXml, SedaError

Opener = Callable[[], IO[bytes]]


@dataclass(frozen=True)
class XmlLimits:
    max_bytes: int = 4 * 1024**3
    max_prolog_bytes: int = 64 * 1024
    # Above this size a manifest is XSD-validated while streaming (first error only).
    whole_tree_bytes: int = 16 * 1024**2


DEFAULT_XML_LIMITS = XmlLimits()


def secure_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


def check_prolog(head: bytes, limits: XmlLimits = DEFAULT_XML_LIMITS) -> None:
    """Refuse a document whose prolog holds a DOCTYPE (or any `<!` other than a comment)."""
    text = _decode_head(head)
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n\ufeff":
            pos += 1
        if pos >= len(text):
            break
        if text.startswith("<?", pos):
            pos = _skip_to(text, pos, "?>")
        elif text.startswith("<!--", pos):
            pos = _skip_to(text, pos, "-->")
        elif text.startswith("<!", pos):
            raise HostileXml("DTD interdite dans un message SEDA", code="xml_dtd_forbidden", line=1)
        else:
            return
    if len(head) >= limits.max_prolog_bytes:
        raise HostileXml("prologue XML trop long", code="xml_limit_exceeded")


def _skip_to(text: str, pos: int, end: str) -> int:
    found = text.find(end, pos)
    return len(text) if found < 0 else found + len(end)


def _decode_head(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="replace")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="replace")
    # Every other encoding libxml2 accepts here is ASCII-compatible for the markup we look for.
    return head.decode("latin-1")


def translate_syntax_error(exc: etree.XMLSyntaxError) -> SedaError:
    """Our exception for a libxml2 parse error: a resource limit, or malformed XML."""
    message = str(exc)
    line = exc.lineno or None
    if "XML_PARSE_HUGE" in message or "limit exceeded" in message or "Excessive depth" in message:
        return HostileXml(
            f"limite de ressources dépassée : {message}", code="xml_limit_exceeded", line=line
        )
    if "Entity" in message or "entity" in message:
        return HostileXml(f"entité interdite : {message}", code="xml_entity_forbidden", line=line)
    return MalformedXml(f"XML mal formé : {message}", line=line)


class _BoundedReader:
    """A file-like wrapper that refuses to read more than `limit` bytes."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream = stream
        self._left = limit

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size if size >= 0 else self._left + 1)
        self._left -= len(data)
        if self._left < 0:
            raise HostileXml("document XML trop volumineux", code="xml_limit_exceeded")
        return data


def _bounded(stream: IO[bytes], limit: int) -> IO[bytes]:
    # lxml only calls read(); the wrapper is a file-like object for its purposes.
    return cast(IO[bytes], _BoundedReader(stream, limit))


def parse_document(
    open_stream: Opener, limits: XmlLimits = DEFAULT_XML_LIMITS
) -> etree._ElementTree:
    """Parse a whole document safely (for small messages: replies, manifests under the limit)."""
    with open_stream() as stream:
        check_prolog(stream.read(limits.max_prolog_bytes), limits)
    with open_stream() as stream:
        try:
            return etree.parse(_bounded(stream, limits.max_bytes), secure_parser())
        except etree.XMLSyntaxError as exc:
            raise translate_syntax_error(exc) from exc


def parse_bytes(data: bytes, limits: XmlLimits = DEFAULT_XML_LIMITS) -> etree._ElementTree:
    check_prolog(data[: limits.max_prolog_bytes], limits)
    if len(data) > limits.max_bytes:
        raise HostileXml("document XML trop volumineux", code="xml_limit_exceeded")
    try:
        return etree.ElementTree(etree.fromstring(data, secure_parser()))
    except etree.XMLSyntaxError as exc:
        raise translate_syntax_error(exc) from exc


def iterparse_safe(
    open_stream: Opener,
    events: tuple[str, ...] = ("end",),
    *,
    schema: etree.XMLSchema | None = None,
    limits: XmlLimits = DEFAULT_XML_LIMITS,
    tag: list[str] | None = None,
) -> Generator[tuple[str, etree._Element], None, None]:
    """iterparse with the safe options; the prolog is checked on a first read of the stream."""
    with open_stream() as stream:
        check_prolog(stream.read(limits.max_prolog_bytes), limits)
    with open_stream() as stream:
        parser = etree.iterparse(
            _bounded(stream, limits.max_bytes),
            events=events,
            tag=tag,
            schema=schema,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
        )
        try:
            yield from parser
        except etree.XMLSyntaxError as exc:
            if schema is not None and parser.error_log and _is_schema_error(parser):
                raise
            raise translate_syntax_error(exc) from exc


def _is_schema_error(parser: etree.iterparse) -> bool:
    last = parser.error_log.last_error
    return last is not None and last.domain_name.startswith("SCHEMAS")


def line_of(el: etree._Element) -> int | None:
    """Source line of an element (lxml-stubs type `sourceline` wrongly)."""
    line = getattr(el, "sourceline", None)
    return line if isinstance(line, int) else None


def log_entries(log: Any) -> list[Any]:
    """The entries of an lxml error log (lxml-stubs do not declare _ErrorLog iterable)."""
    return list(log)


def owner_xpath(el: etree._Element, brace: str) -> str:
    """A readable XPath: from the nearest ancestor that has an id, else from the root."""
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        local = node.tag[len(brace) :] if isinstance(node.tag, str) else "?"
        ident = node.get("id")
        if ident is not None:
            steps.append(f"{local}[@id='{ident}']")
            return "//" + "/".join(reversed(steps))
        steps.append(local)
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


def release(el: etree._Element) -> None:
    """Free a finished subtree and the finished siblings before it (bounded memory)."""
    el.clear(keep_tail=True)  # type: ignore[call-arg]  # lxml-stubs lack keep_tail
    parent = el.getparent()
    if parent is None:
        return
    while el.getprevious() is not None:
        del parent[0]
