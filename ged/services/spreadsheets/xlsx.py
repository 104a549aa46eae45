"""The first sheet of an Office Open XML workbook (ECMA-376 Part 1 §18, SpreadsheetML; Part 2,
package relationships), transitional or strict.

The sheet is found as Excel finds it: the package's officeDocument relationship names the
workbook, whose first ``sheet`` names its part through the workbook's relationships. Cells are
placed by their reference (``r``), never by the sheet's declared ``dimension``. Values follow
§18.18.11 (cell types): shared strings (§18.4), inline strings, booleans, errors, ISO dates,
and numbers, shown as dates when their style's number format is a date format (§18.8.30).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ged.services.spreadsheets.bounds import (
    Rows,
    SheetBuilder,
    SheetLimits,
    TextBuffer,
    boolean_text,
    number_text,
    unreadable,
)
from ged.services.spreadsheets.dates import FormatKind, serial_text
from ged.services.spreadsheets.opc import relationships, target
from ged.services.spreadsheets.package import Package, StopReading
from ged.services.spreadsheets.sml import (
    StringItem,
    date_styles,
    integer,
    local_name,
    shared_strings,
    unescape,
)

RELATIONSHIP_ID = frozenset(
    {
        "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id",
        "{http://purl.oclc.org/ooxml/officeDocument/relationships}id",
    }
)
_REFERENCE = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")


def read_xlsx(package: Package, limits: SheetLimits) -> Rows:
    """(row number, cell texts) of the workbook's first sheet."""
    top = relationships(package, "", limits.max_members)
    workbook = target(top, kind="officeDocument") or "xl/workbook.xml"
    found = _Workbook()
    package.parse(workbook, found)
    parts = relationships(package, workbook, limits.max_members)
    sheet = target(parts, rid=found.sheet_id) if found.sheet_id else None
    if sheet is None:
        raise unreadable("aucune feuille")
    values = _CellValues(
        strings=shared_strings(package, target(parts, kind="sharedStrings"), limits),
        date_styles=date_styles(package, target(parts, kind="styles")),
        date1904=found.date1904,
    )
    handler = _Sheet(SheetBuilder(limits), values, limits.max_cell_chars)
    package.parse(sheet, handler)
    return handler.builder.rows()


@dataclass
class _Workbook:
    """The first sheet's relationship id and the date system (§18.2.28 workbookPr)."""

    sheet_id: str | None = None
    date1904: bool = False

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        local = local_name(tag)
        if local == "workbookPr":
            self.date1904 = attrib.get("date1904", "").lower() in ("1", "true")
        elif local == "sheet":
            self.sheet_id = next((v for k, v in attrib.items() if k in RELATIONSHIP_ID), "")
            raise StopReading  # workbookPr comes before the sheets (§18.2.27)

    def end(self, tag: str) -> None:
        pass

    def data(self, text: str) -> None:
        pass


@dataclass(frozen=True)
class _CellValues:
    strings: list[str]
    date_styles: dict[int, FormatKind]
    date1904: bool

    def text(self, kind: str, raw: str, style: int) -> str:
        """A cell's text from its type (§18.18.11) and its stored value."""
        if kind == "s":
            return self._shared(raw)
        if kind in ("inlineStr", "str", "e", "d"):
            return unescape(raw)
        if kind == "b":
            return boolean_text(raw.strip() in ("1", "true")) if raw.strip() else ""
        if not raw.strip():
            return ""
        try:
            if style in self.date_styles:
                return serial_text(float(raw), self.date_styles[style], self.date1904)
            return number_text(raw)
        except ValueError:
            raise unreadable(f"nombre invalide « {raw[:40]} »") from None

    def _shared(self, raw: str) -> str:
        index = integer(raw.strip())
        if not raw.strip().isdecimal() or index >= len(self.strings):
            raise unreadable(f"texte partagé inexistant « {raw[:40]} »")
        return self.strings[index]


class _Sheet:
    """Rows (§18.3.1.73) and cells (§18.3.1.4) of a worksheet, placed by reference."""

    def __init__(self, builder: SheetBuilder, values: _CellValues, max_chars: int) -> None:
        self.builder = builder
        self._values = values
        self._row, self._column = 0, 0
        self._cell: tuple[str, int] | None = None  # type and style of the open cell
        self._value = TextBuffer(max_chars)
        self._in_value = False
        self._inline = StringItem(max_chars)

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        local = local_name(tag)
        if local == "row":
            self._row = _number(attrib.get("r"), self._row + 1)
            self._column = 0
        elif local == "c":
            self._open_cell(attrib)
        elif self._cell is not None:
            self._in_value = local == "v"
            self._inline.start(local)

    def end(self, tag: str) -> None:
        local = local_name(tag)
        if local == "c" and self._cell is not None:
            self._close_cell(*self._cell)
        elif local == "v":
            self._in_value = False
        else:
            self._inline.end(local)

    def data(self, text: str) -> None:
        if self._in_value:
            self._value.add(text)
        elif self._cell is not None:
            self._inline.data(text)

    def _open_cell(self, attrib: Mapping[str, str]) -> None:
        reference = attrib.get("r")
        if reference is None:
            self._column += 1
        else:
            self._row, self._column = _position(reference)
        self._cell = (attrib.get("t", "n"), integer(attrib.get("s")))

    def _close_cell(self, kind: str, style: int) -> None:
        value, inline = self._value.take(), self._inline.buffer.take()
        raw = inline if kind == "inlineStr" else value
        self.builder.put(self._row, self._column, self._values.text(kind, raw, style))
        self._cell = None


def _number(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    if not raw.isdecimal() or len(raw) > 9:
        raise unreadable(f"numéro de ligne invalide « {raw[:20]} »")
    return int(raw)


def _position(reference: str) -> tuple[int, int]:
    """(row, column) of an A1 reference such as ``XFD1048576``."""
    match = _REFERENCE.fullmatch(reference)
    if match is None:
        raise unreadable(f"référence de cellule invalide « {reference[:20]} »")
    return int(match.group(2)), _column_number(match.group(1))


@functools.lru_cache(maxsize=1024)
def _column_number(letters: str) -> int:
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return column
