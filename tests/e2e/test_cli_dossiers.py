"""The agent's and the records officer's journeys on the command line, in a real home: the
plan as a tree, dossiers opened and closed (in the past),
listed by service, phase and plan node page by page, a dossier's page (rules and their origin,
phase, hold, start dates, documents), its start events, the services — in French, never the
API's codes (``--json`` keeps them for scripts). The commands under test run in their own
process, as an operator runs them; the setting up runs in this one, for speed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ged.bootstrap import build_context
from ged.cli import main
from ged.config import load_settings
from ged.domain.model import Metadata
from ged.services import documents
from tests.fixtures.french import raw_codes_in
from tests.fixtures.processes import INIT, gedsae_cli, gedsae_run

TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"


def cli(env: dict[str, str], *args: str) -> str:
    """A setting-up step, in this process."""
    done = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    return done.stdout


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {"GEDSAE_HOME": str(tmp_path / "home"), "GEDSAE_EXTRACTION_WORKERS": "1"}
    cli(env, *INIT)
    cli(env, "services", "create", "Direction des finances", "FR_DF")
    cli(env, "services", "create", "Ressources humaines", "FR_RH")
    return env


def french(text: str) -> str:
    assert raw_codes_in(text) == set(), text
    return text


def test_the_plan_is_built_renamed_and_shown_as_a_tree(env: dict[str, str]) -> None:
    gedsae_cli(env, "plan", "create", "AG", "Administration générale")
    cli(env, "plan", "create", "AG-1", "Courrier", "--parent", "AG")
    cli(env, "plan", "create", "AG-2", "Délibérations", "--parent", "AG")
    cli(env, "plan", "create", "FIN", "Finances")
    assert "renommé « Finances et budget »" in gedsae_cli(
        env, "plan", "rename", "FIN", "Finances et budget"
    )
    assert french(gedsae_cli(env, "plan")).splitlines() == [
        "Plan de classement",
        "├── AG  Administration générale",
        "│   ├── AG-1  Courrier",
        "│   └── AG-2  Délibérations",
        "└── FIN  Finances et budget",
    ]
    nodes = json.loads(cli(env, "plan", "show", "--json"))
    parents = {n["code"]: n["parent_id"] for n in nodes}
    ag = next(n["id"] for n in nodes if n["code"] == "AG")
    assert parents == {"AG": None, "AG-1": ag, "AG-2": ag, "FIN": None}
    taken = gedsae_run(env, "plan", "create", "AG", "Encore")
    assert taken.returncode == 4 and "existe déjà" in taken.stderr


def test_the_services_are_listed_by_their_seda_identifier(env: dict[str, str]) -> None:
    rows = [line.split("\t")[:2] for line in gedsae_cli(env, "services", "list").splitlines()]
    assert rows == [["FR_DF", "Direction des finances"], ["FR_RH", "Ressources humaines"]]
    listed = json.loads(cli(env, "services", "list", "--json"))
    assert {s["seda_identifier"] for s in listed} == {"FR_DF", "FR_RH"}


def create(env: dict[str, str], title: str, *options: str) -> str:
    return cli(env, "dossiers", "create", title, *options).strip().splitlines()[-1]


def test_dossiers_closed_in_the_past_are_listed_by_service_phase_plan_and_page(
    env: dict[str, str],
) -> None:
    gedsae_cli(env, "rules", "import", str(TABLEAU))
    cli(env, "plan", "create", "AG", "Courrier arrivé")
    cli(env, "rules", "bind", "plan_node", "AG", "AG-08")  # 2 years, then destroyed
    opened = gedsae_cli(env, "dossiers", "create", "Courrier 2019", "--service", "FR_DF",
                        "--plan", "AG", "--opened-on", "2019-01-01", stderr=True)  # fmt: skip
    assert "Dossier « Courrier 2019 » ouvert le 1er janvier 2019" in french(opened)
    old = opened.strip().splitlines()[0]
    closed = gedsae_cli(env, "dossiers", "close", old, "--on", "2019-12-31")
    assert french(closed).strip() == "Dossier « Courrier 2019 » clos le 31 décembre 2019"
    recent = create(env, "Budget", "--service", "FR_DF", "--opened-on", "2024-03-01")
    staff = create(env, "Carrière de M. X", "--service", "FR_RH", "--opened-on", "2023-05-02")
    cli(env, "lifecycle", "run")

    def listed(*filters: str) -> list[str]:
        shown = french(cli(env, "dossiers", "list", *filters))
        return [line.split("\t")[0] for line in shown.splitlines()]

    assert listed() == [recent, staff, old]  # most recently opened first
    assert listed("--service", "FR_RH") == [staff]
    assert listed("--phase", "DUA échue") == listed("--phase", "due") == [old]
    assert listed("--plan", "AG") == [old]
    assert listed("--status", "clos") == [old]
    assert listed("--limit", "2") == [recent, staff]
    assert listed("--limit", "2", "--offset", "2") == [old]
    row = gedsae_cli(env, "dossiers", "list", "--service", "FR_DF", "--phase", "DUA échue")
    assert row.split("\t")[1:] == [
        "Courrier 2019",
        "Direction des finances (FR_DF)",
        "clos le 31 décembre 2019",
        "phase : DUA échue\n",
    ]
    scripted = json.loads(cli(env, "dossiers", "list", "--phase", "due", "--json"))
    assert [(d["id"], d["status"]) for d in scripted] == [(old, "closed")]
    unknown = gedsae_run(env, "dossiers", "list", "--phase", "bientôt")
    assert unknown.returncode == 1 and "« DUA échue »" in unknown.stderr


def file_text(env: dict[str, str], dossier: str, name: str, text: str) -> None:
    """A document filed as the API files it (the command line has no upload command)."""
    ctx = build_context(load_settings(Path(env["GEDSAE_HOME"])))
    try:
        with ctx.uow() as uow:
            org = uow.repo.list_organisations()[0]
            admin = uow.repo.find_principal(org.id, "admin")
        assert admin is not None
        documents.file_document(
            ctx, admin, dossier, io.BytesIO(text.encode()), filename=name,
            metadata=Metadata(title=name, author="Service des assemblées"), mime_type="text/plain",
        )  # fmt: skip
    finally:
        ctx.close()


def test_a_dossier_page_shows_rules_and_origin_phase_hold_start_dates_and_documents(
    env: dict[str, str],
) -> None:
    gedsae_cli(env, "rules", "import", str(TABLEAU))
    dossier = create(env, "Séance du 15 décembre 2015", "--service", "FR_DF",
                     "--opened-on", "2015-01-01")  # fmt: skip
    file_text(env, dossier, "deliberation.txt", "délibération sur le budget")
    cli(env, "rules", "bind", "dossier", dossier, "AG-01",
               "--justification", "délibération budgétaire")  # fmt: skip
    cli(env, "dossiers", "close", dossier, "--on", "2015-12-31")
    recorded = gedsae_cli(
        env, "events", "record", dossier, "date de la séance", "--on", "2015-12-15"
    )
    assert french(recorded).strip() == "« date de la séance » : 15 décembre 2015"
    cli(env, "lifecycle", "run")
    cli(env, "holds", "place", dossier, "--reason", "recours contentieux")
    page = french(gedsae_cli(env, "dossiers", "show", dossier))
    lines = page.splitlines()
    assert lines[0] == "Dossier : Séance du 15 décembre 2015"
    assert "Service : Direction des finances (FR_DF)" in lines
    assert "État : clos" in lines
    assert next(x for x in lines if x.startswith("Phase : DUA échue depuis le "))
    assert "Fin de la DUA : 15 décembre 2025 — sort final : conservation définitive" in lines
    assert next(x for x in lines if x.startswith("Gel : depuis le ")).count("recours contentieux")
    assert (
        "  clôture : 31 décembre 2015" in lines
        and "  date de la séance : 15 décembre 2015" in lines
    )
    rule = lines.index(next(x for x in lines if "AG-01 v1" in x))
    assert lines[rule].startswith("  durée d'utilité administrative (sort final) : AG-01 v1 « ")
    assert lines[rule].endswith("— 10 ans, conservation définitive")
    assert lines[rule + 1] == f"    origine : dérogation propre au dossier {dossier}"
    assert lines[rule + 2] == "    justification : délibération budgétaire"
    assert lines[rule + 3] == (
        "    à compter de : date de la séance (15 décembre 2015) → 15 décembre 2025"
    )
    assert "Documents : 1 document" in lines
    assert "    auteur : Service des assemblées" in lines
    version = next(x for x in lines if x.startswith("    version 1 du "))
    assert f"deliberation.txt, {len('délibération sur le budget'.encode())} octets" in version
    events = french(gedsae_cli(env, "events", "list", dossier))
    assert events.startswith("date de la séance : 15 décembre 2015 (enregistré le ")
    scripted = json.loads(cli(env, "dossiers", "show", dossier, "--json"))
    assert scripted["lifecycle"]["phase"] == "due" and scripted["lifecycle"]["held"] is True
    assert scripted["lifecycle"]["rules"][0]["source"] == "dossier"
    assert scripted["events"][0]["on"] == "2015-12-15"
    assert scripted["documents"][0]["versions"][0]["filename"] == "deliberation.txt"


def test_a_dossier_of_another_service_is_unknown_to_an_agent(env: dict[str, str]) -> None:
    staff = create(env, "Carrière de M. X", "--service", "FR_RH")
    cli(env, "tokens", "create", "agent-df", "--role", "agent", "--service", "FR_DF")
    refused = gedsae_run(env, "dossiers", "show", staff, "--as", "agent-df")
    assert refused.returncode == 3 and "introuvable" in refused.stderr
    assert cli(env, "dossiers", "list", "--as", "agent-df") == ""
    opened = CliRunner().invoke(
        main, ["dossiers", "create", "Budget", "--service", "FR_RH", "--as", "agent-df"], env=env
    )
    assert opened.exit_code == 3 and "introuvable" in opened.output  # as if it did not exist
