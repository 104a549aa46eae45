"""The gedsae command line on a fresh home: init, services, import, search, get, log verify."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ged.cli import main
from tests.fixtures.processes import INIT


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "instance"
    monkeypatch.setenv("GEDSAE_HOME", str(root))
    monkeypatch.setenv("GEDSAE_EXTRACTION_WORKERS", "1")
    return root


def gedsae(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_full_cycle(home: Path, tmp_path: Path) -> None:
    gedsae("status", "--quiet", code=3)
    out = gedsae(*INIT)
    token = out.strip().splitlines()[-1]
    assert token.startswith("gst_")
    assert "gst_" not in gedsae(*INIT)  # the token is printed once only
    gedsae("status", "--quiet")
    gedsae("services", "create", "Direction des finances", "FR_DF")
    tree = tmp_path / "versement"
    (tree / "2026" / "budget").mkdir(parents=True)
    (tree / "2026" / "budget" / "note.txt").write_text(
        "note de synthèse budgétaire", encoding="utf-8"
    )
    (tree / "2026" / "vide.txt").write_bytes(b"")
    (tree / "lien").symlink_to(tree / "2026" / "vide.txt")
    out = gedsae("import", str(tree), "--service", "FR_DF")
    assert "2 fichiers déposés" in out and "1 fichiers ignorés" in out and "lien" in out
    assert "2 documents indexés" in out
    found = gedsae("search", "budgetaire", "--json")
    assert '"title": "note.txt"' in found
    doc_id = found.split('"id": "')[1].split('"')[0]
    target = tmp_path / "copie.txt"
    gedsae("get", doc_id, "--out", str(target))
    assert (
        hashlib.sha256(target.read_bytes()).digest()
        == hashlib.sha256("note de synthèse budgétaire".encode()).digest()
    )
    assert "Journal intègre" in gedsae("log", "verify")


def test_an_import_without_processing_is_indexed_by_the_next_import(
    home: Path, tmp_path: Path
) -> None:
    gedsae(*INIT)
    gedsae("services", "create", "Direction des finances", "FR_DF")
    tree = tmp_path / "versement"
    tree.mkdir()
    (tree / "note.txt").write_text("note de synthèse budgétaire", encoding="utf-8")

    out = gedsae("import", str(tree), "--service", "FR_DF", "--no-process")

    assert "1 fichiers déposés" in out and "indexés" not in out
    assert "1 versions à identifier et indexer" in out
    assert "note.txt" not in gedsae("search", "budgetaire")
    later = tmp_path / "vide"
    later.mkdir()
    out = gedsae("import", str(later), "--service", "FR_DF")
    assert "0 fichiers déposés" in out and "1 documents indexés" in out
    assert "note.txt" in gedsae("search", "budgetaire")


def test_log_verify_names_the_tampered_entry(home: Path) -> None:
    gedsae(*INIT)
    gedsae("services", "create", "Archives", "FR_AR")
    with sqlite3.connect(home / "gedsae.db") as db:
        db.execute("UPDATE oplog SET details = '{}' WHERE seq = 2")
    result = CliRunner().invoke(main, ["log", "verify"])
    assert result.exit_code == 1
    assert "entrée 2" in result.output


def test_errors_map_to_exit_codes(home: Path) -> None:
    gedsae(*INIT)
    gedsae("services", "create", "Archives", "FR_AR")
    out = gedsae("services", "create", "Archives bis", "FR_AR", code=4)
    assert "service_exists" in out
    gedsae("get", "00000000-0000-0000-0000-000000000000", "--out", "/dev/null", code=3)


def test_transfers_prepare_builds_a_sip(home: Path, tmp_path: Path) -> None:
    gedsae(*INIT)
    gedsae("services", "create", "Direction des finances", "FR_DF")
    tree = tmp_path / "versement" / "marche-2019"
    tree.mkdir(parents=True)
    (tree / "offre.txt").write_text("offre retenue", encoding="utf-8")
    gedsae("import", str(tree.parent), "--service", "FR_DF", "--no-process")
    with sqlite3.connect(home / "gedsae.db") as db:
        dossier_id = db.execute("SELECT id FROM dossiers WHERE title = 'marche-2019'").fetchone()[0]
    sip = tmp_path / "sip.zip"
    out = gedsae(
        "transfers", "prepare", dossier_id, "--out", str(sip),
        "--archival-agency", "FR_AD", "--transferring-agency", "FR_DF",
    )  # fmt: skip
    assert "1 objets" in out and "MessageIdentifier GEDSAE-" in out and sip.exists()
    sip.unlink()
    refused = gedsae(
        "transfers", "prepare", dossier_id, "--out", str(sip), "--version", "1.0",
        "--archival-agency", "FR_AD", "--transferring-agency", "FR_DF", code=1,
    )  # fmt: skip
    # SEDA 1.0 requires an access rule per archive: named, and nothing written
    assert "seda1_access_rule_missing" in refused and "sans règle de communicabilité" in refused
    assert not sip.exists()
