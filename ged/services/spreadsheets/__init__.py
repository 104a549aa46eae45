"""The first sheet of an XLSX or ODS workbook, read with bounded memory and time.

A workbook is a zip of XML parts, and a few kilobytes of it can declare a sheet of 17 billion
cells, shared strings by the million, parts that inflate a thousandfold or XML nested without
end. This reader trusts none of it: the zip's directory, the inflated bytes, the XML depth, the
rows, columns, filled cells, shared strings and cell lengths all have limits (``SheetLimits``);
only filled cells are stored, and a workbook past a limit is refused with the limit named
(``SpreadsheetRefused``, issue ``spreadsheet_limit_exceeded``; ``bad_spreadsheet`` for what
cannot be read). It replaces python-calamine, which builds the dense grid first: a 1.5 KB XLSX
whose dimension is A1:XFD1048576 made it allocate 512 GiB and abort the server.
"""

from __future__ import annotations

from typing import Literal

from ged.services.spreadsheets.bounds import (
    DEFAULT_LIMITS,
    Rows,
    SheetLimits,
    SpreadsheetRefused,
)
from ged.services.spreadsheets.ods import read_ods
from ged.services.spreadsheets.package import Package
from ged.services.spreadsheets.xlsx import read_xlsx

SpreadsheetFormat = Literal["xlsx", "ods"]


def read_first_sheet(
    data: bytes, format: SpreadsheetFormat, limits: SheetLimits = DEFAULT_LIMITS
) -> Rows:
    """(row number from 1, cell texts from column A) for every row up to the last filled one;
    raises ``SpreadsheetRefused`` naming the reason."""
    package = Package(data, limits)
    return read_xlsx(package, limits) if format == "xlsx" else read_ods(package, limits)


__all__ = [
    "DEFAULT_LIMITS",
    "Rows",
    "SheetLimits",
    "SpreadsheetFormat",
    "SpreadsheetRefused",
    "read_first_sheet",
]
