"""Conformance on the corpus: official-XSD verdicts and digest results agree with results.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seda.validate import ALL_VERSIONS, ValidationOptions, validate_path

SUPPORTED = {v.value for v in ALL_VERSIONS}
LARGE = {"vitam/test-perf-ingest/SIP_10000_100.zip", "vitam/test-perf-ingest/SIP-1000-102400.zip"}
PACKAGE_FAILURES = {"package_digest_mismatch", "package_file_missing"}


def _records(samples_dir: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((samples_dir / "results.json").read_text())
    return [r for r in data if r["kind"] in ("xml", "zip", "tar")]


def _xsd_disagreements(
    samples_dir: Path, schema_dir: Path, records: list[dict[str, Any]]
) -> list[str]:
    options = ValidationOptions(schema_dir=schema_dir, seda_versions=ALL_VERSIONS)
    wrong = []
    for record in records:
        version = record.get("seda_version")
        if version not in SUPPORTED:
            continue
        recorded = record["validation"].get(version)
        if recorded is None:
            wrong.append(f"{record['file']}: aucun verdict enregistré pour SEDA {version}")
            continue
        expected = recorded == "valid"
        report = validate_path(samples_dir / record["file"], options)
        ours = report.version == version and not any(
            i.code.startswith(("xsd_", "xml_", "sip_")) for i in report.issues
        )
        if ours != expected:
            wrong.append(f"{record['file']}: attendu {expected}, obtenu {sorted(report.codes())}")
    return wrong


def test_official_xsd_verdicts_match_the_recorded_ones(samples_dir: Path, schema_dir: Path) -> None:
    records = [r for r in _records(samples_dir) if r["file"] not in LARGE]
    unsafe = {r["file"] for r in records if r.get("unsafe_member_names")}
    checked = [r for r in records if r["file"] not in unsafe]
    assert len(checked) > 90
    assert _xsd_disagreements(samples_dir, schema_dir, checked) == []


@pytest.mark.slow
def test_large_corpus_packages_are_valid(samples_dir: Path, schema_dir: Path) -> None:
    records = [r for r in _records(samples_dir) if r["file"] in LARGE]
    assert _xsd_disagreements(samples_dir, schema_dir, records) == []


def _package_failed(record: dict[str, Any]) -> bool:
    digest = record["digest"]
    return bool(digest["mismatch"] or digest["missing_file"])


def test_digest_checks_agree_with_the_recorded_results(samples_dir: Path, schema_dir: Path) -> None:
    options = ValidationOptions(schema_dir=schema_dir)
    packages = [r for r in _records(samples_dir) if r.get("digest") and r["file"] not in LARGE]
    failing = []
    for record in packages:
        codes = validate_path(samples_dir / record["file"], options).codes()
        if record.get("unsafe_member_names"):
            assert "sip_unsafe_path" in codes, record["file"]
            continue
        if _package_failed(record) != bool(codes & PACKAGE_FAILURES):
            failing.append(f"{record['file']}: {sorted(codes)}")
    assert failing == []
    deliberate_ko = [r["file"] for r in packages if _package_failed(r)]
    assert len(deliberate_ko) == 5


def test_xsd_errors_carry_line_and_path(samples_dir: Path, schema_dir: Path) -> None:
    report = validate_path(
        samples_dir / "sedatools/seda2_1ArchiveTransfer.xml",
        ValidationOptions(schema_dir=schema_dir),
    )
    xsd = [i for i in report.issues if i.code == "xsd_invalid"]
    assert xsd and xsd[0].line == 304
    assert xsd[0].xpath is not None and "TextContent" in xsd[0].message
    assert "{fr:gouv" not in xsd[0].message


def test_vitam_schema_set_accepts_vitam_extensions(samples_dir: Path, corpus_xsd_dir: Path) -> None:
    sample = samples_dir / "vitam/integration-test/integration-processing/SIP_OK_HoldRules.zip"
    official = validate_path(sample, ValidationOptions(schema_dir=corpus_xsd_dir))
    vitam = validate_path(sample, ValidationOptions(schema_dir=corpus_xsd_dir, schema_set="vitam"))
    assert "xsd_invalid" in official.codes()
    assert vitam.valid, vitam.issues
