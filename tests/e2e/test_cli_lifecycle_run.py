"""``gedsae lifecycle run --as-of`` a day to come never changes the recorded phases: it is
refused, and the what-if is ``--dry-run`` (shown in French, nothing written)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from ged.bootstrap import build_context
from ged.config import load_settings
from ged.domain.lifecycle import BindingTarget
from ged.services import filing, rules
from tests.fixtures.french import raw_codes_in
from tests.fixtures.processes import INIT, gedsae_cli, gedsae_run

TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A home with one closed dossier under AG-08 (2 years from closing, then destroyed),
    closed 100 days ago: intermediate today, due in less than two years."""
    tmp_path = tmp_path_factory.mktemp("lifecycle-run")
    env = {"GEDSAE_HOME": str(tmp_path / "home"), "GEDSAE_EXTRACTION_WORKERS": "1"}
    gedsae_cli(env, *INIT)
    gedsae_cli(env, "services", "create", "Direction des finances", "FR_DF")
    gedsae_cli(env, "rules", "import", str(TABLEAU))
    ctx = build_context(load_settings(tmp_path / "home"))
    with ctx.uow() as uow:
        org = uow.repo.list_organisations()[0]
        admin, service = (
            uow.repo.find_principal(org.id, "admin"),
            uow.repo.find_service(org.id, "FR_DF"),
        )
    assert admin is not None and service is not None
    node = filing.create_plan_node(ctx, admin, "AG", "Courrier arrivé", None)
    rules.bind_rule(ctx, admin, BindingTarget.PLAN_NODE, node.id, "AG-08")
    closed = date.today() - timedelta(days=100)
    dossier = filing.create_dossier(
        ctx, admin, service_id=service.id, title="Courrier", plan_node_id=node.id,
        opened_on=closed - timedelta(days=200),
    )  # fmt: skip
    filing.close_dossier(ctx, admin, dossier.id, closed)
    ctx.close()
    gedsae_cli(env, "lifecycle", "run")
    env["DOSSIER"] = dossier.id
    return env


def recorded_phase(env: dict[str, str]) -> str:
    return gedsae_cli(env, "lifecycle", "show", env["DOSSIER"]).splitlines()[0]


def test_a_run_for_a_day_to_come_is_refused_and_the_phase_stays(env: dict[str, str]) -> None:
    later = (date.today() + timedelta(days=3 * 365)).isoformat()
    done = gedsae_run(env, "lifecycle", "run", "--as-of", later)
    assert done.returncode == 1
    assert "as_of_in_future" in done.stderr and "--dry-run" in done.stderr
    assert recorded_phase(env).startswith("Phase : intermédiaire")


def test_a_dry_run_shows_in_french_what_would_change_and_writes_nothing(
    env: dict[str, str],
) -> None:
    later = date.today() + timedelta(days=3 * 365)
    shown = gedsae_cli(env, "lifecycle", "run", "--as-of", later.isoformat(), "--dry-run")
    assert shown.startswith("Simulation au ") and "1 changement de phase" in shown
    assert f"{env['DOSSIER']} : intermédiaire → DUA échue" in shown
    assert "aucune phase n'a été enregistrée" in shown
    assert raw_codes_in(shown) == set()
    assert recorded_phase(env).startswith("Phase : intermédiaire")
    scripted = json.loads(
        gedsae_cli(env, "lifecycle", "run", "--as-of", later.isoformat(), "--dry-run", "--json")
    )
    assert scripted["dry_run"] is True
    assert scripted["transitions"] == [
        {"dossier_id": env["DOSSIER"], "from": "intermediate", "to": "due"}
    ]
    assert "0 changement de phase" in gedsae_cli(env, "lifecycle", "run")  # nothing was moved
