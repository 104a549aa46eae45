"""``gedsae import --profile actes PATH``: a TdT export imported once, a refused one listed
problem by problem in French with exit code 1, a plain file refused without ``--profile``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ged.cli import main
from tests.fixtures.inbound_samples import ActeSample, tar_gz_bytes, write_file, write_folder
from tests.fixtures.processes import INIT


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "instance"
    monkeypatch.setenv("GEDSAE_HOME", str(root))
    monkeypatch.setenv("GEDSAE_EXTRACTION_WORKERS", "1")
    gedsae(*INIT)
    gedsae("services", "create", "Assemblées", "FR_ASS")
    return root


def gedsae(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_an_acte_is_imported_then_recognised(home: Path, tmp_path: Path) -> None:
    sample = ActeSample()
    archive = write_file(tmp_path / "transaction.tar.gz", tar_gz_bytes(sample.files()))

    first = gedsae("import", "--profile", "actes", str(archive), "--service", "FR_ASS")
    again = gedsae("import", "--profile", "actes", str(archive), "--service", "FR_ASS")

    assert f"Acte {sample.id_acte} importé : dossier" in first
    assert "accuse_reception" in first and sample.acte_file in first
    assert f"Acte {sample.id_acte} déjà importé le" in again and "rien de nouveau" in again


def test_a_refused_acte_lists_every_problem_in_french(home: Path, tmp_path: Path) -> None:
    sample = ActeSample(nature_code="9", letters="ZZ")
    files = sample.files()
    del files[f"{sample.id_acte}-1-2.xml"]

    out = gedsae(
        "import",
        "--profile",
        "actes",
        str(write_folder(tmp_path / "x", files)),
        "--service",
        "FR_ASS",
        code=1,
    )

    assert "inbound_refused: Import refusé (acte)" in out and "rien n'a été enregistré" in out
    assert "actes_unknown_nature" in out and "nature d'acte inconnue" in out
    assert "actes_acknowledgement_missing" in out and "accusé de réception" in out


def test_a_file_without_profile_is_a_usage_error(home: Path, tmp_path: Path) -> None:
    archive = write_file(tmp_path / "transaction.tar.gz", b"not a folder")

    out = gedsae("import", str(archive), "--service", "FR_ASS", code=2)

    assert "n'est pas un dossier" in out
