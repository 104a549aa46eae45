"""The limits a workbook is read within, the refusal that names the limit, and the bounded
structures the readers fill: cell text and the sparse grid of one sheet.

The grid keeps non-empty cells only, so a sheet's declared size (an XLSX ``dimension``, an ODS
``number-rows-repeated``) costs nothing; a non-empty cell beyond the row or column limit, or one
cell too many, refuses the workbook before anything is expanded.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import InvalidError, Issue

Rows = list[tuple[int, list[str]]]  # (row number from 1, cell texts from column A)


@dataclass(frozen=True)
class SheetLimits:
    """Far above any tableau de gestion (a few thousand rows, a dozen columns), far below what
    would strain the server: at most ~150 MB of Python objects and a few seconds of parsing."""

    max_members: int = 1_000  # zip entries
    max_directory_bytes: int = 256 * 1024  # zip central directory, read before the entries
    max_xml_bytes: int = 64 * 1024 * 1024  # XML inflated, every part read counted together
    max_depth: int = 64  # element nesting
    max_rows: int = 50_000
    max_columns: int = 256  # A to IV
    max_cells: int = 500_000  # non-empty cells
    max_shared_strings: int = 500_000
    max_cell_chars: int = 32_767  # a cell's length limit in Excel


DEFAULT_LIMITS = SheetLimits()


class SpreadsheetRefused(InvalidError):
    """A workbook that cannot be read, or only beyond a limit; its one issue says why."""

    code = "spreadsheet_refused"
    title = "Classeur refusé"


def unreadable(reason: str) -> SpreadsheetRefused:
    message = f"Classeur illisible : {reason}"
    return SpreadsheetRefused(message, issues=[Issue("bad_spreadsheet", message)])


def limit_exceeded(reason: str, path: str | None = None) -> SpreadsheetRefused:
    message = f"Classeur refusé, trop grand : {reason}"
    issue = Issue("spreadsheet_limit_exceeded", message, path=path)
    return SpreadsheetRefused(message, issues=[issue])


def french_number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def column_name(column: int) -> str:
    """Spreadsheet letters of a column numbered from 1 (1 → A, 27 → AA)."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def cell_name(row: int, column: int) -> str:
    return f"{column_name(column)}{row}"


def number_text(raw: str) -> str:
    """A stored number as a spreadsheet shows it by default: 5.0 → "5", 0.25 → "0.25"."""
    value = float(raw)
    return str(int(value)) if value.is_integer() else str(value)


def boolean_text(value: bool) -> str:
    return "VRAI" if value else "FAUX"


class TextBuffer:
    """The text of one cell or shared string, refused past ``max_cell_chars``."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._parts: list[str] = []
        self._size = 0

    def add(self, text: str) -> None:
        self._size += len(text)
        if self._size > self._limit:
            limit = french_number(self._limit)
            raise limit_exceeded(f"un texte de cellule dépasse {limit} caractères")
        self._parts.append(text)

    def take(self) -> str:
        """The text so far; the buffer starts again empty."""
        text = "".join(self._parts)
        self._parts, self._size = [], 0
        return text


class SheetBuilder:
    """The non-empty cells of one sheet, within the row, column and cell limits."""

    def __init__(self, limits: SheetLimits) -> None:
        self._limits = limits
        self._rows: dict[int, dict[int, str]] = {}
        self._cells = 0

    def put(self, row: int, column: int, text: str) -> None:
        """Sets one cell (numbered from 1); an empty text leaves the cell empty."""
        if text:
            self._check_corner(row, column)
            self._check_count(1)
            self._rows.setdefault(row, {})[column] = text

    def put_block(self, row: int, repeat: int, cells: list[tuple[int, int, str]]) -> None:
        """``repeat`` identical rows from ``row``, each with ``cells`` as (first column, how many
        columns, text): checked against every limit before a single cell is stored."""
        filled = [cell for cell in cells if cell[2]]
        if not filled:
            return
        last_column = max(first + count - 1 for first, count, _ in filled)
        self._check_corner(row + repeat - 1, last_column)
        self._check_count(repeat * sum(count for _, count, _ in filled))
        for number in range(row, row + repeat):
            stored = self._rows.setdefault(number, {})
            for first, count, text in filled:
                stored.update(dict.fromkeys(range(first, first + count), text))

    def rows(self) -> Rows:
        """Every row from 1 to the last non-empty one, each as far as its last non-empty cell."""
        last = max(self._rows, default=0)
        return [(number, _dense(self._rows.get(number, {}))) for number in range(1, last + 1)]

    def _check_corner(self, row: int, column: int) -> None:
        limits = self._limits
        if row > limits.max_rows or column > limits.max_columns:
            name = cell_name(min(row, 10**9), min(column, 10**6))
            rows, columns = french_number(limits.max_rows), french_number(limits.max_columns)
            reason = f"la cellule {name} dépasse la limite de {rows} lignes et {columns} colonnes"
            raise limit_exceeded(reason, path=name)

    def _check_count(self, added: int) -> None:
        self._cells += added
        if self._cells > self._limits.max_cells:
            limit = french_number(self._limits.max_cells)
            raise limit_exceeded(f"plus de {limit} cellules non vides")


def _dense(cells: dict[int, str]) -> list[str]:
    row = [""] * max(cells, default=0)
    for column, text in cells.items():
        row[column - 1] = text
    return row
