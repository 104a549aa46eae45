"""Referentials of the repository: Vitam's agencies and rules CSV files, and the manifest check."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.retention import RuleCategory
from kernel.rules_referential import RulesFileRefused
from sae.ingest.manifest import ManifestFacts, Occurrence
from sae.ingest.referential import (
    AgenciesFileRefused,
    parse_agencies,
    parse_rules,
    referential_issues,
)
from sae.model import Referential
from tests.fixtures.seda_corpus import vitam_rules_dir

ROOT = Path(__file__).resolve().parents[2]


def vitam_rules(name: str) -> Path:
    return vitam_rules_dir() / name


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agencies.csv"
    path.write_bytes(text.encode())
    return path


def test_agencies_csv_gives_the_identifiers(tmp_path: Path) -> None:
    csv = '\ufeffIdentifier,Name,Description\nAG-1,Archives,"Service, central"\n\nAG-2,Mairie,\n'
    assert parse_agencies(write(tmp_path, csv).read_bytes()) == {"AG-1", "AG-2"}


def test_agencies_csv_without_description_column_is_read(tmp_path: Path) -> None:
    assert parse_agencies(write(tmp_path, "Name,Identifier\nArchives,AG-1\n").read_bytes()) == {
        "AG-1"
    }


def test_every_bad_agency_row_is_reported_at_once(tmp_path: Path) -> None:
    csv = "Identifier,Name,Description\nAG-1,Archives,\nAG-1,Doublon,\n,Sans identifiant,\nAG-3\n"
    with pytest.raises(AgenciesFileRefused) as refused:
        parse_agencies(write(tmp_path, csv).read_bytes())
    found = [(i.code, i.line, i.path) for i in refused.value.issues]
    assert found == [
        ("duplicate_id", 3, "Identifier"),
        ("missing_value", 4, "Identifier"),
        ("wrong_field_count", 5, None),
    ]


def test_agencies_csv_without_its_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AgenciesFileRefused) as refused:
        parse_agencies(write(tmp_path, "Id;Nom\nAG-1;Archives\n").read_bytes())
    assert [(i.code, i.path) for i in refused.value.issues] == [
        ("missing_column", "Identifier"),
        ("missing_column", "Name"),
    ]


def test_agencies_csv_not_in_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "agencies.csv"
    path.write_bytes("Identifier,Name\nAG-1,Archives départementales\n".encode("latin-1"))
    with pytest.raises(AgenciesFileRefused) as refused:
        parse_agencies(path.read_bytes())
    assert [(i.code, i.line) for i in refused.value.issues] == [("bad_encoding", 2)]


def test_vitam_rules_referential_gives_ids_and_categories() -> None:
    rules = parse_rules(vitam_rules("jeu_donnees_OK_regles_CSV.csv").read_bytes())
    assert rules["APP-00001"] is RuleCategory.APPRAISAL
    assert rules["HOL-00004"] is RuleCategory.HOLD
    assert {category.value for category in rules.values()} == {
        "AppraisalRule",
        "AccessRule",
        "StorageRule",
        "DisseminationRule",
        "ReuseRule",
        "ClassificationRule",
        "HoldRule",
    }


def test_vitam_ko_rules_file_is_refused_as_vitam_refuses_it() -> None:
    with pytest.raises(RulesFileRefused) as refused:
        parse_rules(vitam_rules("jeu_donnees_KO_regles_CSV_DuplicatedReference.csv").read_bytes())
    assert {i.code for i in refused.value.issues} == {"duplicate_id"}


def facts() -> ManifestFacts:
    return ManifestFacts(
        agencies={
            "ARCH": Occurrence(None, "/ArchiveTransfer/ArchivalAgency/Identifier", 30),
            "SERVICE-X": Occurrence("AU_4", "//ArchiveUnit[@id='AU_4']/Content/x", 12, 3),
        },
        rules={("AccessRule", "ACC-9"): Occurrence("AU_2", "//ArchiveUnit[@id='AU_2']/r", 7)},
    )


def test_unknown_agency_names_its_first_unit_and_counts_the_others() -> None:
    referential = Referential(agencies=frozenset({"SERVICE-A"}))
    issues = referential_issues(facts(), referential, "ARCH")
    assert [(i.code, i.line, i.path) for i in issues] == [
        ("unknown_agency", 12, "//ArchiveUnit[@id='AU_4']/Content/x")
    ]
    assert issues[0].blocking
    assert "SERVICE-X" in issues[0].message
    assert "unité AU_4" in issues[0].message
    assert "2 autre(s)" in issues[0].message


def test_organisation_without_referential_is_not_checked() -> None:
    assert referential_issues(facts(), None, "ARCH") == []


def test_referential_without_rules_checks_only_agencies() -> None:
    referential = Referential(agencies=frozenset({"SERVICE-X"}))
    assert referential_issues(facts(), referential, "ARCH") == []
    with_rules = Referential(rules={"ACC-1": RuleCategory.ACCESS})
    assert [i.code for i in referential_issues(facts(), with_rules, "ARCH")] == ["unknown_rule"]
