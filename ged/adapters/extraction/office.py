"""Text of office documents: OpenDocument (ODF 1.2, ISO/IEC 26300: ODT, ODS, ODP) and Office
Open XML (ECMA-376, ISO/IEC 29500: DOCX, XLSX, PPTX), read inside a worker process.

Both are ZIP packages of XML parts. Only the parts that carry the text are read, each streamed
through libxml2 (``iterparse``, elements cleared as soon as they are read) with no network, no
DTD, no entity expansion and without ``XML_PARSE_HUGE``: nesting stays under libxml2's 256
levels and a text node under 10 MB. A ZIP bomb is refused before anything is inflated from the
sizes its central directory declares (zipfile never inflates more than the declared size, a
lying entry fails its CRC): too many entries, a part inflating past ``MAX_PART_BYTES`` or past
``MAX_RATIO`` times its compressed size. Reading stops once ``max_chars`` characters are held.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from lxml import etree

from ged.adapters.extraction.results import ExtractorOutput
from kernel.sandbox.failures import EncryptedDocument, MalformedDocument, UnreadableFile

MAX_ENTRIES = 20_000
MAX_PART_BYTES = 512 * 1024**2
# Deflate cannot exceed ~1032:1; office XML stays well under 100:1, bombs sit near the maximum.
MAX_RATIO = 200
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted OOXML package (MS-OFFCRYPTO)

TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"


class ZipBomb(MalformedDocument):
    """The package declares more inflated bytes than any office document holds."""


@dataclass
class _Text:
    """Characters collected up to a budget; ``full`` once it is reached."""

    budget: int
    parts: list[str] = field(default_factory=list)
    size: int = 0
    truncated: bool = False

    def add(self, text: str) -> None:
        if self.full:
            self.truncated = self.truncated or bool(text)
            return
        room = self.budget - self.size
        if len(text) > room:
            text, self.truncated = text[:room], True
        self.parts.append(text)
        self.size += len(text)

    @property
    def full(self) -> bool:
        return self.size >= self.budget

    def output(self) -> ExtractorOutput:
        text = re.sub(r"[ \t]*\n[ \t\n]*\n", "\n\n", "".join(self.parts).replace("\x00", ""))
        return ExtractorOutput(text=text.strip(), truncated=self.truncated)


def extract_office(path: str, max_chars: int) -> ExtractorOutput:
    """Text of an ODF or OOXML package, whichever the package turns out to be."""
    with _open_package(path) as package:
        names = set(package.namelist())
        collected = _Text(max_chars)
        if "content.xml" in names:
            _read_odf(package, collected)
        elif "word/document.xml" in names:
            _read_docx(package, names, collected)
        elif "xl/workbook.xml" in names:
            _read_xlsx(package, names, collected)
        elif "ppt/presentation.xml" in names:
            _read_pptx(package, names, collected)
        else:
            raise MalformedDocument("neither an OpenDocument nor an Office Open XML package")
        return collected.output()


def _open_package(path: str) -> zipfile.ZipFile:
    try:
        with open(path, "rb") as stream:  # noqa: PTH123 (a str path, as every extractor gets)
            head = stream.read(len(_OLE_MAGIC))
        if head == _OLE_MAGIC:
            raise EncryptedDocument("an OLE compound file: an encrypted OOXML package")
        package = zipfile.ZipFile(path)
    except OSError as exc:
        raise UnreadableFile(f"{type(exc).__name__}: {exc.strerror}") from exc
    except zipfile.BadZipFile as exc:
        raise MalformedDocument(f"not a ZIP package: {exc}") from exc
    if len(package.infolist()) > MAX_ENTRIES:
        package.close()
        raise ZipBomb(f"more than {MAX_ENTRIES} entries in the package")
    return package


def _part(package: zipfile.ZipFile, name: str) -> IO[bytes]:
    """A part's inflated stream, once its declared sizes are found plausible."""
    info = package.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise ZipBomb(f"{name} declares {info.file_size} bytes once inflated")
    if info.file_size > MAX_RATIO * max(info.compress_size, 1024):
        raise ZipBomb(f"{name} inflates {info.file_size // max(info.compress_size, 1)} times")
    if info.flag_bits & 0x1:
        raise EncryptedDocument(f"{name} is encrypted")
    return package.open(info)


def _events(stream: IO[bytes], tags: tuple[str, ...]) -> Iterator[tuple[str, etree._Element]]:
    """``start``/``end`` events for ``tags`` only; read elements are cleared as they end."""
    try:
        parser = etree.iterparse(
            stream,
            events=("start", "end"),
            tag=tags,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            recover=False,
        )
        yield from parser
    except etree.XMLSyntaxError as exc:
        raise MalformedDocument(f"XML: {exc}") from exc
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise MalformedDocument(f"ZIP: {exc}") from exc


def _drop(element: etree._Element) -> None:
    """Frees what was read: the element's content and the siblings before it."""
    element.clear(keep_tail=True)  # type: ignore[call-arg]  # lxml-stubs predate keep_tail
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _stream_text(
    stream: IO[bytes],
    collected: _Text,
    text_tags: Mapping[str, Callable[[etree._Element], str | None]],
    block_tags: frozenset[str],
) -> None:
    """Appends text-bearing elements' text (None: read later, with the element holding it)
    and a newline after each block; read elements are dropped."""
    tags = (*text_tags, *block_tags)
    for event, element in _events(stream, tags):
        if collected.full:
            collected.add(" ")  # marks the text as truncated
            return
        if event != "end":
            continue
        if element.tag in text_tags:
            found = text_tags[element.tag](element)
            if found is None:
                continue
            collected.add(found)
        else:
            collected.add("\n")
        _drop(element)


# -- OpenDocument --------------------------------------------------------------------------


_ODF_SKIPPED = frozenset({"note-citation", "annotation"})


def _odf_text(element: etree._Element) -> str:
    """A paragraph's or heading's text, spaces (text:s), tabs and line breaks included.

    Paragraphs nested in frames or notes were read (and cleared) when they ended.
    """
    out = [element.text or ""]
    for child in element:
        out.append(_odf_inline(child))
        out.append(child.tail or "")
    return "".join(out)


def _odf_inline(child: etree._Element) -> str:
    if not isinstance(child.tag, str):  # a comment or processing instruction
        return ""
    local = etree.QName(child).localname
    if local == "s":
        count = child.get(f"{{{TEXT_NS}}}c", "1")
        return " " * min(int(count) if count.isdecimal() else 1, 100)
    if local == "tab":
        return "\t"
    if local == "line-break":
        return "\n"
    return "" if local in _ODF_SKIPPED else _odf_text(child)


_CELL = f"{{{TABLE_NS}}}table-cell"


def _odf_paragraph(element: etree._Element) -> str | None:
    """A paragraph on its line; inside a table cell, read with the cell."""
    parent = element.getparent()
    if parent is not None and parent.tag == _CELL:
        return None
    return _odf_text(element) + "\n"


def _odf_cell(element: etree._Element) -> str:
    return " ".join(_odf_text(paragraph) for paragraph in element) + "\t"


def _read_odf(package: zipfile.ZipFile, collected: _Text) -> None:
    if _odf_encrypted(package):
        raise EncryptedDocument("the OpenDocument package is encrypted (manifest)")
    paragraph, heading = f"{{{TEXT_NS}}}p", f"{{{TEXT_NS}}}h"
    with _part(package, "content.xml") as stream:
        _stream_text(
            stream,
            collected,
            {paragraph: _odf_paragraph, heading: _odf_paragraph, _CELL: _odf_cell},
            frozenset({f"{{{TABLE_NS}}}table-row"}),
        )


def _odf_encrypted(package: zipfile.ZipFile) -> bool:
    """ODF 1.2 part 3 §4.8: encrypted parts carry ``manifest:encryption-data``."""
    try:
        with _part(package, "META-INF/manifest.xml") as stream:
            return b"encryption-data" in stream.read(4 * 1024**2)
    except KeyError:
        return False


# -- Office Open XML -----------------------------------------------------------------------


def _numbered(names: Iterable[str], pattern: str) -> list[str]:
    """Parts such as ``ppt/slides/slide12.xml`` in their numeric order."""
    compiled = re.compile(pattern)
    found = [(int(m.group(1)), name) for name in names if (m := compiled.fullmatch(name))]
    return [name for _, name in sorted(found)]


def _own_text(element: etree._Element) -> str:
    return element.text or ""


def _word_text(element: etree._Element) -> str:
    local = etree.QName(element).localname
    if local == "t":
        return element.text or ""
    return "\t" if local == "tab" else "\n"


def _read_docx(package: zipfile.ZipFile, names: set[str], collected: _Text) -> None:
    """The body, then headers, footers, footnotes and endnotes (ECMA-376 Part 1 §17)."""
    parts = ["word/document.xml"]
    parts += _numbered(names, r"word/header(\d+)\.xml") + _numbered(names, r"word/footer(\d+)\.xml")
    parts += [name for name in ("word/footnotes.xml", "word/endnotes.xml") if name in names]
    text_tags = {f"{{{W_NS}}}{tag}": _word_text for tag in ("t", "tab", "br", "cr")}
    for name in parts:
        with _part(package, name) as stream:
            _stream_text(stream, collected, text_tags, frozenset({f"{{{W_NS}}}p"}))
        collected.add("\n")


def _read_pptx(package: zipfile.ZipFile, names: set[str], collected: _Text) -> None:
    """Each slide's text in slide order (ECMA-376 Part 1 §19, DrawingML ``a:t``)."""
    for name in _numbered(names, r"ppt/slides/slide(\d+)\.xml"):
        with _part(package, name) as stream:
            _stream_text(
                stream, collected, {f"{{{A_NS}}}t": _own_text}, frozenset({f"{{{A_NS}}}p"})
            )
        collected.add("\n")


def _read_xlsx(package: zipfile.ZipFile, names: set[str], collected: _Text) -> None:
    """Cell values sheet by sheet, shared strings resolved (ECMA-376 Part 1 §18.3, §18.4)."""
    shared = _shared_strings(package, names, collected.budget)
    for name in _numbered(names, r"xl/worksheets/sheet(\d+)\.xml"):
        with _part(package, name) as stream:
            _read_sheet(stream, shared, collected)
        collected.add("\n")


def _shared_strings(package: zipfile.ZipFile, names: set[str], budget: int) -> list[str]:
    """The shared string table, up to ``budget`` characters (later strings read as empty)."""
    if "xl/sharedStrings.xml" not in names:
        return []
    strings: list[str] = []
    held = 0
    item, text = f"{{{S_NS}}}si", f"{{{S_NS}}}t"
    with _part(package, "xl/sharedStrings.xml") as stream:
        pieces: list[str] = []
        for event, element in _events(stream, (item, text)):
            if event != "end":
                continue
            if element.tag == text:
                pieces.append(element.text or "" if held < budget else "")
                continue
            value = "".join(pieces)
            strings.append(value)
            held += len(value)
            pieces = []
            _drop(element)
    return strings


_CELL_TAG, _ROW_TAG = f"{{{S_NS}}}c", f"{{{S_NS}}}row"
_VALUE_TAG, _INLINE_TAG = f"{{{S_NS}}}v", f"{{{S_NS}}}t"


def _read_sheet(stream: IO[bytes], shared: list[str], collected: _Text) -> None:
    """Cells end before their row: each is read then, and the row is dropped at its end."""
    for event, element in _events(stream, (_CELL_TAG, _ROW_TAG)):
        if collected.full:
            collected.add(" ")
            return
        if event != "end":
            continue
        if element.tag == _ROW_TAG:
            collected.add("\n")
            _drop(element)
        else:
            collected.add(_cell_value(element, shared) + "\t")


def _cell_value(cell: etree._Element, shared: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(_INLINE_TAG))
    found = cell.find(_VALUE_TAG)
    raw = (found.text or "") if found is not None else ""
    if kind == "s":
        try:
            return shared[int(raw)]
        except (ValueError, IndexError):
            return ""
    return raw
