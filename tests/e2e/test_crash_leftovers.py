"""What a process killed with kill -9 leaves on disk is removed at the next start, and only that:
the temp files of a live process on the same instance are its own business.

Real ``gedsae serve`` and ``gedsae-sae serve`` processes on loopback; uploads held open by a slow
request body, an acceptance slowed by the size of its package.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from connectors.sae_http import SaeHttpConnector
from seda.disk_import import transfer_from_directory
from seda.sip import write_sip
from seda.versions import SedaVersion
from tests.e2e.test_two_processes import wait_for
from tests.fixtures.leftovers import temp_files
from tests.fixtures.processes import INIT, SAE, Service, gedsae_cli, new_port, sae_cli
from tests.fixtures.seda_corpus import shared_path

CHUNK = 64 * 1024


@dataclass
class Instance:
    home: Path
    env: dict[str, str]
    headers: dict[str, str]
    dossier: str

    def server(self, name: str, tmp_path: Path) -> Service:
        port = new_port()
        return Service(
            name,
            ("serve", "--port", str(port)),
            self.env,
            port,
            "/healthz",
            tmp_path / f"{name}.log",
        )

    def temp_files(self) -> list[Path]:
        return temp_files(self.home / "blobs" / "tmp")


def new_instance(tmp_path: Path, services: list[Service]) -> Instance:
    home = tmp_path / "ged"
    env = {"GEDSAE_HOME": str(home), "GEDSAE_EXTRACTION_WORKERS": "1", "TMPDIR": str(tmp_path)}
    token = gedsae_cli(env, *INIT).strip().splitlines()[-1]
    service_id = gedsae_cli(env, "services", "create", "Finances", "FR_DF").strip()
    headers = {"Authorization": f"Bearer {token}"}
    first = Instance(home, env, headers, "")
    server = first.server("setup", tmp_path)
    services.append(server)
    server.start()
    created = httpx.post(
        f"{server.base_url}/api/v1/dossiers",
        json={"service_id": service_id, "title": "Marchés 2026"},
        headers=headers,
    )
    server.stop()
    assert created.status_code == 201, created.text
    return Instance(home, env, headers, created.json()["id"])


class SlowUpload:
    """An upload whose body trickles in until ``finish`` is called; its answer is kept."""

    def __init__(self, server: Service, instance: Instance, name: str) -> None:
        self.done = threading.Event()
        self.response: httpx.Response | None = None
        url = f"{server.base_url}/api/v1/dossiers/{instance.dossier}/documents"
        args = (url, instance.headers, name)
        self._thread = threading.Thread(target=self._send, args=args, daemon=True)
        self._thread.start()

    def _body(self) -> Iterator[bytes]:
        yield b"x" * CHUNK
        while not self.done.is_set():
            time.sleep(0.05)
            yield b"x" * CHUNK

    def _send(self, url: str, headers: dict[str, str], name: str) -> None:
        try:
            self.response = httpx.post(
                url,
                content=self._body(),
                params={"filename": name},
                headers={**headers, "Content-Type": "application/octet-stream"},
                timeout=60,
            )
        except httpx.HTTPError:
            return

    def finish(self) -> httpx.Response | None:
        self.done.set()
        self._thread.join(timeout=60)
        return self.response


def written_besides(instance: Instance, known: list[Path]) -> list[Path]:
    """The temp files other than ``known``, once some bytes were written to them."""
    others = [p for p in instance.temp_files() if p not in known]
    return others if others and all(p.stat().st_size > 0 for p in others) else []


@pytest.mark.slow
def test_kill9_during_an_upload_leaves_no_temp_file_after_restart_and_spares_a_live_upload(
    tmp_path: Path, services: list[Service]
) -> None:
    instance = new_instance(tmp_path, services)
    survivor, victim = instance.server("survivor", tmp_path), instance.server("victim", tmp_path)
    services.extend([survivor, victim])
    survivor.start()
    victim.start()
    live = SlowUpload(survivor, instance, "vivant.bin")
    wait_for(lambda: len(instance.temp_files()) == 1, "envoi vivant commencé")
    live_temp = instance.temp_files()
    killed = SlowUpload(victim, instance, "tue.bin")
    leftover = wait_for(lambda: written_besides(instance, live_temp), "envoi interrompu commencé")
    victim.kill()
    killed.finish()
    assert set(instance.temp_files()) == {*live_temp, *leftover}

    victim.start()  # the restart sweeps the dead process's leftovers, not the live upload's

    assert instance.temp_files() == live_temp
    answer = live.finish()
    assert answer is not None and answer.status_code == 201, answer
    assert instance.temp_files() == []


# -- the archival repository: kill -9 while an acceptance writes the offers ---------------------
def sae_home_with_agreement(tmp_path: Path, port: int) -> tuple[Path, dict[str, str]]:
    home = tmp_path / "sae"
    env = {"GEDSAE_SAE_HOME": str(home), "TMPDIR": str(tmp_path)}
    sae_cli(
        env, "init", "--organisation", "ARCH", "--port", str(port),
        "--schemas-from", str(shared_path("official")),
    )  # fmt: skip
    sae_cli(env, "agreements", "put", "AGR-1", "--agency", "SERVICE-A", "--seda", "2.2")
    return home, env


def big_sip(tmp_path: Path, files: int = 3, size: int = 32 * 1024 * 1024) -> Path:
    """A SIP of a few files of random bytes: long enough to write that a kill lands in it."""
    root = tmp_path / "registres"
    root.mkdir()
    for number in range(files):
        (root / f"registre-{number}.bin").write_bytes(os.urandom(size))
    built = transfer_from_directory(
        root,
        SedaVersion.V2_2,
        message_identifier="GROS-1",
        archival_agency="ARCH",
        transferring_agency="SERVICE-A",
        archival_agreement="AGR-1",
    )
    sip = tmp_path / "GROS-1.zip"
    write_sip(sip, built.transfer, built.members)
    return sip


def offer_temp_files(home: Path) -> list[Path]:
    return [p for offer in sorted(home.glob("offers/*/tmp")) for p in temp_files(offer)]


def awaiting_review(sae: httpx.Client) -> str | None:
    listed = sae.get("/api/v1/sae/review/transfers").json()
    return next((t["transfer_id"] for t in listed if t["checks_passed"]), None)


def accept_in_background(sae: Service, headers: dict[str, str], transfer_id: str) -> None:
    def accept() -> None:
        url = f"{sae.base_url}/api/v1/sae/review/transfers/{transfer_id}/accept"
        with suppress(httpx.HTTPError):
            httpx.post(url, json={"comment": "Conforme"}, headers=headers, timeout=120)

    threading.Thread(target=accept, daemon=True).start()


@pytest.mark.slow
def test_kill9_during_an_acceptance_leaves_no_temp_file_after_recovery(
    tmp_path: Path, services: list[Service]
) -> None:
    port = new_port()
    home, env = sae_home_with_agreement(tmp_path, port)
    sender = sae_cli(env, "token", "create", "ged", "--role", "transferring").strip()
    archivist = sae_cli(env, "token", "create", "alice", "--role", "archivist").strip()
    headers = {"Authorization": f"Bearer {archivist}"}
    sae = Service("sae", ("serve",), env, port, "/api/v1/sae/health", tmp_path / "sae.log", SAE)
    services.append(sae)
    sae.start()
    sip = big_sip(tmp_path)
    with httpx.Client(timeout=120) as client:
        connector = SaeHttpConnector(sae.base_url, sender, client, allow_insecure_http=True)
        connector.submit(
            sip, message_identifier="GROS-1", transferring_agency="SERVICE-A", manifest_digest=None
        )
    with httpx.Client(base_url=sae.base_url, headers=headers, timeout=60) as archives:
        transfer_id = wait_for(lambda: awaiting_review(archives), "versement contrôlé")
    accept_in_background(sae, headers, transfer_id)
    wait_for(lambda: any(p.stat().st_size for p in offer_temp_files(home)), "écriture commencée")
    sae.kill()
    assert offer_temp_files(home)  # what the kill left on the offers

    sae.start()  # recovery: the acceptance is rolled back, its temp files removed

    assert offer_temp_files(home) == []
    with httpx.Client(base_url=sae.base_url, headers=headers, timeout=120) as archives:
        accepted = archives.post(
            f"/api/v1/sae/review/transfers/{transfer_id}/accept", json={"comment": "Conforme"}
        )
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted", accepted.text
    audited = json.loads(sae_cli(env, "audit", "--json"))
    assert audited["clean"] and audited["counts"]["temp_file_removed"] == 0
    assert offer_temp_files(home) == []


# -- format identification's private folder in the system's temporary directory ---------------
def identify_folders(tmp_path: Path) -> list[Path]:
    """``TMPDIR`` of the test's processes is ``tmp_path``: only their folders are seen."""
    return sorted(tmp_path.glob("ged-identify-*"))


def upload_csv(server: Service, instance: Instance) -> str:
    """A CSV, identified with the help of its extension (a link in the private folder)."""
    response = httpx.post(
        f"{server.base_url}/api/v1/dossiers/{instance.dossier}/documents",
        content=b"nom;prenom\nDupont;Jean\n",
        params={"filename": "tableau.csv"},
        headers={**instance.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 201, response.text
    document = str(response.json()["id"])
    url = f"{server.base_url}/api/v1/documents/{document}"
    wait_for(
        lambda: httpx.get(url, headers=instance.headers).json()["versions"][0]["puid"],
        "format identifié",
    )
    return document


def test_a_server_stopped_after_identifying_formats_leaves_no_identify_folder(
    tmp_path: Path, services: list[Service]
) -> None:
    instance = new_instance(tmp_path, services)
    server = instance.server("ged", tmp_path)
    services.append(server)
    server.start()
    upload_csv(server, instance)
    assert len(identify_folders(tmp_path)) == 1

    server.stop()  # SIGTERM, as a service manager stops it

    assert identify_folders(tmp_path) == []


@pytest.mark.slow
def test_identify_folder_of_a_killed_server_is_removed_at_the_next_start_not_a_live_one(
    tmp_path: Path, services: list[Service]
) -> None:
    instance = new_instance(tmp_path, services)
    survivor, victim = instance.server("survivor", tmp_path), instance.server("victim", tmp_path)
    services.extend([survivor, victim])
    survivor.start()
    upload_csv(survivor, instance)
    live = identify_folders(tmp_path)
    victim.start()
    upload_csv(victim, instance)
    victim.kill()
    assert len(identify_folders(tmp_path)) == 2

    victim.start()

    assert identify_folders(tmp_path) == live
    upload_csv(survivor, instance)  # the live server still identifies through its folder
