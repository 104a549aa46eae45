"""Import and export of retention rules: Vitam's rules referential (CSV) and French tableaux de
gestion (CSV, XLSX, ODS).

Vitam format: the six-column CSV read by ``kernel.rules_referential`` (the reader the archival
repository shares), each row becoming a ``RetentionRule``. Vitam's referential has no start
event, final action or legal reference, so exporting to it keeps RuleValue (label) and
RuleDescription (notes) only.

Tableau de gestion: one row per document type with code, intitulé, DUA, point de départ, sort
final (C/D/T), délai de communicabilité, référence, observations; headers are matched without
regard to case, accents or punctuation, and title rows above the header are skipped. A row gives
an AppraisalRule with the row's code, and, when a délai de communicabilité is given, an
AccessRule ``<code>-ACC`` with the event it counts from, as records officers word it (« 25 ans
après le décès », « 120 ans à compter de la naissance », « délai de 50 ans »: Code du
patrimoine L213-2, read by ``ged.domain.communicability``).

Imports are all-or-nothing: every bad row is reported in one ``RulesFileRefused`` with its line
number — the row as a spreadsheet numbers it, header included, which is also what Vitam's error
reports call "line" — its column and a stable reason code.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO, Literal, TextIO, cast
from xml.sax.saxutils import escape, quoteattr

import xlsxwriter  # type: ignore[import-untyped]

from ged.domain.communicability import AccessPeriod, access_wording, parse_access_period
from ged.domain.retention import FinalAction, RetentionRule, StartEvent
from ged.services.spreadsheets import SpreadsheetFormat, SpreadsheetRefused, read_first_sheet
from kernel.errors import InvalidError, Issue
from kernel.retention import Duration, InvalidDuration, RuleCategory
from kernel.rules_referential import (
    VITAM_COLUMNS,
    Rows,
    RulesFileRefused,
    RulesReport,
    check_duplicate,
    check_in_use,
    csv_records,
    decode_text,
    parse_vitam_csv,
    read_limited,
)

TableFormat = Literal["csv", "xlsx", "ods"]
Source = str | os.PathLike[str] | BinaryIO | TextIO

ACCESS_SUFFIX = "-ACC"


# --- Vitam rules referential ------------------------------------------------------------------


def read_vitam_rules(
    stream: BinaryIO | TextIO, *, in_use: Iterable[str] = ()
) -> list[RetentionRule]:
    """The rules of a Vitam rules-referential CSV (``kernel.rules_referential.parse_vitam_csv``:
    ``RulesFileRefused`` listing every bad row, and every rule of ``in_use`` it would remove)."""
    return [
        RetentionRule(
            identifier=row.identifier,
            category=row.category,
            label=row.label,
            duration=row.duration,
            notes=row.notes,
        )
        for row in parse_vitam_csv(stream, in_use=in_use)
    ]


def write_vitam_csv(rules: Sequence[RetentionRule], stream: BinaryIO) -> None:
    """Vitam rules-referential CSV (UTF-8, comma). Start event, final action and legal
    reference have no column there and are not written. A duration mixing days with months or
    years has no single Vitam unit and is refused (``not_representable``)."""
    report = RulesReport()
    rows = [list(VITAM_COLUMNS)]
    for rule in rules:
        amount_unit = _vitam_amount(rule, report)
        rows.append([rule.identifier, rule.category.value, rule.label, rule.notes, *amount_unit])
    report.raise_if_any("Export Vitam")
    _write_csv(rows, stream, delimiter=",", bom=False)


def _vitam_amount(rule: RetentionRule, report: RulesReport) -> list[str]:
    duration = rule.duration
    if duration is None:
        return ["", ""]
    if duration.unlimited:
        return ["unlimited", "YEAR"]
    if duration.days and duration.total_months:
        message = f"{duration.to_french()} n'a pas d'unité Vitam unique"
        report.add("not_representable", message, path=rule.identifier)
        return ["", ""]
    if duration.days:
        return [str(duration.days), "DAY"]
    if duration.months:
        return [str(duration.total_months), "MONTH"]
    return [str(duration.years), "YEAR"]


# --- tableau de gestion -----------------------------------------------------------------------

# field -> header spellings, "|"-separated, compared after _normalise (lower case, no accents,
# punctuation as spaces)
_TABLEAU_HEADERS = {
    "code": "code|cote|identifiant|id|n|no|numero|reference de la regle",
    "label": "intitule|libelle|typologie|typologie documentaire|nature des documents|designation"
    "|documents|type de document|type de documents",
    "dua": "dua|duree d utilite administrative|duree d utilite administrative dua"
    "|duree de conservation|delai de conservation|duree",
    "start": "point de depart|point de depart de la dua|point de depart dua|depart"
    "|evenement declencheur|a compter de",
    "final": "sort final|sort|sort definitif|traitement final|final action",
    "access": "delai de communicabilite|communicabilite|delai communicabilite"
    "|delai de communication",
    "reference": "reference|references|reference reglementaire|references reglementaires"
    "|texte de reference|textes de reference|base legale|fondement juridique|reference legale",
    "notes": "observations|observation|remarques|remarque|commentaires|notes",
}
_HEADER_LOOKUP = {
    alias: name for name, aliases in _TABLEAU_HEADERS.items() for alias in aliases.split("|")
}
_REQUIRED = ("code", "label", "dua", "final")
_TABLEAU_TITLES = {
    "code": "Code",
    "label": "Intitulé",
    "dua": "DUA",
    "start": "Point de départ",
    "final": "Sort final",
    "access": "Délai de communicabilité",
    "reference": "Référence",
    "notes": "Observations",
}


def column_title(path: str | None) -> str:
    """The column an issue of a tableau de gestion names, as its header says it in French
    (« DUA », « Sort final »); a Vitam column keeps its own name (``RuleDuration``)."""
    if not path:
        return ""
    return _TABLEAU_TITLES.get(path, path)


_HEADER_SEARCH_ROWS = 20


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _header_field(cell: str) -> str | None:
    name = _normalise(cell)
    return _HEADER_LOOKUP.get(name) or _HEADER_LOOKUP.get(_normalise(re.sub(r"\(.*\)", "", cell)))


def parse_tableau(
    source: Source,
    format: TableFormat = "csv",
    *,
    in_use: Iterable[str] = (),
    encoding: str = "utf-8",
) -> list[RetentionRule]:
    """Rules of a tableau de gestion (path or stream); raises ``RulesFileRefused`` listing every
    bad row, and every rule of ``in_use`` the file would remove."""
    rows = _tableau_rows(source, format, encoding)
    report = RulesReport()
    header_line, columns = _find_header(rows, report)
    report.raise_if_any("Tableau de gestion")
    rules: list[RetentionRule] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if line > header_line:
            rules.extend(_tableau_row(line, cells, columns, seen, report))
    check_in_use(seen, in_use, report)
    report.raise_if_any("Tableau de gestion")
    return rules


def _tableau_rows(source: Source, format: str, encoding: str) -> Rows:
    if format == "csv":
        return _csv_tableau_rows(source, encoding)
    if format in ("xlsx", "ods"):
        return _spreadsheet_rows(source, cast(SpreadsheetFormat, format))
    message = f"Format inconnu « {format} » : csv, xlsx ou ods"
    raise RulesFileRefused(message, issues=[Issue("unsupported_format", message)])


def _csv_tableau_rows(source: Source, encoding: str) -> Rows:
    if isinstance(source, str | os.PathLike):
        with Path(source).open("rb") as stream:
            text = decode_text(read_limited(stream), encoding)
    else:
        text = decode_text(read_limited(source), encoding)
    lines = text.splitlines(keepends=True)
    comments = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    body = "".join(lines[comments:])
    delimiter = max(
        (";", ",", "\t"),
        key=lambda d: _header_score(csv_records(body, d, comments + 1, strict=False)),
    )
    return csv_records(body, delimiter, comments + 1)


def _header_score(rows: Rows) -> int:
    return max((_known_columns(cells) for _, cells in rows[:_HEADER_SEARCH_ROWS]), default=0)


def _known_columns(cells: list[str]) -> int:
    return len({_header_field(cell) for cell in cells} - {None})


def _spreadsheet_rows(source: Source, format: SpreadsheetFormat) -> Rows:
    if isinstance(source, str | os.PathLike):
        with Path(source).open("rb") as stream:
            data = read_limited(stream)
    else:
        data = read_limited(source)
    try:
        return read_first_sheet(data.encode() if isinstance(data, str) else data, format)
    except SpreadsheetRefused as exc:
        raise RulesFileRefused(exc.detail, issues=exc.issues) from None


def _find_header(rows: Rows, report: RulesReport) -> tuple[int, dict[str, int]]:
    for line, cells in rows[:_HEADER_SEARCH_ROWS]:
        if _known_columns(cells) >= 2:
            return line, _header_columns(line, cells, report)
    for name in _REQUIRED:
        report.add("missing_column", f"Colonne absente : {_TABLEAU_TITLES[name]}", 1, name)
    return 0, {}


def _header_columns(line: int, cells: list[str], report: RulesReport) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = _header_field(cell)
        if name in columns:
            report.add("duplicate_column", f"Colonne en double : « {cell} »", line, cell)
        elif name is not None:
            columns[name] = index
    for name in _REQUIRED:
        if name not in columns:
            report.add("missing_column", f"Colonne absente : {_TABLEAU_TITLES[name]}", line, name)
    return columns


def _tableau_row(
    line: int, cells: list[str], columns: dict[str, int], seen: dict[str, int], report: RulesReport
) -> list[RetentionRule]:
    value = {
        name: _undefuse(cells[i]).strip() if i < len(cells) else "" for name, i in columns.items()
    }
    if not (value["code"] or value["dua"] or value["final"]):
        return []  # a blank row or a section title ("1. Ressources humaines")
    before = len(report.issues)
    for name in _REQUIRED:
        if not value[name]:
            report.add("missing_value", f"{_TABLEAU_TITLES[name]} manquant", line, name)
    dua = _tableau_duration(value["dua"], line, "dua", report) if value["dua"] else None
    final = _tableau_final_action(value["final"], line, report) if value["final"] else None
    access = _tableau_access(value.get("access", ""), line, report)
    if check_duplicate(value["code"], line, seen, report, "code") and value.get("access"):
        check_duplicate(value["code"] + ACCESS_SUFFIX, line, seen, report, "code")
    if len(report.issues) > before:
        return []
    return _row_rules(value, dua, final, access)


def _row_rules(
    value: dict[str, str],
    dua: Duration | None,
    final: FinalAction | None,
    access: AccessPeriod | None,
) -> list[RetentionRule]:
    start = value.get("start", "")
    appraisal = RetentionRule(
        identifier=value["code"],
        category=RuleCategory.APPRAISAL,
        label=value["label"],
        duration=dua,
        start_event=StartEvent.parse(start) if start else None,
        final_action=final,
        legal_reference=value.get("reference", ""),
        notes=value.get("notes", ""),
    )
    if access is None:
        return [appraisal]
    return [
        appraisal,
        RetentionRule(
            identifier=value["code"] + ACCESS_SUFFIX,
            category=RuleCategory.ACCESS,
            label=value["label"],
            duration=access.duration,
            start_event=access.start,
            legal_reference=value.get("reference", ""),  # the article of L213-2 it applies
            alternative=access.alternative,
        ),
    ]


def _tableau_duration(raw: str, line: int, column: str, report: RulesReport) -> Duration | None:
    try:
        return Duration.parse(raw, bare_number_unit="year")
    except InvalidDuration as exc:
        issue = exc.issues[0]
        quoted = f"« {raw} »"  # the value, said once: the duration's message may quote it already
        message = issue.message if quoted in issue.message else f"{issue.message} ({quoted})"
        report.add(issue.code, message, line, column)
        return None


def _tableau_access(raw: str, line: int, report: RulesReport) -> AccessPeriod | None:
    if not raw:
        return None
    try:
        return parse_access_period(raw)
    except InvalidError as exc:  # an ambiguous wording, or a duration that cannot be read
        report.add(exc.issues[0].code, exc.issues[0].message, line, "access")
        return None


def _tableau_final_action(raw: str, line: int, report: RulesReport) -> FinalAction | None:
    action = FinalAction.parse(raw)
    if action is None or action.category is not RuleCategory.APPRAISAL:
        message = f"Sort final inconnu « {raw} » : C (conservation), D (destruction) ou T (tri)"
        report.add("unknown_final_action", message, line, "final")
        return None
    return action


def write_tableau(
    rules: Sequence[RetentionRule],
    stream: BinaryIO,
    format: TableFormat = "csv",
) -> None:
    """One row per AppraisalRule, its ``<code>-ACC`` AccessRule in the délai column. Any other
    rule has no place in a tableau de gestion and is refused (``not_in_tableau``). CSV is written
    for French spreadsheets: UTF-8 with a byte-order mark, semicolons."""
    rows = [[_TABLEAU_TITLES[name] for name in _TABLEAU_TITLES], *_tableau_cells(rules)]
    writers: dict[str, Callable[[list[list[str]], BinaryIO], None]] = {
        "csv": _write_tableau_csv,
        "xlsx": _write_xlsx,
        "ods": _write_ods,
    }
    if format not in writers:
        message = f"Format inconnu « {format} » : csv, xlsx ou ods"
        raise RulesFileRefused(message, issues=[Issue("unsupported_format", message)])
    writers[format](rows, stream)


def _tableau_cells(rules: Sequence[RetentionRule]) -> list[list[str]]:
    by_id = {rule.identifier: rule for rule in rules}
    report = RulesReport()
    rows, placed = [], set()
    for rule in rules:
        if rule.category is not RuleCategory.APPRAISAL:
            continue
        access = by_id.get(rule.identifier + ACCESS_SUFFIX)
        if access is not None and access.category is RuleCategory.ACCESS:
            placed.add(access.identifier)
        else:
            access = None
        placed.add(rule.identifier)
        rows.append(_tableau_line(rule, access))
    for rule in rules:
        if rule.identifier not in placed:
            message = f"{rule.category.value} sans place dans un tableau de gestion"
            report.add("not_in_tableau", message, path=rule.identifier)
    report.raise_if_any("Export du tableau de gestion")
    return rows


def _tableau_line(rule: RetentionRule, access: RetentionRule | None) -> list[str]:
    access_text = ""
    if access is not None and access.duration is not None:
        access_text = access_wording(access.duration, access.start_event, access.alternative)
    return [
        rule.identifier,
        rule.label,
        rule.duration.to_french() if rule.duration else "",
        rule.start_event.to_french() if rule.start_event else "",
        (rule.final_action.french_code or "") if rule.final_action else "",
        access_text,
        rule.legal_reference,
        rule.notes,
    ]


# --- writers ----------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(cell: str) -> str:
    """A cell starting like a formula is prefixed with ' so a spreadsheet shows it as text
    (CSV injection); the tableau reader removes that quote again."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def _undefuse(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_FORMULA_START) else cell


def _write_csv(rows: list[list[str]], stream: BinaryIO, *, delimiter: str, bom: bool) -> None:
    text = io.StringIO(newline="")
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    stream.write(("\ufeff" if bom else "").encode() + text.getvalue().encode("utf-8"))


def _write_tableau_csv(rows: list[list[str]], stream: BinaryIO) -> None:
    _write_csv([[_defuse(c) for c in row] for row in rows], stream, delimiter=";", bom=True)


def _write_xlsx(rows: list[list[str]], stream: BinaryIO) -> None:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Tableau de gestion")
    bold = workbook.add_format({"bold": True})
    for row_index, row in enumerate(rows):
        for column, value in enumerate(row):
            # write_string, never write(): a label starting with '=' must not become a formula
            sheet.write_string(row_index, column, value, bold if row_index == 0 else None)
    workbook.close()
    stream.write(buffer.getvalue())


_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" \
manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" \
manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
_ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)


def _write_ods(rows: list[list[str]], stream: BinaryIO) -> None:
    """OpenDocument spreadsheet (ODF 1.2 part 1, §9.1 tables): the mimetype entry first and
    stored, a manifest, and one table of string cells in content.xml."""
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(cell) for cell in row) + "</table:table-row>"
        for row in rows
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODS_NAMESPACES}>'
        "<office:body><office:spreadsheet>"
        f'<table:table table:name="Tableau de gestion">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        mimetype = "application/vnd.oasis.opendocument.spreadsheet"
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
        archive.writestr("content.xml", content)
    stream.write(buffer.getvalue())


def _ods_cell(value: str) -> str:
    if not value:
        return "<table:table-cell/>"
    paragraphs = "".join(f"<text:p>{_ods_text(line)}</text:p>" for line in value.split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def _ods_text(line: str) -> str:
    """ODF collapses runs of spaces (§6.1.2): keep them with <text:s text:c="n"/>."""

    def spaces(match: re.Match[str]) -> str:
        count = len(match.group(0))
        return " " + (f"<text:s text:c={quoteattr(str(count - 1))}/>" if count > 1 else "")

    return re.sub(r" {2,}", spaces, escape(line))
