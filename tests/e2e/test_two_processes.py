"""The whole loop with the GED and the repository as two processes on loopback.

Files documents over the GED's HTTP API, runs the lifecycle, transfers two dossiers under an
archival agreement, has an archivist accept one and reject the other over the repository's
API, lets the GED's scheduler collect the replies, then checks both sides: states, the reply,
the copies on both storage offers and both operation logs.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.due_dossiers import file_due, lifecycle_phase
from tests.fixtures.processes import INIT, ORGANISATION, SAE, Service, gedsae_cli, new_port, sae_cli
from tests.fixtures.seda_corpus import shared_path

WAIT_S = 60.0


@dataclass
class Pair:
    ged: Service
    sae: Service
    ged_env: dict[str, str]
    sae_env: dict[str, str]
    admin: dict[str, str]
    archivist: dict[str, str]
    sae_home: Path


def sae_http(tmp_path: Path, sae_port: int) -> str:
    """The GED's connector to the repository's own API (its token written by ``setup_pair``)."""
    return (
        f'kind = "sae_http"\nbase_url = "http://127.0.0.1:{sae_port}"\n'
        f'token_file = "{tmp_path / "ged-token"}"\npoll_interval = 1\n'
    )


def setup_pair(
    tmp_path: Path,
    services: list[Service],
    *,
    connector: Callable[[Path, int], str] = sae_http,
    signed: bool = True,
    sae_extra: str = "",
) -> Pair:
    """The GED and the repository as processes, the GED's agreement ``ad35`` sending through
    ``connector`` (its table's keys, given the folder and the repository's port); ``signed``:
    the repository's agreement asks a signed manifest and the GED signs it; ``sae_extra`` is
    added to sae.toml."""
    ged_home, sae_home = tmp_path / "ged", tmp_path / "sae"
    ged_port, sae_port = new_port(), new_port()
    sae_env = {"GEDSAE_SAE_HOME": str(sae_home)}
    sae_cli(
        sae_env,
        "init", "--organisation", "ARCH", "--port", str(sae_port),
        "--schemas-from", str(shared_path("official")),
    )  # fmt: skip
    if sae_extra:
        with (sae_home / "sae.toml").open("a", encoding="utf-8") as config:
            config.write(sae_extra)
    ged_env = {"GEDSAE_HOME": str(ged_home), "GEDSAE_EXTRACTION_WORKERS": "1"}
    admin_token = gedsae_cli(ged_env, *INIT).strip().splitlines()[-1]
    # the repository trusts the GED's signing certificate (made by `gedsae init`)
    sae_cli(sae_env, "trust-anchors", str(ged_home / "signing" / "certificate.pem"))
    signature = ("--signature-required",) if signed else ()
    sae_cli(
        sae_env,
        "agreements", "put", "AGR-1", "--agency", "SERVICE-A", "--seda", "2.2", *signature,
    )  # fmt: skip
    ged_token = sae_cli(sae_env, "token", "create", "ged", "--role", "transferring").strip()
    archivist_token = sae_cli(sae_env, "token", "create", "alice", "--role", "archivist").strip()
    (tmp_path / "ged-token").write_text(ged_token)
    ged_home.joinpath("config.toml").write_text(
        f"transfer_poll_interval_s = 0.5\nport = {ged_port}\n\n"
        f"[connectors.sae]\n{connector(tmp_path, sae_port)}\n"
        '[agreements.ad35]\nconnector = "sae"\nseda_version = "2.2"\n'
        + ("" if signed else "sign_package = false\n")
        + 'archival_agency = "ARCH"\ntransferring_agency = "SERVICE-A"\n'
        f'archival_agreement = "AGR-1"\norganisation = "{ORGANISATION}"\n',
        encoding="utf-8",
    )
    sae = Service("sae", ("serve",), sae_env, sae_port, "/api/v1/sae/health",
                  tmp_path / "sae.log", SAE)  # fmt: skip
    ged = Service("ged", ("serve",), ged_env, ged_port, "/healthz", tmp_path / "ged.log")
    services.extend([sae, ged])
    sae.start()
    ged.start()
    return Pair(
        ged,
        sae,
        ged_env,
        sae_env,
        {"Authorization": f"Bearer {admin_token}"},
        {"Authorization": f"Bearer {archivist_token}"},
        sae_home,
    )


def file_due_dossiers(pair: Pair, titles: list[str], repeat: int = 1) -> dict[str, bytes]:
    """The dossiers' ids and their one document's content."""
    service_id = gedsae_cli(pair.ged_env, "services", "create", "Finances", "SERVICE-A").strip()
    with httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60) as ged:
        filed = file_due(ged, service_id, titles, repeat)
    return {one.dossier: one.content for one in filed}


def wait_for(check: Callable[[], Any], what: str) -> Any:
    """Polls until ``check`` returns something truthy (a deadline, not a timed assertion)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    pytest.fail(f"toujours pas après {WAIT_S} s : {what}")


def start_transfer(ged: httpx.Client, dossier: str) -> str:
    started = ged.post("/api/v1/transfers", json={"agreement": "ad35", "dossier_ids": [dossier]})
    assert started.status_code == 201, started.text
    assert started.json()["state"] == "sent", started.json()
    return str(started.json()["message_identifier"])


def decide(sae: httpx.Client, mid: str, verb: str, comment: str) -> dict[str, Any]:
    def awaiting() -> dict[str, Any]:
        listed = sae.get("/api/v1/sae/review/transfers").json()
        return {t["message_identifier"]: t for t in listed if t["message_identifier"] == mid}

    pending = wait_for(awaiting, f"{mid} contrôlé et en attente de décision")  # checks run after
    assert pending[mid]["checks_passed"], pending[mid]["issues"]
    done = sae.post(
        f"/api/v1/sae/review/transfers/{pending[mid]['transfer_id']}/{verb}",
        json={"comment": comment},
    )
    assert done.status_code == 200, done.text
    result: dict[str, Any] = done.json()
    return result


def final_state(ged: httpx.Client, mid: str) -> Callable[[], dict[str, Any] | None]:
    def check() -> dict[str, Any] | None:
        shown: dict[str, Any] = ged.get(f"/api/v1/transfers/{mid}").json()
        return shown if shown["state"] in ("accepted", "rejected") else None

    return check


def stored_copies(sae_home: Path, content: bytes) -> list[Path]:
    digest = hashlib.sha256(content).hexdigest()
    return sorted(sae_home.glob(f"offers/*/sha256/{digest[:2]}/{digest}"))


@pytest.mark.slow
def test_ged_and_repository_as_two_processes(tmp_path: Path, services: list[Service]) -> None:
    pair = setup_pair(tmp_path, services)
    contents = file_due_dossiers(pair, ["Tables décennales 2001-2010", "Tables annuelles 2010"])
    kept, refused = list(contents)
    ged = httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60)
    sae = httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60)
    with ged, sae:
        accepted_mid = start_transfer(ged, kept)
        rejected_mid = start_transfer(ged, refused)
        assert lifecycle_phase(ged, kept) == "transferring"
        decision = decide(sae, accepted_mid, "accept", "Conforme au bordereau")
        archive_ids = sorted(a["archive_identifier"] for a in decision["archive_identifiers"])
        decide(sae, rejected_mid, "reject", "Dates extrêmes absentes du bordereau")

        # the GED's scheduler collects both replies and acts on them
        accepted = wait_for(final_state(ged, accepted_mid), "réponse positive collectée")
        rejected = wait_for(final_state(ged, rejected_mid), "réponse négative collectée")
        assert accepted["state"] == "accepted"
        assert sorted(accepted["outcome"]["archive_identifiers"]) == archive_ids
        assert lifecycle_phase(ged, kept) == "permanent"
        assert rejected["state"] == "rejected"
        assert any("Dates extrêmes absentes" in reason for reason in rejected["reasons"])
        assert lifecycle_phase(ged, refused) == "due"

    # the repository: both copies of the accepted content, nothing of the rejected one
    assert len(stored_copies(pair.sae_home, contents[kept])) == 2
    assert stored_copies(pair.sae_home, contents[refused]) == []
    # both logs verify, the repository's against its sealed checkpoints; then truncate it
    sae_cli(pair.sae_env, "seal")  # the rejection came after the acceptance's seal
    assert "Journal intègre" in gedsae_cli(pair.ged_env, "log", "verify")
    assert "Journal du dépôt intègre" in sae_cli(pair.sae_env, "log", "verify")
    with closing(sqlite3.connect(pair.sae_home / "repository.sqlite")) as db:
        # cut the tail back into what the last seal covered (its own log.sealed entry follows)
        db.execute("DELETE FROM operation_log WHERE seq >= (SELECT max(seq) FROM log_checkpoints)")
        db.commit()
    assert "log_truncated" in sae_cli(pair.sae_env, "log", "verify", check=False, stderr=True)
