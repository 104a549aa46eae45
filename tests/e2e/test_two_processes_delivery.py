"""The exchanges beyond the transfer between the GED and the repository as two processes on
loopback.

Two dossiers are transferred and accepted: one communicable at once (« immédiat »), one for 75
years from its closure (bound to another access rule). The repository imports the GED's rules
as its referential. ``gedsae archives request`` then ``receive`` gets the first one's DIP, every
digest verified; the second is refused, then delivered once an archivist records a derogation;
the repository's access register lists both communications. And a dossier whose title an
archivist changes in the repository is notified to the GED (``gedsae archives inbox``), then
restituted (``archives restitute`` then ``receive``) and deleted from the repository once the GED
has acknowledged the verified package.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_two_processes import (
    Pair,
    decide,
    file_due_dossiers,
    final_state,
    setup_pair,
    start_transfer,
    wait_for,
)
from tests.fixtures.processes import Service, gedsae_cli, gedsae_run, sae_cli

SEVENTY_FIVE_YEARS = "EC-02-ACC"  # « 75 ans à compter de la clôture du dossier »


def transferred(pair: Pair, ged: httpx.Client, sae: httpx.Client, dossier: str) -> list[str]:
    """The dossier transferred and accepted; the archive identifiers the repository gave."""
    mid = start_transfer(ged, dossier)
    decision = decide(sae, mid, "accept", "Conforme au bordereau")
    assert wait_for(final_state(ged, mid), "réponse collectée")["state"] == "accepted"
    return [a["archive_identifier"] for a in decision["archive_identifiers"]]


def request(pair: Pair, dossier: str, *options: str) -> str:
    said = gedsae_cli(pair.ged_env, "archives", "request", "ad35", dossier, *options)
    found = re.search(r"Demande de communication (\S+) envoyée", said)
    assert found, said
    return found.group(1)


def receive(pair: Pair, mid: str, out: Path) -> tuple[int, str]:
    done = gedsae_run(pair.ged_env, "archives", "receive", "ad35", mid, "--out", str(out))
    return done.returncode, done.stdout + done.stderr


@pytest.mark.slow
def test_a_dossier_is_communicated_at_once_and_another_only_under_a_derogation(
    tmp_path: Path, services: list[Service]
) -> None:
    pair = setup_pair(tmp_path, services)
    contents = file_due_dossiers(pair, ["Tables décennales 2001-2010", "Tables annuelles 2010"])
    free, closed = list(contents)
    ged = httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60)
    sae = httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60)
    with ged, sae:
        bound = ged.put(
            "/api/v1/bindings",
            json={"target": "dossier", "target_id": closed, "rule_id": SEVENTY_FIVE_YEARS,
                  "justification": "Mentions marginales"},
        )  # fmt: skip
        assert bound.status_code == 200, bound.text
        referential = tmp_path / "regles-vitam.csv"
        gedsae_cli(pair.ged_env, "rules", "export", "--format", "vitam", "--out", str(referential))
        sae_cli(pair.sae_env, "referentials", "rules", str(referential))
        transferred(pair, ged, sae, free)
        closed_archives = transferred(pair, ged, sae, closed)

        # communicable at once: the DIP, every digest verified by the GED
        first = request(pair, free)
        code, said = receive(pair, first, tmp_path / "dip-1.zip")
        assert code == 0, said
        with zipfile.ZipFile(tmp_path / "dip-1.zip") as dip:
            objects = [dip.read(n) for n in dip.namelist() if n != "manifest.xml"]
        assert objects == [contents[free]]

        # seventy-five years from 2010: refused, then granted under a derogation
        refused = request(pair, closed)
        code, said = receive(pair, refused, tmp_path / "dip-2.zip")
        assert code == 1, said
        assert "communicable à partir du 31 décembre 2085 (règle EC-02-ACC)" in said
        assert not (tmp_path / "dip-2.zip").exists()
        for archive in closed_archives:
            given = sae.post(
                f"/api/v1/sae/archives/{archive}/derogations",
                json={"requester": "SERVICE-A", "reason": "Recherche historique",
                      "until": "2999-12-31"},
            )  # fmt: skip
            assert given.status_code == 201, given.text
        granted = request(pair, closed, "--derogation", "--reason", "Recherche historique")
        code, said = receive(pair, granted, tmp_path / "dip-3.zip")
        assert code == 0, said
        with zipfile.ZipFile(tmp_path / "dip-3.zip") as dip:
            assert contents[closed] in [dip.read(n) for n in dip.namelist()]

        register = sae.get("/api/v1/sae/access-register.csv")
        assert register.status_code == 200, register.text
    lines = list(csv.DictReader(io.StringIO(register.text)))
    by_request = {line["Demande de communication"]: line["Fondement"] for line in lines}
    assert set(by_request) == {first, granted}
    assert by_request[first] == "librement communicable"
    assert by_request[granted] == "dérogation"


@pytest.mark.slow
def test_a_dossier_changed_by_the_archivist_is_notified_then_restituted_and_deleted(
    tmp_path: Path, services: list[Service]
) -> None:
    pair = setup_pair(tmp_path, services)
    contents = file_due_dossiers(pair, ["Tables décennales 2001-2010"])
    [dossier] = list(contents)
    ged = httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60)
    sae = httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60)
    with ged, sae:
        archives = transferred(pair, ged, sae, dossier)
        changed = sae.patch(
            f"/api/v1/sae/archives/{archives[0]}", json={"title": "Tables décennales, 1er volume"}
        )
        assert changed.status_code == 200, changed.text
        inbox = gedsae_cli(pair.ged_env, "archives", "inbox", "ad35")
        assert "1 nouveau message" in inbox and "notification de modification" in inbox, inbox
        assert dossier in inbox

        mid = gedsae_cli(pair.ged_env, "archives", "restitute", "ad35", dossier)
        found = re.search(r"Demande de restitution (\S+) envoyée", mid)
        assert found, mid
        code, said = receive(pair, found.group(1), tmp_path / "rendu.zip")
        assert code == 0, said
        with zipfile.ZipFile(tmp_path / "rendu.zip") as package:
            assert contents[dossier] in [package.read(n) for n in package.namelist()]
        for archive in archives:  # deleted once the GED acknowledged the verified package
            assert sae.get(f"/api/v1/sae/archives/{archive}").status_code == 404
    assert "acquittée, archives supprimées" in sae_cli(pair.sae_env, "restitutions", "list")
