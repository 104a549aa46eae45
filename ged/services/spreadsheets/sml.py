"""SpreadsheetML pieces shared by a workbook's parts (ECMA-376 Part 1, §18): tag names in the
transitional and strict namespaces, escaped characters (§22.9.2.19 ST_Xstring), string items,
the shared strings table (§18.4) and which cell formats show numbers as dates (§18.8).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from ged.services.spreadsheets.bounds import (
    SheetLimits,
    TextBuffer,
    french_number,
    limit_exceeded,
)
from ged.services.spreadsheets.dates import FormatKind, builtin_kind, code_kind
from ged.services.spreadsheets.package import Package

MAIN = frozenset(
    {
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "http://purl.oclc.org/ooxml/spreadsheetml/main",
    }
)
MAX_STYLES = 65_536  # Excel keeps at most 64,000 cell formats
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


@functools.lru_cache(maxsize=1024)
def local_name(tag: str) -> str:
    """The local name of a SpreadsheetML tag, else ''."""
    namespace, _, name = tag[1:].partition("}")
    return name if namespace in MAIN else ""


def unescape(text: str) -> str:
    """``_x000D_`` → carriage return, and so on (``_x005F_`` escapes the underscore)."""
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def integer(raw: str | None) -> int:
    """An index or identifier attribute; 0 (the default style, General) when not a number."""
    return int(raw) if raw is not None and raw.isdecimal() and len(raw) <= 9 else 0


class StringItem:
    """The text of a string item (§18.4.8 ``si``, §18.3.1.53 ``is``): its ``t`` elements, rich
    text runs included, phonetic runs (``rPh``) left out."""

    def __init__(self, limit: int) -> None:
        self.buffer = TextBuffer(limit)
        self._in_text = False
        self._in_phonetic = False

    def start(self, local: str) -> None:
        if local == "rPh":
            self._in_phonetic = True
        elif local == "t":
            self._in_text = not self._in_phonetic

    def end(self, local: str) -> None:
        if local == "rPh":
            self._in_phonetic = False
        elif local == "t":
            self._in_text = False

    def data(self, text: str) -> None:
        if self._in_text:
            self.buffer.add(text)


class _SharedStrings:
    def __init__(self, limits: SheetLimits) -> None:
        self.strings: list[str] = []
        self._item = StringItem(limits.max_cell_chars)
        self._limit = limits.max_shared_strings

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        self._item.start(local_name(tag))

    def end(self, tag: str) -> None:
        local = local_name(tag)
        if local != "si":
            self._item.end(local)
            return
        if len(self.strings) >= self._limit:
            raise limit_exceeded(f"plus de {french_number(self._limit)} textes partagés")
        self.strings.append(unescape(self._item.buffer.take()))

    def data(self, text: str) -> None:
        self._item.data(text)


def shared_strings(package: Package, part: str | None, limits: SheetLimits) -> list[str]:
    if part is None:
        return []
    handler = _SharedStrings(limits)
    package.parse(part, handler)
    return handler.strings


class _Styles:
    """Which cell formats (§18.8.10 ``cellXfs``) show numbers as dates or durations."""

    def __init__(self) -> None:
        self.custom: dict[int, FormatKind] = {}  # numFmtId → what its code shows
        self.formats: list[int] = []  # numFmtId of each cell format, by index
        self._in_cell_formats = False

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        local = local_name(tag)
        if local == "cellXfs":
            self._in_cell_formats = True
        elif local == "numFmt":
            self._count(len(self.custom))
            code = attrib.get("formatCode", "")
            self.custom[integer(attrib.get("numFmtId"))] = code_kind(code)
        elif local == "xf" and self._in_cell_formats:
            self._count(len(self.formats))
            self.formats.append(integer(attrib.get("numFmtId")))

    def end(self, tag: str) -> None:
        if local_name(tag) == "cellXfs":
            self._in_cell_formats = False

    def data(self, text: str) -> None:
        pass

    @staticmethod
    def _count(size: int) -> None:
        if size >= MAX_STYLES:
            raise limit_exceeded(f"plus de {french_number(MAX_STYLES)} formats de cellule")


def date_styles(package: Package, part: str | None) -> dict[int, FormatKind]:
    """Cell format index → date or duration, for the formats that show numbers so."""
    if part is None:
        return {}
    handler = _Styles()
    package.parse(part, handler)
    kinds = (
        handler.custom.get(number_format) or builtin_kind(number_format)
        for number_format in handler.formats
    )
    return {index: kind for index, kind in enumerate(kinds) if kind != "number"}
