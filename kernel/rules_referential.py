"""Vitam's rules referential (CSV): the reader both the GED and the archival repository use.

The six columns RuleId, RuleType, RuleValue, RuleDescription, RuleDuration, RuleMeasurement,
UTF-8, comma-separated, as checked by Vitam's ``RulesManagerFileImpl``: RuleType is one of the
seven SEDA names exactly (case counts), RuleMeasurement is YEAR/MONTH/DAY (any case),
RuleDuration a non-negative integer or 'unlimited' (any case), at most 999 years, and a HoldRule
may leave both duration and unit empty. The repository refuses at ingest a SIP naming a rule its
referential does not hold (Vitam's CHECK_RULES), so it must read exactly what Vitam reads.

Reading is all-or-nothing: every bad row is reported in one ``RulesFileRefused`` with its line
number — the row as a spreadsheet numbers it, header included, which is also what Vitam's error
reports call "line" — its column and a stable reason code. The reading helpers (size limit,
decoding, CSV records, the report of issues) serve the GED's tableaux de gestion too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO, Final, TextIO

from kernel.errors import InvalidError, Issue
from kernel.retention import Duration, InvalidDuration, RuleCategory

MAX_IMPORT_BYTES: Final = 20 * 1024 * 1024
VITAM_COLUMNS: Final = (
    "RuleId",
    "RuleType",
    "RuleValue",
    "RuleDescription",
    "RuleDuration",
    "RuleMeasurement",
)
Rows = list[tuple[int, list[str]]]  # (spreadsheet row number, cells)


class RulesFileRefused(InvalidError):
    """A rules file was refused as a whole; ``issues`` lists every problem found."""

    code = "rules_file_refused"


@dataclass(frozen=True)
class ReferentialRule:
    """One row of a Vitam rules referential. ``duration`` is None only for a HoldRule without a
    set length (held until lifted)."""

    identifier: str
    category: RuleCategory
    label: str
    duration: Duration | None
    notes: str = ""


@dataclass
class RulesReport:
    """Issues found while reading a rules file; raised together as ``RulesFileRefused``."""

    issues: list[Issue] = field(default_factory=list)

    def add(
        self, code: str, message: str, line: int | None = None, path: str | None = None
    ) -> None:
        self.issues.append(Issue(code=code, message=message, line=line, path=path))

    def raise_if_any(self, what: str) -> None:
        if self.issues:
            count = len(self.issues)
            raise RulesFileRefused(f"{what} refusé : {count} problème(s)", issues=self.issues)


# --- reading bytes and text -------------------------------------------------------------------


def read_limited(stream: BinaryIO | TextIO) -> bytes | str:
    """The whole stream, refused past ``MAX_IMPORT_BYTES``."""
    data = stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        message = f"Fichier trop volumineux (plus de {MAX_IMPORT_BYTES} octets)"
        raise RulesFileRefused(message, issues=[Issue("file_too_large", message)])
    return data


def decode_text(data: bytes | str, encoding: str) -> str:
    """Text without its byte-order mark; the line of the first undecodable byte otherwise."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = (
            f"Le fichier n'est pas encodé en {encoding} (octet {exc.start}) : "
            "enregistrez-le en « CSV UTF-8 »"
        )
        raise RulesFileRefused(message, issues=[Issue("bad_encoding", message, line)]) from None


def csv_records(text: str, delimiter: str, first_line: int, *, strict: bool = True) -> Rows:
    """(spreadsheet row number, cells) for each record; multi-line cells stay one record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    try:
        return [(first_line + index, row) for index, row in enumerate(reader)]
    except csv.Error as exc:
        line = first_line + reader.line_num - 1
        message = f"CSV illisible : {exc}"
        raise RulesFileRefused(message, issues=[Issue("bad_csv", message, line)]) from None


# --- Vitam rules referential ------------------------------------------------------------------


def parse_vitam_csv(
    stream: BinaryIO | TextIO, *, in_use: Iterable[str] = ()
) -> list[ReferentialRule]:
    """Rules of a Vitam rules-referential CSV; raises ``RulesFileRefused`` listing every bad row
    (and every rule of ``in_use`` the file would remove) — nothing is returned then."""
    records = csv_records(decode_text(read_limited(stream), "utf-8"), ",", 1)
    report = RulesReport()
    header = records[0][1] if records else []
    columns = _vitam_header(header, report)
    report.raise_if_any("Référentiel de règles")
    rules: list[ReferentialRule] = []
    seen: dict[str, int] = {}
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue
        rule = _vitam_row(line, cells, (columns, len(header)), seen, report)
        if rule is not None:
            rules.append(rule)
    check_in_use(seen, in_use, report)
    report.raise_if_any("Référentiel de règles")
    return rules


def _vitam_header(header: list[str], report: RulesReport) -> dict[str, int]:
    names = [cell.strip() for cell in header]
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        report.add("wrong_delimiter", "Le séparateur doit être la virgule", 1)
        return {}
    for column in VITAM_COLUMNS:
        if column not in names:
            report.add("missing_column", f"Colonne obligatoire absente : {column}", 1, column)
    return {name: names.index(name) for name in VITAM_COLUMNS if name in names}


def _vitam_row(
    line: int,
    cells: list[str],
    layout: tuple[dict[str, int], int],
    seen: dict[str, int],
    report: RulesReport,
) -> ReferentialRule | None:
    columns, width = layout
    if len(cells) != width:
        message = (
            f"{len(cells)} champs au lieu de {width} (virgule en trop ou guillemets manquants ?)"
        )
        report.add("wrong_field_count", message, line)
        position = columns.get("RuleId", len(cells))
        if position < len(cells):  # still known as present, for the rules-in-use check
            seen.setdefault(cells[position].strip(), line)
        return None
    value = {name: cells[index].strip() for name, index in columns.items()}
    before = len(report.issues)
    rule_id = value["RuleId"]
    for name in ("RuleId", "RuleType", "RuleValue"):
        if not value[name]:
            report.add("missing_value", f"{name} est obligatoire", line, name)
    category = _vitam_category(value["RuleType"], line, report)
    check_duplicate(rule_id, line, seen, report, "RuleId")
    duration = _vitam_duration(value, category, line, report)
    if len(report.issues) > before or category is None:
        return None
    return ReferentialRule(
        identifier=rule_id,
        category=category,
        label=value["RuleValue"],
        duration=duration,
        notes=value["RuleDescription"],
    )


def _vitam_category(raw: str, line: int, report: RulesReport) -> RuleCategory | None:
    try:
        return RuleCategory(raw)
    except ValueError:
        hint = next((c.value for c in RuleCategory if c.value.casefold() == raw.casefold()), None)
        advice = f" (la casse compte : {hint})" if hint else ""
        allowed = ", ".join(c.value for c in RuleCategory)
        message = f"RuleType inconnu « {raw} »{advice} ; types admis : {allowed}"
        report.add("unknown_rule_type", message, line, "RuleType")
        return None


def _vitam_duration(
    value: dict[str, str], category: RuleCategory | None, line: int, report: RulesReport
) -> Duration | None:
    raw_duration, raw_unit = value["RuleDuration"], value["RuleMeasurement"]
    if not raw_duration and not raw_unit and category is RuleCategory.HOLD:
        return None  # a hold without a set length: held until lifted
    for name, raw in (("RuleDuration", raw_duration), ("RuleMeasurement", raw_unit)):
        if not raw:
            report.add("missing_value", f"{name} est obligatoire", line, name)
    if not raw_duration or not raw_unit:
        return None
    try:
        return Duration.from_vitam(raw_duration, raw_unit)
    except InvalidDuration as exc:
        code = exc.issues[0].code
        path = "RuleMeasurement" if code == "unknown_unit" else "RuleDuration"
        message = exc.issues[0].message
        if code == "duration_too_long":  # the duration's message does not repeat the value
            message += f" (« {raw_duration} {raw_unit} »)"
        report.add(code, message, line, path)
        return None


# --- checks shared by every rules file ----------------------------------------------------------


def check_duplicate(
    identifier: str, line: int, seen: dict[str, int], report: RulesReport, column: str
) -> bool:
    """Records ``identifier``; False (and an issue) when it was already defined."""
    if identifier in seen:
        message = f"Identifiant « {identifier} » déjà défini ligne {seen[identifier]}"
        report.add("duplicate_id", message, line, column)
        return False
    if identifier:
        seen[identifier] = line
    return True


def check_in_use(seen: dict[str, int], in_use: Iterable[str], report: RulesReport) -> None:
    """``seen`` holds every identifier in the file, bad rows included: a rule whose row has an
    error is reported for that error, not as disappearing."""
    for identifier in sorted(set(in_use) - seen.keys()):
        message = f"La règle {identifier} est utilisée : l'import la ferait disparaître"
        report.add("rule_in_use", message, path=identifier)
