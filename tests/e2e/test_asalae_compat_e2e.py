"""Our As@lae connector pointed at our repository's As@lae REST services, two real processes
on loopback: the GED sends a transfer as Pastell would (bordereau and tar.gz apart, password as
its SHA-256), an archivist accepts it on the repository's own API, and the GED's scheduler
collects the reply by agency and message identifier and files the archive identifiers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.test_two_processes import (
    decide,
    file_due_dossiers,
    final_state,
    setup_pair,
    wait_for,
)
from tests.fixtures.due_dossiers import lifecycle_phase
from tests.fixtures.processes import Service


def asalae(tmp_path: Path, sae_port: int) -> str:
    """The GED's As@lae connector on the repository's As@lae services, as Pastell 4.x sends: the
    password is the repository's sender token ``ged``, in chunks of 4 KiB."""
    return (
        f'kind = "asalae"\nbase_url = "http://127.0.0.1:{sae_port}"\nusername = "ged"\n'
        f'password_file = "{tmp_path / "ged-token"}"\npoll_interval = 1\nchunk_bytes = 4096\n'
    )


@pytest.mark.slow
def test_the_geds_asalae_connector_transfers_to_our_repository(
    tmp_path: Path, services: list[Service]
) -> None:
    # in chunks (a single request: tests/sae/test_asalae_compat.py); Pastell's bordereau travels
    # without its detached signature: the agreement asks for none
    pair = setup_pair(tmp_path, services, connector=asalae, signed=False)
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
