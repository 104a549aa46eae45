"""Disk import (`seda build DIR`): metadata from metadata.csv and side files over the file system."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from seda.cli import seda_group
from seda.disk_import import DiskImport, transfer_from_directory
from seda.errors import MetadataInvalid
from seda.model import ArchiveUnit
from seda.reader import read_transfer
from seda.sip import write_sip
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion


def _build(root: Path, version: SedaVersion = SedaVersion.V2_3) -> DiskImport:
    return transfer_from_directory(
        root, version, message_identifier="M", archival_agency="AA", transferring_agency="TA"
    )


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "versement"
    (root / "dossier").mkdir(parents=True)
    (root / "dossier" / "rapport.pdf").write_bytes(b"%PDF-1.4 rapport")
    (root / "dossier" / "note.txt").write_text("note")
    (root / "lettre.txt").write_text("lettre")
    return root


def _units(sip: Path) -> dict[str, ArchiveUnit]:
    with zipfile.ZipFile(sip) as archive:
        data = archive.read("manifest.xml")
    manifest = sip.with_suffix(".xml")
    manifest.write_bytes(data)
    transfer = read_transfer(lambda: manifest.open("rb"))
    found: dict[str, ArchiveUnit] = {}
    stack = list(transfer.units)
    while stack:
        unit = stack.pop()
        found[unit.content.titles[0] if unit.content.titles else unit.id] = unit
        stack.extend(unit.children)
    return found


def test_csv_and_side_files_give_the_metadata(tmp_path: Path, schema_dir: Path) -> None:
    root = _tree(tmp_path)
    (root / "metadata.csv").write_text(
        "\ufeffFile;Title;Description;DescriptionLevel;StartDate;EndDate;Tag;Tag\n"
        ".;Versement 2024;;Fonds;;;;\n"
        "dossier/rapport.pdf;Rapport annuel;Le rapport;Item;2023-01-01;2023-12-31;rh;budget\n"
        "dossier;Dossier RH;;File;;;;\n",
        encoding="utf-8",
    )
    (root / "lettre.txt.metadata.json").write_text(
        '{"Title": ["Lettre au préfet"], "OriginatingAgencyArchiveUnitIdentifier": "L-42"}'
    )
    (root / "dossier" / "__metadata.xml").write_text(
        "<Content><DescriptionLevel>Series</DescriptionLevel>"
        '<Title xml:lang="fr">Dossier du personnel</Title></Content>'
    )
    built = _build(root)
    sip = tmp_path / "sip.zip"
    write_sip(sip, built.transfer, built.members)
    assert (built.units, len(built.members), built.metadata_rows, built.side_files) == (5, 3, 3, 2)
    report = validate_path(sip, ValidationOptions(schema_dir=schema_dir))
    assert report.valid, report.issues
    units = _units(sip)
    rapport = units["Rapport annuel"].content
    assert (rapport.descriptions, rapport.start_date, rapport.end_date) == (
        ("Le rapport",),
        "2023-01-01",
        "2023-12-31",
    )
    assert [r.xml.count(b"<Tag") for r in rapport.extra] == [1, 1]
    assert units["Versement 2024"].content.description_level == "Fonds"
    lettre = units["Lettre au préfet"].content
    assert lettre.originating_agency_archive_unit_identifiers == ("L-42",)
    assert lettre.description_level == "Item"
    dossier = next(u for u in units.values() if u.id == "AU_1").content
    assert dossier.description_level == "Series"  # the XML side file wins over the CSV row
    assert any(b'xml:lang="fr"' in r.xml for r in dossier.extra)
    with zipfile.ZipFile(sip) as archive:
        assert not any("metadata" in n for n in archive.namelist())


def test_file_system_defaults_without_metadata(tmp_path: Path) -> None:
    built = _build(_tree(tmp_path))
    root = next(iter(built.transfer.units))
    assert root.content.titles == ("versement",) and root.content.description_level == "Fonds"
    leaf = root.children[1]
    assert leaf.content.titles == ("lettre.txt",) and leaf.content.start_date is not None
    assert (built.metadata_rows, built.side_files) == (0, 0)


@pytest.mark.parametrize(
    ("csv_text", "expected"),
    [
        ("File,Titre\nlettre.txt,x\n", "colonne(s) inconnue(s) Titre"),
        ("File,StartDate\nlettre.txt,hier\n", "date illisible"),
        ("File,Title\nabsent.txt,x\n", "absent(s) de l'arborescence"),
        ("File,Title\nlettre.txt,x\n./lettre.txt,y\n", "chemin en double"),
        ("Title\nx\n", "colonne File absente"),
    ],
)
def test_unusable_csv_is_refused(tmp_path: Path, csv_text: str, expected: str) -> None:
    root = _tree(tmp_path)
    (root / "metadata.csv").write_text(csv_text)
    with pytest.raises(MetadataInvalid, match=expected.replace("(", r"\(").replace(")", r"\)")):
        _build(root)


def test_unusable_side_files_are_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    side = root / "lettre.txt.metadata.json"
    for text in ('["x"]', '{"Title": 3}', "{oops"):
        side.write_text(text)
        with pytest.raises(MetadataInvalid):
            _build(root)
    side.unlink()
    hostile = root / "dossier" / "__metadata.xml"
    hostile.write_text('<!DOCTYPE c [<!ENTITY x "y">]><Content><Title>&x;</Title></Content>')
    with pytest.raises(MetadataInvalid, match="illisible"):
        _build(root)


def test_cli_prints_a_summary_and_refuses_bad_metadata(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    (root / "metadata.csv").write_text("File,Title\nlettre.txt,Lettre\n")
    sip = tmp_path / "out.zip"
    runner = CliRunner()
    done = runner.invoke(seda_group, ["build", str(root), "--out", str(sip)])
    assert done.exit_code == 0, done.output
    assert "5 unité(s) d'archives, 3 fichier(s)" in done.output
    assert "1 ligne(s) de metadata.csv" in done.output
    (root / "metadata.csv").write_text("File,Title\nnulle-part.txt,x\n")
    refused = runner.invoke(seda_group, ["build", str(root), "--out", str(tmp_path / "b.zip")])
    assert refused.exit_code == 1 and "metadata_invalid" in refused.output
    assert not (tmp_path / "b.zip").exists()
    (root / "metadata.csv").write_text("File,Title\nlettre.txt,bell \x07\n")  # not XML text
    refused = runner.invoke(seda_group, ["build", str(root), "--out", str(tmp_path / "c.zip")])
    assert refused.exit_code == 1 and "xml_invalid_character" in refused.output
    assert sorted(p.name for p in tmp_path.glob("*.zip*")) == ["out.zip"]
