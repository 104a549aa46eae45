"""``gedsae transfers send AGREEMENT --due`` sends every due dossier that may leave and names
each one it cannot send, with why, in French; its exit code says that some were left."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from ged.bootstrap import build_context
from ged.cli import main
from ged.config import load_settings
from ged.domain.model import Metadata
from ged.services import documents
from tests.fixtures.french import raw_codes_in
from tests.fixtures.processes import INIT, ORGANISATION, gedsae_run

TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"


def cli(env: dict[str, str], *args: str) -> str:
    """A setting-up step, in this process."""
    done = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.stdout


def config(tmp_path: Path) -> str:
    """A drop folder, and an agreement covering the finances only."""
    outbox, replies = tmp_path / "outbox", tmp_path / "replies"
    outbox.mkdir()
    replies.mkdir()
    return (
        f'[connectors.depot]\nkind = "drop_folder"\noutbox_dir = "{outbox}"\n'
        f'replies_dir = "{replies}"\n\n'
        '[agreements.finances]\nconnector = "depot"\nseda_version = "2.2"\n'
        'archival_agency = "FR_AD_35"\ntransferring_agency = "FR_DF"\n'
        f'organisation = "{ORGANISATION}"\nservices = ["FR_DF"]\n'
    )


def due_dossier(env: dict[str, str], title: str, service: str, plan: str) -> str:
    """Closed in 2010 with its séance recorded, one document: due today under ``plan``."""
    dossier = cli(env, "dossiers", "create", title, "--service", service, "--plan", plan,
                  "--opened-on", "2010-01-01").strip()  # fmt: skip
    ctx = build_context(load_settings(Path(env["GEDSAE_HOME"])))
    try:
        with ctx.uow() as uow:
            org = uow.repo.list_organisations()[0]
            admin = uow.repo.find_principal(org.id, "admin")
        assert admin is not None
        documents.file_document(
            ctx, admin, dossier, io.BytesIO(title.encode()), filename="registre.txt",
            metadata=Metadata(title="registre"), mime_type="text/plain",
        )  # fmt: skip
    finally:
        ctx.close()
    cli(env, "dossiers", "close", dossier, "--on", "2010-12-31")
    cli(env, "events", "record", dossier, "Clôture de la table", "--on", "2010-12-31")
    cli(env, "events", "record", dossier, "date de la séance", "--on", "2010-06-01")
    return dossier


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {"GEDSAE_HOME": str(tmp_path / "home"), "GEDSAE_EXTRACTION_WORKERS": "1"}
    cli(env, *INIT)
    (tmp_path / "home" / "config.toml").write_text(config(tmp_path), encoding="utf-8")
    cli(env, "services", "create", "Direction des finances", "FR_DF")
    cli(env, "services", "create", "Ressources humaines", "FR_RH")
    cli(env, "rules", "import", str(TABLEAU))
    for code, rule in (("EC", "EC-04"), ("SEANCES", "AG-05")):  # kept; sorted (tri)
        cli(env, "plan", "create", code, code)
        cli(env, "rules", "bind", "plan_node", code, rule)
    return env


def test_send_due_sends_what_may_leave_and_names_each_dossier_left_and_why(
    env: dict[str, str], tmp_path: Path
) -> None:
    leaving = due_dossier(env, "Tables décennales 2001-2010", "FR_DF", "EC")
    held = due_dossier(env, "Tables décennales 1991-2000", "FR_DF", "EC")
    elsewhere = due_dossier(env, "Registres du personnel", "FR_RH", "EC")
    undecided = due_dossier(env, "Préparation des séances", "FR_DF", "SEANCES")
    cli(env, "lifecycle", "run")
    cli(env, "holds", "place", held, "--reason", "recours contentieux")

    done = gedsae_run(env, "transfers", "send", "finances", "--due")
    assert done.returncode == 4, done.stdout + done.stderr
    shown = done.stdout
    assert raw_codes_in(shown) == set(), shown
    assert ": envoyé" in shown.splitlines()[0]
    assert f"  1 dossier : {leaving}" in shown
    assert "3 dossiers échus laissés :" in shown
    lines = {line.split(" « ")[0].strip("- ").strip(): line for line in shown.splitlines()}
    assert "« Tables décennales 1991-2000 » : gelé depuis le " in lines[held]
    assert lines[held].endswith("(recours contentieux)")
    assert "service FR_RH hors de l'accord finances (services couverts : FR_DF)" in lines[elsewhere]
    assert "« tri » : la décision d'un archiviste est attendue" in lines[undecided]
    assert len(list((tmp_path / "outbox").glob("*.zip"))) == 1

    again = gedsae_run(env, "transfers", "send", "finances", "--due")
    assert again.returncode == 4
    assert again.stdout.startswith("Aucun versement : aucun dossier échu ne peut partir.")
    assert all(d in again.stdout for d in (held, elsewhere, undecided))
    assert raw_codes_in(again.stdout) == set()


def test_send_due_with_nothing_left_behind_exits_zero(env: dict[str, str]) -> None:
    leaving = due_dossier(env, "Tables décennales 2001-2010", "FR_DF", "EC")
    cli(env, "lifecycle", "run")
    done = gedsae_run(env, "transfers", "send", "finances", "--due")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"1 dossier : {leaving}" in done.stdout and "laissé" not in done.stdout
