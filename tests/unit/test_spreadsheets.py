"""The bounded workbook reader (ged.services.spreadsheets): what it reads from well-formed XLSX
and ODS files, and the reason it gives for each hostile one."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time

import pytest
import xlsxwriter  # type: ignore[import-untyped]

from ged.services.spreadsheets import SheetLimits, SpreadsheetRefused, read_first_sheet
from tests.fixtures import hostile_spreadsheets as hostile
from tests.fixtures.hostile_spreadsheets import inline, ods, ods_cell, ods_row, xlsx

SMALL = SheetLimits(
    max_members=20,
    max_directory_bytes=4096,
    max_xml_bytes=1 << 20,
    max_depth=16,
    max_rows=100,
    max_columns=10,
    max_cells=50,
    max_shared_strings=50,
    max_cell_chars=100,
)


def refusal(data: bytes, format_: str, limits: SheetLimits = SMALL) -> tuple[str, str]:
    with pytest.raises(SpreadsheetRefused) as caught:
        read_first_sheet(data, format_, limits)  # type: ignore[arg-type]
    [issue] = caught.value.issues
    return issue.code, issue.message


# --- XLSX: what is read ------------------------------------------------------------------------


def test_an_xlsx_gives_each_value_as_a_spreadsheet_shows_it() -> None:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    clock = workbook.add_format({"num_format": "hh:mm"})
    elapsed = workbook.add_format({"num_format": "[h]:mm"})
    text_with_quotes = workbook.add_format({"num_format": '0 "jours"'})
    sheet.write_string(0, 0, "Délai_x000D_ « 5 ans »")
    sheet.write_number(0, 1, 5)
    sheet.write_number(0, 2, 2.5)
    sheet.write_boolean(0, 3, True)
    sheet.write_formula(0, 4, "=B1*2", None, 10)
    sheet.write_formula(0, 5, '="C"&"D"', None, "CD")
    sheet.write_datetime(1, 0, date(2004, 1, 14), day)
    sheet.write_datetime(1, 1, datetime(2004, 1, 14, 12, 30), moment)
    sheet.write_datetime(1, 2, time(6, 0), clock)
    sheet.write_number(1, 3, 1.5, elapsed)
    sheet.write_number(1, 4, 12, text_with_quotes)
    sheet.write_rich_string(
        3, 2, "Conservation ", workbook.add_format({"bold": True}), "définitive"
    )
    workbook.close()
    assert read_first_sheet(buffer.getvalue(), "xlsx") == [
        (1, ["Délai_x000D_ « 5 ans »", "5", "2.5", "VRAI", "10", "CD"]),
        (2, ["2004-01-14", "2004-01-14T12:30:00", "06:00:00", "1 day, 12:00:00", "12"]),
        (3, []),
        (4, ["", "", "Conservation définitive"]),
    ]


def test_xlsx_cells_are_placed_by_reference_and_the_declared_dimension_is_ignored() -> None:
    sheet = (
        f'<worksheet xmlns="{hostile.MAIN}"><dimension ref="A1:XFD1048576"/><sheetData>'
        f'<row r="2">{inline("C2", "c")}<c t="inlineStr"><is><t>d</t></is></c></row>'
        '<row><c r="A3" s="0"/><c><v>7</v></c></row></sheetData></worksheet>'
    )
    assert read_first_sheet(xlsx([sheet.encode()]), "xlsx") == [
        (1, []),
        (2, ["", "", "c", "d"]),
        (3, ["", "7"]),
    ]


def test_xlsx_shared_strings_leave_phonetic_runs_out_and_unescape_characters() -> None:
    strings = (
        "<si><t>Code</t><rPh><t>コード</t></rPh></si><si><r><t>a_x000A_</t></r><r><t>b</t></r></si>"
    )
    cells = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
    assert read_first_sheet(xlsx(cells, shared_strings=strings), "xlsx") == [(1, ["Code", "a\nb"])]


def test_an_xlsx_in_the_strict_namespace_is_read() -> None:
    strict = "http://purl.oclc.org/ooxml/spreadsheetml/main"
    data = xlsx(hostile.header_row()).replace(hostile.MAIN.encode(), strict.encode())
    assert read_first_sheet(data, "xlsx") == [(1, list(hostile.HEADER))]


# --- ODS: what is read -------------------------------------------------------------------------


def test_an_ods_gives_each_value_and_its_text_as_written() -> None:
    cells = (
        '<table:table-cell office:value-type="float" office:value="5"><text:p>5,00</text:p>'
        "</table:table-cell>"
        '<table:table-cell office:value-type="percentage" office:value="0.25"/>'
        '<table:table-cell office:value-type="boolean" office:boolean-value="false"/>'
        '<table:table-cell office:value-type="date" office:date-value="2004-01-14"/>'
        '<table:table-cell office:value-type="time" office:time-value="PT06H30M00S"/>'
        '<table:table-cell office:value-type="string"><text:p>a<text:s text:c="3"/>b'
        "<text:tab/>c</text:p><text:p>d<text:line-break/><text:span>e</text:span></text:p>"
        "<office:annotation><text:p>note</text:p></office:annotation></table:table-cell>"
    )
    assert read_first_sheet(ods(ods_row(cells)), "ods") == [
        (1, ["5", "0.25", "FAUX", "2004-01-14", "6:30:00", "a   b\tc\nd\ne"]),
    ]


def test_ods_repeated_empty_rows_and_columns_cost_nothing_and_filled_ones_are_repeated() -> None:
    blank = "<table:table-cell table:number-columns-repeated='16384'/>"
    body = (
        ods_row(ods_cell("x", 2) + "<table:table-cell/>" + ods_cell("y"))
        + ods_row(ods_cell("z"), 2)
        + ods_row(blank, 1_048_573)
    )
    assert read_first_sheet(ods(body), "ods") == [
        (1, ["x", "x", "", "y"]),
        (2, ["z"]),
        (3, ["z"]),
    ]


def test_only_the_first_ods_table_is_read() -> None:
    second = '</table:table><table:table table:name="Autre">' + ods_row(ods_cell("autre"))
    assert read_first_sheet(ods(ods_row(ods_cell("a")) + second), "ods") == [(1, ["a"])]


# --- hostile workbooks -------------------------------------------------------------------------


def test_a_filled_cell_beyond_the_limits_refuses_the_workbook_and_names_the_cell() -> None:
    code, message = refusal(hostile.whole_sheet_dimension_xlsx(), "xlsx")
    assert code == "spreadsheet_limit_exceeded"
    assert "XFD1048576" in message and "100 lignes et 10 colonnes" in message


@pytest.mark.parametrize(
    ("make", "format_", "reason"),
    [
        (hostile.repeated_cells_ods, "ods", "colonnes"),
        (hostile.far_cell_ods, "ods", "XFD1048576"),
        (lambda: hostile.many_shared_strings_xlsx(100_000), "xlsx", "textes partagés"),
        (lambda: hostile.long_shared_string_xlsx(1), "xlsx", "100 caractères"),
        (lambda: hostile.zip_bomb_xlsx(8), "xlsx", "Mio de XML"),
        (lambda: hostile.zip_bomb_ods(8), "ods", "Mio de XML"),
        (hostile.deep_xlsx, "xlsx", "16 niveaux"),
        (hostile.deep_ods, "ods", "16 niveaux"),
        (lambda: hostile.many_members_xlsx(30), "xlsx", "20 fichiers"),
        (lambda: hostile.many_members_xlsx(500), "xlsx", "table des matières"),
    ],
    ids=[
        "ods-repeated-cells",
        "ods-far-cell",
        "xlsx-many-shared-strings",
        "xlsx-long-shared-string",
        "xlsx-zip-bomb",
        "ods-zip-bomb",
        "xlsx-deep",
        "ods-deep",
        "xlsx-many-members",
        "xlsx-huge-zip-directory",
    ],
)
def test_a_workbook_past_a_limit_is_refused_with_the_limit_named(
    make: object, format_: str, reason: str
) -> None:
    code, message = refusal(make(), format_)  # type: ignore[operator]
    assert code == "spreadsheet_limit_exceeded"
    assert reason in message


def test_too_many_filled_cells_are_refused_before_they_are_stored() -> None:
    rows = "".join(ods_row(ods_cell("x", 10)) for _ in range(6))
    assert refusal(ods(rows), "ods") == (
        "spreadsheet_limit_exceeded",
        "Classeur refusé, trop grand : plus de 50 cellules non vides",
    )


@pytest.mark.parametrize(
    ("data", "format_", "reason"),
    [
        (hostile.laughs_xlsx(), "xlsx", "DTD interdite"),
        (hostile.laughs_ods(), "ods", "DTD interdite"),
        (b"PK\x03\x04 not really a zip", "xlsx", "archive zip invalide"),
        (b"", "ods", "archive zip invalide"),
        (xlsx('<row r="1"><c r="A1" t="s"><v>3</v></c></row>'), "xlsx", "texte partagé inexistant"),
        (xlsx('<row r="1"><c r="1A"><v>3</v></c></row>'), "xlsx", "référence de cellule invalide"),
        (xlsx('<row r="1"><c r="A1"><v>trois</v></c></row>'), "xlsx", "nombre invalide"),
        (xlsx("<row><c>"), "xlsx", "XML invalide"),
        (
            ods(ods_row('<table:table-cell table:number-columns-repeated="0"/>')),
            "ods",
            "nombre de répétitions invalide",
        ),
        (ods(ods_row(ods_cell("x")), prolog="")[:-30], "ods", "archive zip invalide"),
    ],
    ids=[
        "xlsx-billion-laughs",
        "ods-billion-laughs",
        "not-a-zip",
        "empty",
        "xlsx-missing-shared-string",
        "xlsx-bad-reference",
        "xlsx-bad-number",
        "xlsx-malformed-xml",
        "ods-zero-repeat",
        "truncated-zip",
    ],
)
def test_a_workbook_that_cannot_be_read_safely_is_refused_with_the_reason(
    data: bytes, format_: str, reason: str
) -> None:
    code, message = refusal(data, format_)
    assert code == "bad_spreadsheet"
    assert reason in message


def test_a_workbook_without_its_sheet_is_refused() -> None:
    source = io.BytesIO(xlsx(hostile.header_row()))
    trimmed = io.BytesIO()
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(trimmed, "w") as out:
        for info in archive.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, archive.read(info))
    code, message = refusal(trimmed.getvalue(), "xlsx")
    assert code == "bad_spreadsheet" and "xl/worksheets/sheet1.xml" in message


def test_an_ods_without_a_table_is_refused() -> None:
    content = f"<office:document-content {hostile.ODS_NAMESPACES}><office:body/></office:document-content>"
    data = hostile.ods_package(content.encode())
    assert refusal(data, "ods") == ("bad_spreadsheet", "Classeur illisible : aucune feuille")
