"""The first table of an OpenDocument spreadsheet (ODF 1.2 Part 1: §9.1 tables, §19.385
office:value-type, §19.615 and §19.678 repeated columns and rows, §6.1 paragraph text).

Repeats are never unrolled blindly: a run of empty cells or rows only moves the position (the
blank rows LibreOffice writes down to row 1,048,576 cost nothing), and a repeated filled cell
or row is checked against the limits before it is stored. A cell's value comes from its value
attributes (numbers, dates, times, booleans) or, for text, from its paragraphs: ``text:s``,
``text:tab`` and ``text:line-break`` give spaces, tabs and new lines; annotations are not text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from ged.services.spreadsheets.bounds import (
    Rows,
    SheetBuilder,
    SheetLimits,
    TextBuffer,
    boolean_text,
    number_text,
    unreadable,
)
from ged.services.spreadsheets.package import Package, StopReading

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_CELLS = frozenset({f"{TABLE}table-cell", f"{TABLE}covered-table-cell"})
_NUMBERS = frozenset({"float", "percentage", "currency"})
_DURATION = re.compile(r"-?P(?:(\d+)D)?T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?")


def read_ods(package: Package, limits: SheetLimits) -> Rows:
    """(row number, cell texts) of the spreadsheet's first table."""
    handler = _Table(SheetBuilder(limits), limits.max_cell_chars)
    package.parse("content.xml", handler)
    if not handler.found:
        raise unreadable("aucune feuille")
    return handler.builder.rows()


class _Table:
    """Rows and cells of the first ``table:table``; reading stops at its end."""

    def __init__(self, builder: SheetBuilder, max_chars: int) -> None:
        self.builder = builder
        self.found = False
        self._row = 1
        self._row_repeat = 0  # 0: outside a row
        self._cells: list[tuple[int, int, str]] = []  # first column, how many, text
        self._column = 1
        self._cell: _Cell | None = None
        self._max_chars = max_chars

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        if tag == f"{TABLE}table":
            self.found = True
        elif not self.found:
            return
        elif tag == f"{TABLE}table-row":
            self._row_repeat = _count(attrib.get(f"{TABLE}number-rows-repeated"))
            self._cells, self._column = [], 1
        elif tag in _CELLS and self._row_repeat:
            self._cell = _Cell(attrib, self._max_chars)
        elif self._cell is not None:
            self._cell.start(tag, attrib)

    def end(self, tag: str) -> None:
        if not self.found:
            return
        if tag == f"{TABLE}table":
            raise StopReading
        if tag in _CELLS and self._cell is not None:
            self._close_cell(self._cell)
        elif tag == f"{TABLE}table-row" and self._row_repeat:
            self.builder.put_block(self._row, self._row_repeat, self._cells)
            self._row, self._row_repeat = self._row + self._row_repeat, 0
        elif self._cell is not None:
            self._cell.end(tag)

    def data(self, text: str) -> None:
        if self._cell is not None:
            self._cell.data(text)

    def _close_cell(self, cell: _Cell) -> None:
        text = cell.value()
        if text:
            self._cells.append((self._column, cell.repeat, text))
        self._column += cell.repeat
        self._cell = None


class _Cell:
    """One ``table:table-cell`` (or covered cell) and the text of its paragraphs."""

    def __init__(self, attrib: Mapping[str, str], max_chars: int) -> None:
        self.repeat = _count(attrib.get(f"{TABLE}number-columns-repeated"))
        self._attrib = dict(attrib)
        self._max_chars = max_chars
        self._text = TextBuffer(max_chars)
        self._paragraphs = 0
        self._in_paragraph = 0  # depth inside text:p
        self._in_annotation = 0  # depth inside office:annotation

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        if tag == f"{OFFICE}annotation" or self._in_annotation:
            self._in_annotation += 1
        elif tag == f"{TEXT}p" and not self._in_paragraph:
            if self._paragraphs:
                self._text.add("\n")
            self._paragraphs += 1
            self._in_paragraph = 1
        elif self._in_paragraph:
            self._in_paragraph += 1
            self._text.add(_inline(tag, attrib, self._max_chars))

    def end(self, tag: str) -> None:
        if self._in_annotation:
            self._in_annotation -= 1
        elif self._in_paragraph:
            self._in_paragraph -= 1

    def data(self, text: str) -> None:
        if self._in_paragraph and not self._in_annotation:
            self._text.add(text)

    def value(self) -> str:
        """The cell's text from its value type (§19.385), its paragraphs for text."""
        kind = self._attrib.get(f"{OFFICE}value-type", "string")
        try:
            if kind in _NUMBERS:
                return number_text(self._attrib.get(f"{OFFICE}value", ""))
            if kind == "boolean":
                return boolean_text(self._attrib.get(f"{OFFICE}boolean-value") == "true")
            if kind in ("date", "time"):
                return _moment(self._attrib.get(f"{OFFICE}{kind}-value", ""))
        except ValueError:
            raise unreadable(f"valeur de cellule invalide ({kind})") from None
        return self._text.take()


def _inline(tag: str, attrib: Mapping[str, str], max_chars: int) -> str:
    """The text an inline element stands for (§6.1.3 spaces, §6.1.4 tab, §6.1.5 line break);
    never more spaces than a cell may hold, plus one for the buffer to refuse."""
    if tag == f"{TEXT}s":
        return " " * min(_count(attrib.get(f"{TEXT}c")), max_chars + 1)
    if tag == f"{TEXT}tab":
        return "\t"
    return "\n" if tag == f"{TEXT}line-break" else ""


def _count(raw: str | None) -> int:
    """A repeat count or a number of spaces: a positive integer, 1 when absent."""
    if raw is None:
        return 1
    if not raw.isdecimal() or len(raw) > 9 or int(raw) < 1:
        raise unreadable(f"nombre de répétitions invalide « {raw[:20]} »")
    return int(raw)


def _moment(raw: str) -> str:
    """A date as written (ISO 8601); a time (``PT12H30M00S``) as hours:minutes:seconds."""
    match = _DURATION.fullmatch(raw)
    if match is None:
        if not raw:
            raise ValueError("no value")
        return raw
    days, hours, minutes, seconds = (float(part or 0) for part in match.groups())
    duration = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    return str(-duration if raw.startswith("-") else duration)
