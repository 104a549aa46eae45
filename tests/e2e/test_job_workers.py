"""Two ``gedsae-sae worker`` processes share the repository's PostgreSQL queue beside the
serving process; one is killed (kill -9) in the middle of the checks of a large transfer, and
the other takes the job up once the killed one has gone silent: the transfer ends checked,
once. The archivist's acceptances are then written by the surviving worker, and
``gedsae-sae jobs`` shows every job succeeded."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from connectors.sae_http import SaeHttpConnector
from sae.jobs.queue import libpq_url
from seda.disk_import import transfer_from_directory
from seda.sip import write_sip
from seda.versions import SedaVersion
from tests.e2e.test_two_processes import wait_for
from tests.fixtures.processes import SAE, Service, new_port, sae_cli
from tests.fixtures.sae import APPLICATION, OWNER, PostgresPlatform
from tests.fixtures.seda_corpus import shared_path

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
BIG_BYTES = 160 * 1024 * 1024  # long enough checks to be killed in the middle of them


@pytest.fixture
def empty_postgres(sae_postgres: PostgresPlatform) -> Iterator[tuple[str, str]]:
    name = "sae_jobs_" + uuid.uuid4().hex[:8]
    with sae_postgres.admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" OWNER {OWNER} TEMPLATE template0')
    yield sae_postgres.url(APPLICATION, name), sae_postgres.url(OWNER, name)
    with sae_postgres.admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sip_of(tmp_path: Path, mid: str, size: int) -> Path:
    root = tmp_path / f"tree-{mid}"
    root.mkdir()
    with (root / "registre.bin").open("wb") as out:
        block = os.urandom(1024 * 1024)
        for _ in range(max(1, size // len(block))):
            out.write(block)
    (root / "note.txt").write_text(f"Versement {mid}\n")
    built = transfer_from_directory(
        root, SedaVersion.V2_2, message_identifier=mid, archival_agency="ARCH",
        transferring_agency="SERVICE-A", archival_agreement="AGR-1",
    )  # fmt: skip
    sip = tmp_path / f"{mid}.zip"
    write_sip(sip, built.transfer, built.members)
    return sip


class Worker:
    def __init__(self, env: dict[str, str], name: str, log: Path) -> None:
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    *SAE,
                    "worker",
                    "--name",
                    name,
                    "--no-periodic",
                ],  # the jobs counted, whatever the hour
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def holds(self, path: Path) -> bool:
        """Whether the worker has ``path`` open: it is checking that package."""
        folder = Path(f"/proc/{self.process.pid}/fd")
        try:
            return any(os.path.realpath(fd) == str(path) for fd in folder.iterdir())
        except OSError:
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def test_a_killed_workers_job_is_taken_up_by_the_other(
    tmp_path: Path, services: list[Service], empty_postgres: tuple[str, str]
) -> None:
    application, owner = empty_postgres
    home, port = tmp_path / "sae", new_port()
    env = {"GEDSAE_SAE_HOME": str(home)}
    sae_cli(env, "init", "--organisation", "ARCH", "--port", str(port),
            "--schemas-from", str(shared_path("official")))  # fmt: skip
    with (home / "sae.toml").open("a", encoding="utf-8") as config:
        config.write(
            f'\n[database]\nurl = "{application}"\nowner_url = "{owner}"\n\n'
            '[jobs]\nqueue = "postgresql"\nheartbeat_s = 0.5\nstalled_after_s = 3\n'
        )
    sae_cli(env, "db", "upgrade")
    sae_cli(env, "agreements", "put", "AGR-1", "--agency", "SERVICE-A", "--seda", "2.2")
    token = sae_cli(env, "token", "create", "ged", "--role", "transferring").strip()
    archivist = sae_cli(env, "token", "create", "alice", "--role", "archivist").strip()
    server = Service("sae", ("serve",), env, port, "/api/v1/sae/health", tmp_path / "sae.log", SAE)
    services.append(server)
    server.start()
    workers = [Worker(env, f"w{i}", tmp_path / f"worker-{i}.log") for i in (1, 2)]
    try:
        with httpx.Client(timeout=120) as http:
            connector = SaeHttpConnector(server.base_url, token, http)
            small = [sip_of(tmp_path, f"TR-SMALL-{i}", 1024) for i in range(3)]
            for i, sip in enumerate(small):
                connector.submit(sip, message_identifier=f"TR-SMALL-{i}",
                                 transferring_agency="SERVICE-A", manifest_digest=None)  # fmt: skip
            connector.submit(
                sip_of(tmp_path, "TR-BIG", BIG_BYTES), message_identifier="TR-BIG",
                transferring_agency="SERVICE-A", manifest_digest=None,
            )  # fmt: skip
            review = httpx.Client(base_url=server.base_url, timeout=60,
                                  headers={"Authorization": f"Bearer {archivist}"})  # fmt: skip
            with review:
                # the largest package of the quarantine area is the big transfer's
                package = max((home / "quarantine").iterdir(), key=lambda p: p.stat().st_size)
                busy = wait_for(
                    lambda: next((w for w in workers if w.holds(package)), None),
                    "un worker contrôle le grand versement",
                )
                busy.kill()  # mid-job: its job stays "doing" until it is found silent
                assert busy.process.returncode == -9

                def checked() -> list[dict[str, object]]:
                    listed = review.get("/api/v1/sae/review/transfers").json()
                    done = [t for t in listed if t["state"] == "awaiting_review"]
                    return done if len(done) == 4 else []

                done = wait_for(checked, "les quatre versements contrôlés")
                assert all(t["checks_passed"] for t in done), done
                for transfer in done:  # the archives are written by the surviving worker
                    url = f"/api/v1/sae/review/transfers/{transfer['transfer_id']}"
                    assert review.post(f"{url}/accept", json={}).status_code == 202

                def written() -> bool:
                    states = [
                        review.get(f"/api/v1/sae/review/transfers/{t['transfer_id']}").json()
                        for t in done
                    ]
                    return all(shown["state"] == "accepted" for shown in states)

                wait_for(written, "les quatre versements archivés")
        summary = sae_cli(env, "jobs")
        assert "succeeded : 8" in summary and "échec" not in summary, summary
        with psycopg.connect(libpq_url(owner)) as conn:
            attempts = sorted(
                int(a) for (a,) in conn.execute("SELECT attempts FROM sae_jobs.procrastinate_jobs")
            )
        assert attempts == [1, 1, 1, 1, 1, 1, 1, 2]  # the killed worker's job ran again, once
    finally:
        for worker in workers:
            worker.stop()
