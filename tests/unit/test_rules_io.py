"""Import and export of retention rules (ged.services.rules_io).

Vitam's own OK/KO test files (copied into shared/rules/vitam/) are the reference for the Vitam
format: each KO file is refused with the issues its expected JSON report lists, each OK file is
accepted. They live outside the repository: the tests skip without them, and fail under CI.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from ged.domain.retention import FinalAction, RetentionRule, StartEvent
from ged.services.rules_io import parse_tableau, read_vitam_rules, write_tableau, write_vitam_csv
from kernel.errors import InvalidError, Issue
from kernel.retention import Duration, RuleCategory
from kernel.rules_referential import RulesFileRefused
from tests.fixtures.seda_corpus import vitam_rules_dir

ROOT = Path(__file__).resolve().parents[2]
TABLEAU = ROOT / "tests" / "fixtures" / "tableau_de_gestion.csv"


def refusal(data: bytes | str, **kwargs: object) -> list[Issue]:
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(RulesFileRefused) as caught:
        read_vitam_rules(io.BytesIO(raw), **kwargs)  # type: ignore[arg-type]
    assert isinstance(caught.value, InvalidError)
    return caught.value.issues


def triples(issues: list[Issue]) -> list[tuple[int | None, str | None, str]]:
    return [(i.line, i.path, i.code) for i in issues]


# --- Vitam: its own KO files -------------------------------------------------------------------

# Vitam's report codes -> ours. Vitam's WRONG_RULEDURATION covers both a negative and a
# non-numeric duration; we tell them apart.
VITAM_CODES = {
    "STP_IMPORT_RULES_WRONG_TOTALDURATION.KO": {"duration_too_long"},
    "STP_IMPORT_RULES_WRONG_RULETYPE_UNKNOW.KO": {"unknown_rule_type"},
    "STP_IMPORT_RULES_RULEID_DUPLICATION.KO": {"duplicate_id"},
    "STP_IMPORT_RULES_WRONG_RULEMEASUREMENT.KO": {"unknown_unit"},
    "STP_IMPORT_RULES_WRONG_RULEDURATION.KO": {"negative_duration", "bad_duration"},
    "STP_IMPORT_RULES_MISSING_INFORMATION.KO": {"missing_value"},
}

KO_FILES = [
    # file, Vitam's expected report, the issues we report
    (
        "jeu_donnees_KO_regles_600000_DAY.csv",  # holds 600000 YEAR despite its name
        "error_report_6000_days.json",
        [(2, "RuleDuration", "duration_too_long")],
    ),
    (
        "jeu_donnees_KO_regles_CSV_90000_YEAR.csv",
        "error_report_9000_years.json",
        [(2, "RuleDuration", "duration_too_long")],
    ),
    (
        "jeu_donnees_KO_regles_CSV_AnarchyRule.csv",
        "error_report_anarchy_rules.json",
        [(2, "RuleType", "unknown_rule_type")],
    ),
    (
        "jeu_donnees_KO_regles_CSV_Decade_Measure.csv",
        "error_report_decade_measure.json",
        [(2, "RuleMeasurement", "unknown_unit")],
    ),
    (
        "jeu_donnees_KO_regles_CSV_DuplicatedReference.csv",
        "error_report_content.json",
        [(3, "RuleId", "duplicate_id")],
    ),
    (
        "jeu_donnees_KO_regles_CSV_Negative_Duration.csv",
        "error_report_negative_duration.json",
        [(2, "RuleDuration", "negative_duration")],
    ),
    (
        # Vitam reads the shifted columns and reports four consequences (RuleType empty,
        # the description as a duration, "5" as a unit…); we report the cause once.
        "jeu_donnees_KO_regles_CSV_ReferenceWithWrongComma.csv",
        "error_report_reference_with_wrong_coma.json",
        [(3, None, "wrong_field_count")],
    ),
    (
        # Vitam adds WRONG_TOTALDURATION "UNKNOWN YEAR" as a follow-on; we report the cause.
        "jeu_donnees_KO_regles_CSV_UNKNOWN_Duration.csv",
        "error_report_unknow_duration.json",
        [(2, "RuleDuration", "bad_duration")],
    ),
    (
        "jeu_donnees_KO_regles_CSV_WrongRuleType.csv",  # rule types are case-sensitive
        None,
        [(2, "RuleType", "unknown_rule_type"), (3, "RuleType", "unknown_rule_type")],
    ),
]
CAUSE_NOT_CONSEQUENCES = {"error_report_reference_with_wrong_coma.json"}


@pytest.mark.parametrize(("name", "report", "expected"), KO_FILES, ids=[k[0] for k in KO_FILES])
def test_vitam_ko_files_are_refused_as_vitam_refuses_them(
    name: str, report: str | None, expected: list[tuple[int, str | None, str]]
) -> None:
    folder = vitam_rules_dir()
    issues = refusal((folder / name).read_bytes())
    assert triples(issues) == expected
    if report is None:
        return
    vitam = json.loads((folder / report).read_text(encoding="utf-8"))["error"]
    assert {int(key.split()[1]) for key in vitam} == {line for line, _, _ in expected}
    for key, errors in vitam.items():
        ours = [i for i in issues if i.line == int(key.split()[1])]
        matched = [e for e in errors if VITAM_CODES[e["Code"]] & {i.code for i in ours}]
        assert matched or report in CAUSE_NOT_CONSEQUENCES
        for error in matched:  # the value Vitam names is in our message too
            assert any(error["Information additionnelle"] in i.message for i in ours)


# --- Vitam: its own OK files -------------------------------------------------------------------


def read_vitam(name: str) -> list[RetentionRule]:
    with (vitam_rules_dir() / name).open("rb") as stream:
        return read_vitam_rules(stream)


OK_COUNTS = {
    RuleCategory.APPRAISAL: 5,
    RuleCategory.ACCESS: 7,
    RuleCategory.STORAGE: 4,
    RuleCategory.DISSEMINATION: 4,
    RuleCategory.REUSE: 1,
    RuleCategory.CLASSIFICATION: 1,
    RuleCategory.HOLD: 4,
}


@pytest.mark.parametrize(
    ("name", "app_00001", "app_00003"),
    [
        ("jeu_donnees_OK_regles_CSV.csv", Duration(years=80), Duration(years=10)),
        ("jeu_donnees_OK_regles_CSV_15000Jours.csv", Duration(days=15000), Duration(years=10)),
        (
            "jeu_donnees_OK_regles_CSV_unLimiTEd.csv",
            Duration.unlimited_duration(),
            Duration.unlimited_duration(),
        ),
    ],
)
def test_vitam_ok_files_are_accepted(name: str, app_00001: Duration, app_00003: Duration) -> None:
    rules = read_vitam(name)
    assert Counter(rule.category for rule in rules) == OK_COUNTS
    by_id = {rule.identifier: rule for rule in rules}
    assert len(by_id) == 26
    assert by_id["APP-00001"].duration == app_00001
    assert by_id["APP-00003"].duration == app_00003
    assert by_id["APP-00001"].label == "Dossier individuel d’agent civil"
    assert by_id["APP-00001"].notes.endswith("à partir de la date de naissance de l’agent")
    assert "\n" in by_id["APP-00001"].notes  # multi-line descriptions survive
    assert by_id["STO-00002"].duration == Duration(months=4)
    assert by_id["ACC-00005"].duration == Duration(days=100) and by_id["ACC-00005"].notes == ""
    assert by_id["HOL-00001"].duration == Duration(years=1)  # "Year": units ignore case
    assert by_id["HOL-00002"].duration is None  # a hold without a set length
    assert by_id["HOL-00004"].duration == Duration.unlimited_duration()
    assert all(rule.version == 1 and rule.start_event is None for rule in rules)


@pytest.mark.parametrize(
    "name",
    [
        "jeu_donnees_OK_regles_CSV.csv",
        "jeu_donnees_OK_regles_CSV_15000Jours.csv",
        "jeu_donnees_OK_regles_CSV_unLimiTEd.csv",
    ],
)
def test_vitam_export_round_trips(name: str) -> None:
    rules = read_vitam(name)
    out = io.BytesIO()
    write_vitam_csv(rules, out)
    assert out.getvalue().startswith(b"RuleId,RuleType,RuleValue,RuleDescription,")
    assert read_vitam_rules(io.BytesIO(out.getvalue())) == rules


# --- Vitam: refusals built from the OK file ----------------------------------------------------


def ok_text() -> str:
    return (vitam_rules_dir() / "jeu_donnees_OK_regles_CSV.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("amount_unit", "code"),
    [("600000,DAY", "duration_too_long"), ("359641,DAY", "duration_too_long")],
)
def test_vitam_limits_in_days(amount_unit: str, code: str) -> None:
    issues = refusal(ok_text().replace('",80,YEAR', f'",{amount_unit}', 1))
    assert triples(issues) == [(2, "RuleDuration", code)]


def test_vitam_day_limit_itself_is_accepted() -> None:
    rules = read_vitam_rules(io.BytesIO(ok_text().replace('",80,YEAR', '",359640,DAY').encode()))
    assert rules[0].duration == Duration(days=359640)


def test_every_bad_row_is_reported_at_once() -> None:
    text = (
        ok_text()
        .replace('",80,YEAR', '",-80,YEAR')
        .replace("ACC-00005,AccessRule", "ACC-00005,AccesRule")
        .replace("Pour test,0,MONTH", "Pour test,0,WEEK")
        .replace("STO-00004,", "STO-00001,")
    )
    assert triples(refusal(text)) == [
        (2, "RuleDuration", "negative_duration"),
        (11, "RuleType", "unknown_rule_type"),
        (12, "RuleMeasurement", "unknown_unit"),
        (17, "RuleId", "duplicate_id"),
    ]


def test_a_hold_with_a_duration_needs_its_unit() -> None:
    text = ok_text().replace('"Gel pour une durée définie d\'1 an",1,Year', '"Gel",1,')
    assert triples(refusal(text)) == [(24, "RuleMeasurement", "missing_value")]


def test_a_rule_other_than_a_hold_needs_a_duration() -> None:
    text = ok_text().replace("Pour test,0,DAY", "Pour test,,")
    assert triples(refusal(text)) == [
        (13, "RuleDuration", "missing_value"),
        (13, "RuleMeasurement", "missing_value"),
    ]


def test_rules_in_use_may_not_disappear() -> None:
    issues = refusal(ok_text(), in_use={"APP-00001", "APP-00099", "ACC-00042"})
    assert triples(issues) == [
        (None, "ACC-00042", "rule_in_use"),
        (None, "APP-00099", "rule_in_use"),
    ]


def test_rules_in_use_that_stay_are_fine() -> None:
    assert len(read_vitam_rules(io.BytesIO(ok_text().encode()), in_use={"APP-00001"})) == 26


def test_a_semicolon_file_is_refused_for_its_delimiter() -> None:
    issues = refusal("RuleId;RuleType;RuleValue;RuleDescription;RuleDuration;RuleMeasurement\n")
    assert triples(issues) == [(1, None, "wrong_delimiter")]


def test_a_missing_column_is_named() -> None:
    issues = refusal("RuleId,RuleType,RuleValue,RuleDuration,RuleMeasurement\n")
    assert triples(issues) == [(1, "RuleDescription", "missing_column")]


def test_a_file_not_in_utf8_is_refused_with_the_line() -> None:
    data = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n"
    data += "APP-1,AppraisalRule,Dossier,Durée,5,YEAR\n"
    issues = refusal(data.encode("cp1252"))
    assert triples(issues) == [(2, None, "bad_encoding")]


def test_an_unterminated_quote_is_refused() -> None:
    data = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n"
    data += 'APP-1,AppraisalRule,"Dossier,Durée,5,YEAR\n'
    assert [i.code for i in refusal(data)] == ["bad_csv"]


def test_a_text_stream_is_read_too() -> None:
    data = "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n"
    data += "APP-1,AppraisalRule,Dossier,,5,YEAR\n"
    assert read_vitam_rules(io.StringIO(data))[0].duration == Duration(years=5)


def test_a_duration_without_a_single_vitam_unit_is_not_exported() -> None:
    rule = RetentionRule("APP-1", RuleCategory.APPRAISAL, "Dossier", Duration(years=1, days=2))
    with pytest.raises(RulesFileRefused) as caught:
        write_vitam_csv([rule], io.BytesIO())
    assert triples(caught.value.issues) == [(None, "APP-1", "not_representable")]


def test_composite_months_are_exported_as_months() -> None:
    rule = RetentionRule("STO-1", RuleCategory.STORAGE, "Base", Duration(years=1, months=6))
    out = io.BytesIO()
    write_vitam_csv([rule], out)
    assert out.getvalue().decode().splitlines()[1] == "STO-1,StorageRule,Base,,18,MONTH"
    assert read_vitam_rules(io.BytesIO(out.getvalue())) == [rule]


# --- tableau de gestion ------------------------------------------------------------------------


def test_the_departmental_tableau_is_imported() -> None:
    rules = parse_tableau(TABLEAU)
    counts = Counter(rule.category for rule in rules)
    assert counts == {RuleCategory.APPRAISAL: 49, RuleCategory.ACCESS: 46}
    by_id = {rule.identifier: rule for rule in rules}
    staff = by_id["RH-01"]
    assert staff.duration == Duration(years=80)
    assert staff.start_event == StartEvent.business_event("date de naissance de l'agent")
    assert staff.final_action is FinalAction.SORT
    assert "L213-2" in staff.legal_reference
    assert by_id["RH-01-ACC"].duration == Duration(years=50)
    assert by_id["RH-01-ACC"].start_event == StartEvent.last_document()
    assert by_id["FIN-03"].duration == Duration(years=10)
    assert by_id["FIN-03"].final_action is FinalAction.DESTROY
    assert by_id["AG-01"].final_action is FinalAction.KEEP
    assert by_id["AG-08"].start_event == StartEvent.dossier_closing()
    assert "AG-08-ACC" not in by_id  # no délai given, no access rule
    assert by_id["EC-03-ACC"].duration == Duration()  # immédiat
    assert by_id["ELE-04"].duration == Duration(months=1)
    assert by_id["RH-07"].duration == Duration(months=6)


def tableau(text: str, **kwargs: object) -> list[RetentionRule]:
    return parse_tableau(io.BytesIO(text.encode()), **kwargs)  # type: ignore[arg-type]


def tableau_refusal(text: str | bytes, **kwargs: object) -> list[Issue]:
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(RulesFileRefused) as caught:
        parse_tableau(io.BytesIO(raw), **kwargs)  # type: ignore[arg-type]
    return caught.value.issues


HEADER = "Code;Intitulé;DUA;Point de départ;Sort final;Délai de communicabilité;Référence\n"


def test_common_header_spellings_title_rows_and_commas_are_accepted() -> None:
    text = (
        "Tableau de gestion de la direction des finances,,,,,\n"
        ",,,,,\n"
        "CODE,Libellé,Durée d'utilité administrative (DUA),SORT,Communicabilité,"
        "Références réglementaires,Service\n"
        "FIN-1,Budgets,10,C,immediat,CGCT,Finances\n"
    )
    [appraisal, access] = tableau(text)
    assert appraisal.identifier == "FIN-1" and appraisal.label == "Budgets"
    assert appraisal.duration == Duration(years=10)  # a bare number is years
    assert appraisal.legal_reference == "CGCT"
    assert appraisal.start_event is None  # not stated by this table
    assert access.duration == Duration()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("X-1;Dossiers;5 décennies;;C;;", [(2, "dua", "unknown_unit")]),
        ("X-1;Dossiers;-5 ans;;C;;", [(2, "dua", "negative_duration")]),
        ("X-1;Dossiers;1000 ans;;C;;", [(2, "dua", "duration_too_long")]),
        ("X-1;Dossiers;5 ans;;Z;;", [(2, "final", "unknown_final_action")]),
        ("X-1;Dossiers;5 ans;;Transfer;;", [(2, "final", "unknown_final_action")]),
        ("X-1;Dossiers;;;C;;", [(2, "dua", "missing_value")]),
        ("X-1;;5 ans;;C;;", [(2, "label", "missing_value")]),
        (";Dossiers;5 ans;;C;;", [(2, "code", "missing_value")]),
        ("X-1;Dossiers;5 ans;;C;quelques années;", [(2, "access", "bad_duration")]),
    ],
)
def test_each_bad_tableau_row_is_refused_with_its_reason(
    row: str, expected: list[tuple[int, str, str]]
) -> None:
    assert triples(tableau_refusal(HEADER + row + "\n")) == expected


def test_every_bad_tableau_row_is_listed_with_spreadsheet_line_numbers() -> None:
    text = TABLEAU.read_text(encoding="utf-8")
    text = text.replace(";80 ans;", ";80 siècles;").replace("MP-05;", "MP-04;")
    text = text.replace(";1 mois;date du scrutin;D;", ";1 mois;date du scrutin;?;")
    issues = tableau_refusal(text, in_use={"AG-01", "XX-99"})
    assert triples(issues) == [
        (21, "code", "duplicate_id"),
        (31, "dua", "unknown_unit"),
        (54, "final", "unknown_final_action"),
        (None, "XX-99", "rule_in_use"),
    ]
    assert "ligne 20" in issues[0].message  # where MP-04 was first defined


def test_a_table_without_its_required_columns_is_refused() -> None:
    issues = tableau_refusal("Code;Intitulé;Observations\nA;B;C\n")
    assert triples(issues) == [(1, "dua", "missing_column"), (1, "final", "missing_column")]


def test_a_table_without_any_header_is_refused() -> None:
    assert {i.code for i in tableau_refusal("rien à voir\n")} == {"missing_column"}


def test_a_tableau_not_in_utf8_is_refused_unless_its_encoding_is_given() -> None:
    header = "Code;Intitule;DUA;Sort final;Delai de communicabilite\n"
    data = (header + "X-1;Délibérations;10 ans;C;immédiat\n").encode("cp1252")
    assert triples(tableau_refusal(data)) == [(2, None, "bad_encoding")]
    rules = parse_tableau(io.BytesIO(data), encoding="cp1252")
    assert rules[0].label == "Délibérations"


def test_an_unknown_format_is_refused() -> None:
    issues = tableau_refusal(HEADER, format="pdf")
    assert [i.code for i in issues] == ["unsupported_format"]


@pytest.mark.parametrize("format_", ["xlsx", "ods"])
def test_a_broken_spreadsheet_is_refused(format_: str) -> None:
    issues = tableau_refusal(b"PK\x03\x04 not really a zip", format=format_)
    assert [i.code for i in issues] == ["bad_spreadsheet"]


# --- tableau export ----------------------------------------------------------------------------


def tricky_rules() -> list[RetentionRule]:
    return [
        RetentionRule(
            identifier="=SOMME(A1)",
            category=RuleCategory.APPRAISAL,
            label="- Dossiers  avec  espaces",
            duration=Duration(years=1, months=6),
            start_event=StartEvent.last_document(),
            final_action=FinalAction.SORT,
            legal_reference="@ référence",
            notes="première ligne\nseconde ligne ; avec « guillemets »",
        ),
        RetentionRule(
            identifier="=SOMME(A1)-ACC",
            category=RuleCategory.ACCESS,
            label="- Dossiers  avec  espaces",
            duration=Duration.unlimited_duration(),
            start_event=StartEvent.last_document(),
            legal_reference="@ référence",  # a tableau's row gives both rules its reference
        ),
        RetentionRule(
            identifier="B-2",
            category=RuleCategory.APPRAISAL,
            label="Registres",
            duration=Duration(days=45),
            final_action=FinalAction.KEEP,
        ),
    ]


@pytest.mark.parametrize("format_", ["csv", "xlsx", "ods"])
def test_the_departmental_tableau_round_trips(format_: str) -> None:
    rules = parse_tableau(TABLEAU)
    out = io.BytesIO()
    write_tableau(rules, out, format_)  # type: ignore[arg-type]
    assert parse_tableau(io.BytesIO(out.getvalue()), format_) == rules  # type: ignore[arg-type]


@pytest.mark.parametrize("format_", ["csv", "xlsx", "ods"])
def test_awkward_values_round_trip(format_: str) -> None:
    rules = tricky_rules()
    out = io.BytesIO()
    write_tableau(rules, out, format_)  # type: ignore[arg-type]
    assert parse_tableau(io.BytesIO(out.getvalue()), format_) == rules  # type: ignore[arg-type]


def test_a_spreadsheet_is_read_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "tableau.xlsx"
    with path.open("wb") as stream:
        write_tableau(tricky_rules(), stream, "xlsx")
    assert parse_tableau(path, "xlsx") == tricky_rules()


def test_csv_export_is_for_french_spreadsheets_and_defuses_formulas() -> None:
    out = io.BytesIO()
    write_tableau(tricky_rules(), out, "csv")
    text = out.getvalue().decode("utf-8")
    assert text.startswith("\ufeffCode;Intitulé;DUA;")
    assert "\n'=SOMME(A1);'- Dossiers" in text


def test_ods_export_is_a_well_formed_package() -> None:
    out = io.BytesIO()
    write_tableau(tricky_rules(), out, "ods")
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert "META-INF/manifest.xml" in archive.namelist()


def test_rules_that_have_no_place_in_a_tableau_are_refused() -> None:
    rules = [
        *tricky_rules(),
        RetentionRule("STO-1", RuleCategory.STORAGE, "Base", Duration(years=1)),
        RetentionRule("ACC-9", RuleCategory.ACCESS, "Libre", Duration()),
    ]
    with pytest.raises(RulesFileRefused) as caught:
        write_tableau(rules, io.BytesIO(), "csv")
    assert triples(caught.value.issues) == [
        (None, "STO-1", "not_in_tableau"),
        (None, "ACC-9", "not_in_tableau"),
    ]


def test_an_unknown_export_format_is_refused() -> None:
    with pytest.raises(RulesFileRefused):
        write_tableau(tricky_rules(), io.BytesIO(), "pdf")  # type: ignore[arg-type]


def test_an_unreadable_duration_is_quoted_once_in_its_reason() -> None:
    [issue] = tableau_refusal(HEADER + "AG-1;Courrier;dix ans;clôture du dossier;détruire;;\n")
    assert issue.message.count("« dix ans »") == 1, issue.message
