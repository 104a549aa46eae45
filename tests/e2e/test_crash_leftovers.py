"""What a process killed with kill -9 leaves on disk is removed at the next start, and only that:
the temp files of a live process on the same instance are its own business.

Real ``gedsae serve`` processes on loopback; uploads held open by a slow request body.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ged.adapters.blobstore.tempfiles import is_owner_file
from tests.e2e.test_two_processes import wait_for
from tests.fixtures.processes import Service, gedsae_cli, new_port

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
        tmp = self.home / "blobs" / "tmp"
        return sorted(p for p in tmp.iterdir() if not is_owner_file(p))


def new_instance(tmp_path: Path, services: list[Service]) -> Instance:
    home = tmp_path / "ged"
    env = {"GEDSAE_HOME": str(home), "GEDSAE_EXTRACTION_WORKERS": "1", "TMPDIR": str(tmp_path)}
    token = gedsae_cli(env, "init").strip().splitlines()[-1]
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
