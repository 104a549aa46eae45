"""`gedsae seda build` for SEDA 1.0 SIPs and for exchange messages described in JSON, checked by
`gedsae seda validate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from seda.cli import seda_group

REQUEST = {
    "message": "ArchiveDeliveryRequest",
    "message_identifier": "COM-2024-7",
    "date": "2024-06-03T14:30:00+02:00",
    "archival_agency": "FRAD035",
    "requester": "FR_DF",
    "unit_identifiers": ["AD35_2024_160"],
    "derogation": True,
    "comments": ["Demande du service juridique"],
}


def _validate(path: Path, schema_dir: Path) -> dict[str, object]:
    args = ["validate", str(path), "--schemas-dir", str(schema_dir), "--format", "json"]
    result = CliRunner().invoke(seda_group, args)
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.output)
    return report


def test_a_folder_becomes_a_valid_seda_1_0_sip(tmp_path: Path, schema_dir: Path) -> None:
    tree = tmp_path / "tree" / "dossier"
    tree.mkdir(parents=True)
    (tree / "note.txt").write_text("bonjour")
    (tree / "rapport.pdf").write_bytes(b"%PDF-1.4 rapport")
    sip = tmp_path / "sip.zip"
    args = ["build", str(tmp_path / "tree"), "--out", str(sip), "--version", "1.0"]
    args += ["--access-code", "AR038", "--schemas-dir", str(schema_dir)]
    built = CliRunner().invoke(seda_group, args)
    assert built.exit_code == 0, built.output
    report = _validate(sip, schema_dir)
    assert (report["version"], report["message_type"]) == ("1.0", "ArchiveTransfer")


def test_a_seda_1_0_sip_needs_an_access_code_and_none_is_left(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("a")
    sip = tmp_path / "sip.zip"
    result = CliRunner().invoke(
        seda_group, ["build", str(tree), "--out", str(sip), "--version", "1.0"]
    )
    assert result.exit_code == 1 and "seda_value_missing" in result.output
    assert not sip.exists() and not sip.with_name("sip.zip.part").exists()


@pytest.mark.parametrize("version", ["1.0", "2.1", "2.2", "2.3"])
def test_a_message_described_in_json_is_built_valid(
    version: str, tmp_path: Path, schema_dir: Path
) -> None:
    source = tmp_path / "demande.json"
    source.write_text(json.dumps(REQUEST), encoding="utf-8")
    out = tmp_path / "demande.xml"
    args = ["build", str(source), "--out", str(out), "--version", version]
    built = CliRunner().invoke(seda_group, args)
    assert built.exit_code == 0, built.output
    assert f"SEDA {version}, ArchiveDeliveryRequest" in built.output
    report = _validate(out, schema_dir)
    assert (report["version"], report["message_type"]) == (version, "ArchiveDeliveryRequest")


def test_a_wrong_description_lists_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "demande.json"
    wrong = {**REQUEST, "date": "hier", "derogation": "oui", "colour": "bleu"}
    del wrong["requester"]
    source.write_text(json.dumps(wrong), encoding="utf-8")
    out = tmp_path / "demande.xml"
    result = CliRunner().invoke(seda_group, ["build", str(source), "--out", str(out)])
    assert result.exit_code == 1
    assert "seda_message_description_invalid" in result.output
    for problem in (
        ".date",
        ".derogation",
        ".colour : champ inconnu",
        ".requester : valeur requise",
    ):
        assert problem in result.output
    assert not out.exists()
