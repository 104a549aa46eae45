"""kill -9 of the repository during an ingest and of the GED during a push, then restart and
retry: one archive per MessageIdentifier, no partial archive, nothing purged in the GED.

Both use the two real processes of ``test_two_processes``; a slow loopback relay between them
holds the upload long enough to kill a process in the middle of it.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_two_processes import (
    Pair,
    decide,
    file_due_dossiers,
    lifecycle_phase,
    setup_pair,
    stored_copies,
    wait_for,
)
from tests.fixtures.processes import Service, gedsae_cli, new_port

CHUNK = 64 * 1024


class SlowRelay:
    """Forwards loopback TCP to ``target`` at ~``rate`` bytes/s upstream; counts bytes."""

    def __init__(self, target: int, rate: int = 256 * 1024) -> None:
        self.target, self.rate = target, rate
        self.port = new_port()
        self.forwarded = 0
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, slow: bool) -> None:
        with closing(src), closing(dst):
            try:
                while data := src.recv(CHUNK):
                    dst.sendall(data)
                    if slow:
                        self.forwarded += len(data)
                        time.sleep(len(data) / self.rate)
            except OSError:
                return

    def close(self) -> None:
        self._server.close()


@pytest.fixture
def relay_factory() -> Iterator[list[SlowRelay]]:
    made: list[SlowRelay] = []
    yield made
    for relay in made:
        relay.close()


def sae_transfers(sae_home: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(sae_home / "repository.sqlite")) as db:
        return list(db.execute("SELECT message_identifier, state FROM transfers"))


def ged_row(ged_home: Path, mid: str) -> tuple[str, int]:
    with closing(sqlite3.connect(ged_home / "gedsae.db")) as db:
        row = db.execute(
            "SELECT state, attempts FROM transfers WHERE message_identifier = ?", (mid,)
        ).fetchone()
    return str(row[0]), int(row[1])


@pytest.mark.slow
def test_kill9_of_the_ged_during_a_push_then_retry_makes_one_archive(
    tmp_path: Path, services: list[Service], relay_factory: list[SlowRelay]
) -> None:
    pair = setup_pair(tmp_path, services)
    pair.ged.stop()  # the push is made by the CLI below; the server's scheduler stays out
    contents = file_due_dossiers_offline(pair)
    dossier = next(iter(contents))
    relay = SlowRelay(pair.sae.port)
    relay_factory.append(relay)
    config = Path(pair.ged_env["GEDSAE_HOME"]) / "config.toml"
    direct = f"http://127.0.0.1:{pair.sae.port}"
    config.write_text(
        config.read_text().replace(direct, f"http://127.0.0.1:{relay.port}"), encoding="utf-8"
    )
    process = subprocess.Popen(  # the operator's command, killed halfway through its upload
        [sys.executable, "-m", "ged", "transfers", "send", "ad35", dossier],
        env={**os.environ, **pair.ged_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: relay.forwarded > 512 * 1024, "envoi commencé")
    process.kill()
    process.wait(timeout=10)
    ged_home = Path(pair.ged_env["GEDSAE_HOME"])
    mids = transfer_ids(ged_home)
    assert len(mids) == 1
    mid = mids[0]
    assert ged_row(ged_home, mid)[0] == "prepared"  # the push never finished
    assert all(m != mid or s != "awaiting_review" for m, s in sae_transfers(pair.sae_home))

    # restart: the operator polls the transfer, which resends under the same identifier
    config.write_text(
        config.read_text().replace(f"http://127.0.0.1:{relay.port}", direct), encoding="utf-8"
    )
    gedsae_cli(pair.ged_env, "transfers", "poll", mid, check=False)
    wait_for(lambda: ged_row(ged_home, mid)[0] in ("sent", "acknowledged"), "renvoi fait")
    gedsae_cli(pair.ged_env, "transfers", "poll", mid, check=False)  # a second try: no double
    assert [m for m, _ in sae_transfers(pair.sae_home)].count(mid) == 1
    with httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60) as sae:
        decide(sae, mid, "accept", "Conforme")
    gedsae_cli(pair.ged_env, "transfers", "poll", mid, check=False)
    assert ged_row(ged_home, mid)[0] == "accepted"
    assert len(stored_copies(pair.sae_home, contents[dossier])) == 2


def transfer_ids(ged_home: Path) -> list[str]:
    with closing(sqlite3.connect(ged_home / "gedsae.db")) as db:
        return [row[0] for row in db.execute("SELECT message_identifier FROM transfers")]


def file_due_dossiers_offline(pair: Pair) -> dict[str, bytes]:
    """``file_due_dossiers`` needs the GED's HTTP API: start it for the filing, then stop it."""
    pair.ged.start()
    try:
        return file_due_dossiers(pair, ["Registres matricules"], repeat=100_000)  # ~4 MB
    finally:
        pair.ged.stop()


@pytest.mark.slow
def test_kill9_of_the_repository_during_an_ingest_then_resend_makes_one_archive(
    tmp_path: Path, services: list[Service]
) -> None:
    pair = setup_pair(tmp_path, services)
    contents = file_due_dossiers(pair, ["Registres de délibérations"])
    dossier = next(iter(contents))
    ged_home = Path(pair.ged_env["GEDSAE_HOME"])
    # the repository dies while a package arrives: a raw upload held open by a slow body
    quarantine = pair.sae_home / "quarantine"

    def slow_body() -> Iterator[bytes]:
        yield b"PK\x03\x04" + b"\0" * CHUNK
        while True:
            time.sleep(0.05)
            yield b"\0" * CHUNK

    def upload() -> None:
        try:
            httpx.post(
                f"{pair.sae.base_url}/api/v1/sae/transfers",
                content=slow_body(),
                headers={
                    "Authorization": f"Bearer {(tmp_path / 'ged-token').read_text()}",
                    "Content-Type": "application/zip",
                    "Idempotency-Key": "KILLED-1",
                    "X-Transferring-Agency": "SERVICE-A",
                },
                timeout=30,
            )
        except httpx.HTTPError:
            return

    threading.Thread(target=upload, daemon=True).start()
    wait_for(lambda: any(quarantine.glob("*")), "paquet en cours de réception")
    pair.sae.kill()
    assert any(quarantine.glob("*"))  # a partial package was left behind by the kill
    pair.sae.start()
    assert not any(p.is_file() for p in quarantine.rglob("*")), list(quarantine.rglob("*"))
    assert all(m != "KILLED-1" for m, _ in sae_transfers(pair.sae_home))

    # a real transfer during which the repository is killed and restarted: resent, one archive
    with httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60) as ged:
        started = ged.post(
            "/api/v1/transfers", json={"agreement": "ad35", "dossier_ids": [dossier]}
        ).json()
        mid = started["message_identifier"]
        pair.sae.kill()
        pair.sae.start()
        with httpx.Client(base_url=pair.sae.base_url, headers=pair.archivist, timeout=60) as sae:
            decide(sae, mid, "accept", "Conforme")
        wait_for(
            lambda: ged.get(f"/api/v1/transfers/{mid}").json()["state"] == "accepted",
            "réponse collectée après le redémarrage",
        )
        assert lifecycle_phase(ged, dossier) == "permanent"
    assert [m for m, _ in sae_transfers(pair.sae_home)].count(mid) == 1
    assert len(stored_copies(pair.sae_home, contents[dossier])) == 2
    assert ged_row(ged_home, mid)[0] == "accepted"
