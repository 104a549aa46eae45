"""`seda validate` and `seda build` through click's CliRunner."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from click.testing import CliRunner

from seda.cli import seda_group


def test_build_then_validate(tmp_path: Path, schema_dir: Path) -> None:
    tree = tmp_path / "tree" / "dossier"
    tree.mkdir(parents=True)
    (tree / "note.txt").write_text("bonjour")
    sip = tmp_path / "sip.zip"
    runner = CliRunner()
    built = runner.invoke(
        seda_group, ["build", str(tmp_path / "tree"), "--out", str(sip), "--version", "2.1"]
    )
    assert built.exit_code == 0, built.output
    checked = runner.invoke(
        seda_group, ["validate", str(sip), "--schemas-dir", str(schema_dir), "--format", "json"]
    )
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["version"] == "2.1"


def test_exit_codes_for_invalid_and_hostile_input(
    tmp_path: Path, schema_dir: Path, samples_dir: Path
) -> None:
    runner = CliRunner()
    invalid = samples_dir / "sedatools/seda2_1ArchiveTransfer.xml"
    result = runner.invoke(seda_group, ["validate", str(invalid), "--schemas-dir", str(schema_dir)])
    assert result.exit_code == 1 and "xsd_invalid" in result.output
    hostile = tmp_path / "x.xml"
    hostile.write_text('<!DOCTYPE a [<!ENTITY x "y">]><a/>')
    result = runner.invoke(seda_group, ["validate", str(hostile), "--schemas-dir", str(schema_dir)])
    assert result.exit_code == 2 and "xml_dtd_forbidden" in result.output


def test_profile_option_applies_the_relax_ng_profile(schema_dir: Path, samples_dir: Path) -> None:
    pastis = samples_dir / "vitam-ui/pastis"
    args = ["--schemas-dir", str(schema_dir), "--profile", str(pastis / "rngProfile.rng")]
    ok = CliRunner().invoke(seda_group, ["validate", str(pastis / "manifestOK.xml"), *args])
    nok = CliRunner().invoke(seda_group, ["validate", str(pastis / "manifestNOK.xml"), *args])
    assert ok.exit_code == 0, ok.output
    assert nok.exit_code == 1 and "profile_invalid" in nok.output


def test_size_mismatch_option_makes_a_wrong_size_blocking(tmp_path: Path, schema_dir: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("abc")
    sip = tmp_path / "sip.zip"
    runner = CliRunner()
    assert runner.invoke(seda_group, ["build", str(tree), "--out", str(sip)]).exit_code == 0
    with zipfile.ZipFile(sip) as archive:
        manifest = archive.read("manifest.xml").replace(b"<Size>3</Size>", b"<Size>4</Size>")
        members = [(n, archive.read(n)) for n in archive.namelist() if n != "manifest.xml"]
    with zipfile.ZipFile(sip, "w") as archive:
        archive.writestr("manifest.xml", manifest)
        for name, data in members:
            archive.writestr(name, data)
    base = ["validate", str(sip), "--schemas-dir", str(schema_dir)]
    warned = runner.invoke(seda_group, base)
    refused = runner.invoke(seda_group, [*base, "--size-mismatch", "error"])
    assert warned.exit_code == 0 and "WARNING package_size_mismatch" in warned.output
    assert refused.exit_code == 1 and "ERROR package_size_mismatch" in refused.output
