"""Text of plain-text and markup files (text/plain, CSV, Markdown, JSON, HTML, XML).

Encodings are tried in the order that fits French administrative files: a byte-order mark
(Unicode §23.8) wins; otherwise an encoding declared in the first kilobyte (XML 1.0 §4.3.3,
HTML ``<meta charset>``), then UTF-8 (RFC 3629), then Windows-1252, and Latin-1 last because it
decodes any byte. Only a bounded prefix of the file is read. Markup is stripped with the
standard library's HTML tokenizer, which never resolves external entities or reads a DTD.
"""

from __future__ import annotations

import codecs
import os
import re
from html.parser import HTMLParser
from pathlib import Path

from ged.adapters.extraction.results import ExtractorOutput
from kernel.sandbox.failures import MalformedDocument, UnreadableFile

# UTF-8 needs at most 4 bytes per character, so this many bytes always yield max_chars.
_BYTES_PER_CHAR = 4
_DECLARATION_WINDOW = 1024
_DECLARED = re.compile(rb"""(?:encoding|charset)\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Above this share of control characters the "text" is binary data under a text label, and
# indexing it would only pollute the search index.
_MAX_CONTROL_SHARE = 0.05
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), 0x7F])
_SKIPPED_ELEMENTS = frozenset({"script", "style", "template", "noscript"})
_BLOCK_ELEMENTS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
     "table", "title", "pre", "blockquote", "dd", "dt", "hr"}
)  # fmt: skip
# Closing these does not end a word: "<b>Bon</b>jour" is one word.
_INLINE_ELEMENTS = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "em", "font", "i", "kbd", "mark", "q", "s",
     "small", "span", "strong", "sub", "sup", "u", "var"}
)  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n[ \n]*\n")


def extract_plain(path: str, max_chars: int) -> ExtractorOutput:
    """Text of a plain-text file, decoded, with NUL bytes removed, at most ``max_chars``."""
    raw, complete = read_prefix(path, max_chars * _BYTES_PER_CHAR)
    text, encoding = decode_text(raw, complete=complete, declared=False)
    _refuse_binary(text)
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _bounded(text, max_chars, complete=complete, encoding=encoding)


def extract_html(path: str, max_chars: int) -> ExtractorOutput:
    """Character data of an HTML file, tags and scripts removed, at most ``max_chars``."""
    return _extract_markup(path, max_chars, html=True)


def extract_xml(path: str, max_chars: int) -> ExtractorOutput:
    """Character data of an XML file, one space between elements, at most ``max_chars``."""
    return _extract_markup(path, max_chars, html=False)


def _extract_markup(path: str, max_chars: int, *, html: bool) -> ExtractorOutput:
    raw, complete = read_prefix(path, max_chars * _BYTES_PER_CHAR)
    markup, encoding = decode_text(raw, complete=complete)
    _refuse_binary(markup)
    text = strip_markup(markup.replace("\x00", ""), html=html)
    return _bounded(text, max_chars, complete=complete, encoding=encoding)


def read_prefix(path: str, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the file, and whether that was the whole file."""
    try:
        with Path(path).open("rb") as stream:
            # read(n) allocates n bytes up front: ask for no more than the file holds
            size = os.fstat(stream.fileno()).st_size
            raw = stream.read(min(limit, size) + 1)
    except OSError as exc:
        raise UnreadableFile(f"{type(exc).__name__}: {exc.strerror}") from exc
    return raw[:limit], len(raw) <= limit


def decode_text(raw: bytes, *, complete: bool = True, declared: bool = True) -> tuple[str, str]:
    """Decode ``raw`` with the first encoding that fits; return the text and that encoding.

    When ``complete`` is false the bytes are a prefix, so a multi-byte character cut at the end
    is dropped rather than taken as proof that the file is not UTF-8. ``declared`` honours an
    encoding declared by markup (plain text has no such declaration, only words that look
    like one).
    """
    for encoding in _candidate_encodings(raw, declared=declared):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            return decoder.decode(raw, final=complete), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def _candidate_encodings(raw: bytes, *, declared: bool) -> list[str]:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return [encoding]
    candidates = ["utf-8", "cp1252"]
    found = _declared_encoding(raw[:_DECLARATION_WINDOW]) if declared else None
    if found is not None:
        candidates.insert(0, found)
    return candidates


def _declared_encoding(head: bytes) -> str | None:
    match = _DECLARED.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return None
    # UTF-16/32 without a byte-order mark is a mislabelled file (XML 1.0 §4.3.3 requires the
    # mark): the declaration was readable as ASCII, so the bytes are not UTF-16.
    return None if name.startswith(("utf-16", "utf-32")) else name


def _refuse_binary(text: str) -> None:
    sample = text[:65536]
    if sample and control_count(sample) > _MAX_CONTROL_SHARE * len(sample):
        raise MalformedDocument("binary content under a text media type")


def control_count(text: str) -> int:
    """How many C0 control characters other than tab and line ends (and DEL) ``text`` holds.

    Counted on its UTF-8 bytes, where a byte below 0x80 is always the ASCII character itself:
    deleting bytes is a tenth of the cost of a regular expression scanning the characters."""
    encoded = text.encode("utf-8", "surrogatepass")
    return len(encoded) - len(encoded.translate(None, _CONTROL_BYTES))


def strip_markup(markup: str, *, html: bool = True) -> str:
    """The character data of an HTML or XML document, with whitespace collapsed."""
    collector = _TextCollector(_INLINE_ELEMENTS if html else frozenset())
    collector.feed(_without_doctype(markup))
    collector.close()
    text = _SPACES.sub(" ", "".join(collector.parts))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _without_doctype(markup: str) -> str:
    """The markup without its document type declaration and internal subset (XML 1.0 §2.8).

    The tokenizer would end the declaration at the first ">" and keep the rest of an internal
    subset as text; entities declared there are never expanded either way.
    """
    start = markup.find("<!DOCTYPE", 0, _DECLARATION_WINDOW)
    if start < 0:
        return markup
    end = markup.find(">", start)
    subset = markup.find("[", start, end if end >= 0 else None)
    if subset >= 0:
        close = markup.find("]", subset)
        end = markup.find(">", close) if close >= 0 else -1
    return markup[:start] if end < 0 else markup[:start] + markup[end + 1 :]


class _TextCollector(HTMLParser):
    """Keeps character data and CDATA sections, drops tags, comments and scripts."""

    def __init__(self, inline: frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0
        self._inline = inline

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skipping += 1
        elif tag in _BLOCK_ELEMENTS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_ELEMENTS:
            self.parts.append("\n")
        elif tag not in self._inline:
            # Between XML elements a space keeps words of adjacent fields apart.
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA[") and not self._skipping:
            self.parts.append(data[len("CDATA[") :])


def _bounded(text: str, max_chars: int, *, complete: bool, encoding: str) -> ExtractorOutput:
    truncated = not complete or len(text) > max_chars
    return ExtractorOutput(text=text[:max_chars], truncated=truncated, encoding=encoding)
