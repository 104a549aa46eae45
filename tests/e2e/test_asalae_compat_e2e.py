"""Our As@lae connector pointed at our repository's As@lae REST services, two real processes
on loopback: the GED sends a transfer as Pastell would (bordereau and tar.gz apart, password as
its SHA-256), an archivist accepts it on the repository's own API, and the GED's scheduler
collects the reply by agency and message identifier and files the archive identifiers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.test_two_processes import Pair as TwoProcesses
from tests.e2e.test_two_processes import decide, file_due_dossiers, final_state, wait_for
from tests.fixtures.due_dossiers import lifecycle_phase
from tests.fixtures.processes import INIT, ORGANISATION, SAE, Service, gedsae_cli, new_port, sae_cli
from tests.fixtures.seda_corpus import shared_path


def setup_asalae_pair(tmp_path: Path, services: list[Service], chunk_bytes: int) -> TwoProcesses:
    ged_home, sae_home = tmp_path / "ged", tmp_path / "sae"
    ged_port, sae_port = new_port(), new_port()
    sae_env = {"GEDSAE_SAE_HOME": str(sae_home)}
    sae_cli(
        sae_env,
        "init", "--organisation", "ARCH", "--port", str(sae_port),
        "--schemas-from", str(shared_path("official")),
    )  # fmt: skip
    ged_env = {"GEDSAE_HOME": str(ged_home), "GEDSAE_EXTRACTION_WORKERS": "1"}
    admin_token = gedsae_cli(ged_env, *INIT).strip().splitlines()[-1]
    # Pastell's bordereau travels without its detached signature: the agreement asks for none
    sae_cli(sae_env, "agreements", "put", "AGR-1", "--agency", "SERVICE-A", "--seda", "2.2")
    password = sae_cli(sae_env, "token", "create", "pastell", "--role", "transferring").strip()
    archivist_token = sae_cli(sae_env, "token", "create", "alice", "--role", "archivist").strip()
    (tmp_path / "asalae-password").write_text(password)
    ged_home.joinpath("config.toml").write_text(
        f"transfer_poll_interval_s = 0.5\nport = {ged_port}\n\n"
        f'[connectors.asalae]\nkind = "asalae"\nbase_url = "http://127.0.0.1:{sae_port}"\n'
        f'username = "pastell"\npassword_file = "{tmp_path / "asalae-password"}"\n'
        f"poll_interval = 1\nchunk_bytes = {chunk_bytes}\n\n"
        '[agreements.ad35]\nconnector = "asalae"\nseda_version = "2.2"\n'
        'archival_agency = "ARCH"\ntransferring_agency = "SERVICE-A"\n'
        f'archival_agreement = "AGR-1"\norganisation = "{ORGANISATION}"\n',
        encoding="utf-8",
    )
    sae = Service("sae", ("serve",), sae_env, sae_port, "/api/v1/sae/health",
                  tmp_path / "sae.log", SAE)  # fmt: skip
    ged = Service("ged", ("serve",), ged_env, ged_port, "/healthz", tmp_path / "ged.log")
    services.extend([sae, ged])
    sae.start()
    ged.start()
    return TwoProcesses(
        ged, sae, ged_env, sae_env,
        {"Authorization": f"Bearer {admin_token}"},
        {"Authorization": f"Bearer {archivist_token}"},
        sae_home,
    )  # fmt: skip


@pytest.mark.slow
def test_the_geds_asalae_connector_transfers_to_our_repository(
    tmp_path: Path, services: list[Service]
) -> None:
    # in chunks of 4 KiB, as Pastell 4.x sends (a single request: tests/sae/test_asalae_compat.py)
    pair = setup_asalae_pair(tmp_path, services, chunk_bytes=4096)
    (dossier,) = file_due_dossiers(pair, ["Registres des délibérations 1990"], repeat=4)
    ged = httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60)
    sae = httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60)
    with ged, sae:
        started = ged.post(
            "/api/v1/transfers", json={"agreement": "ad35", "dossier_ids": [dossier]}
        )
        assert started.status_code == 201, started.text
        shown = started.json()
        assert shown["state"] == "sent", shown
        mid = shown["message_identifier"]
        decision = decide(sae, mid, "accept", "Conforme au bordereau")
        accepted = wait_for(final_state(ged, mid), "réponse d'As@lae collectée")
    assert accepted["state"] == "accepted", accepted
    expected = sorted(a["archive_identifier"] for a in decision["archive_identifiers"])
    assert sorted(accepted["outcome"]["archive_identifiers"]) == expected
    with httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60) as ged:
        assert lifecycle_phase(ged, dossier) == "permanent"
