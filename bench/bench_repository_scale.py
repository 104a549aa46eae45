"""A regional syndicat's repository, measured: many tenants, concurrent GEDs, on PostgreSQL with
the serving process, two workers and two storage offers, all real processes on this machine.

    .venv/bin/python bench/bench_repository_scale.py [--tenants 2000] [--senders 50]
        [--transfers 60] [--units 100] [--catalogue 1000000] [--out FILE]

Setup (not timed): a private PostgreSQL cluster (Debian's binaries, as the tests use), the
owner's and the application's roles, ``gedsae-sae db upgrade``; ``--tenants`` tenants, each with
an agreement, a sender's token and an archivist's token (written through the repository's own
use cases); ``--transfers`` SIPs of ``--units`` archive units each (a folder of small files:
one unit per folder and per file), built before the clock starts. Then ``gedsae-sae serve`` and
two ``gedsae-sae worker`` processes (``[jobs] queue = "postgresql"``), two filesystem offers.

Timed, twice — all transfers to one tenant, then spread over every tenant:
``--senders`` threads play as many GEDs: each submits its transfers over HTTP
(``SaeHttpConnector``), waits for the workers' checks, and accepts as the tenant's archivist
(the acceptance writes every object to both offers and the catalogue). Reported: archive units
ingested per hour end to end (first submission to last acceptance), p50/p95 of an acceptance
(the archivist's request until the archive is written by a worker), each stage's share (upload,
waiting for checks, acceptance), and the ratio of the
many-tenant throughput to the one-tenant one (goal: within 10 %).

Then ``--catalogue`` units are generated directly into the catalogue (SQL ``INSERT … SELECT``
over ``generate_series``, titles drawn from the same vocabulary, spread over the tenants) and the
catalogue search API is timed (300 queries of a rare, a mid-frequency and a very common word,
as one tenant's archivist): p50/p95 (goal < 50 ms at 1,000,000 units), plus the index sizes.
Peak RSS (VmHWM) of the serving process and of each worker. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.sae_http import SaeHttpConnector  # noqa: E402
from sae.adapters.db import open_database  # noqa: E402
from sae.jobs.queue import libpq_url  # noqa: E402
from sae.model import ArchivalAgreement  # noqa: E402
from sae.tenancy.setup import put_agreement  # noqa: E402
from sae.tenancy.tenants import create_tenant  # noqa: E402
from sae.tokens import issue_token  # noqa: E402
from seda.disk_import import transfer_from_directory  # noqa: E402
from seda.sip import write_sip  # noqa: E402
from seda.versions import SedaVersion  # noqa: E402
from tests.fixtures.postgres import find_bin_dir, temporary_cluster  # noqa: E402

SAE = [sys.executable, "-m", "sae"]
WORDS = ["délibération", "conseil", "municipal", "budget", "voirie", "école", "cadastre",
         "urbanisme", "permis", "marché", "subvention", "personnel", "élection", "état-civil"]  # fmt: skip
RARE, MID, COMMON = "ornithorynque", "cadastre", "archives"


@dataclass
class Tenant:
    identifier: str
    sender: str
    archivist: str


@dataclass
class Phase:
    name: str
    units: int = 0
    seconds: float = 0.0
    acceptance_ms: list[float] = field(default_factory=list)
    stages: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("upload", "checks", "accept"), 0.0)
    )

    @property
    def units_per_hour(self) -> float:
        return self.units / self.seconds * 3600 if self.seconds else 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def rss_peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def platform(tmp: Path) -> Iterator[tuple[str, str]]:
    bindir = find_bin_dir()
    if bindir is None:
        raise SystemExit("PostgreSQL introuvable : scripts/ensure-test-services l'installe")
    with temporary_cluster(bindir) as server:
        admin = psycopg.connect(libpq_url(server) + "/postgres", autocommit=True)
        with admin:
            for role in ("sae_owner", "sae_app"):
                admin.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
            admin.execute("CREATE DATABASE sae OWNER sae_owner TEMPLATE template0")
        app = server.replace("//gedsae@", "//sae_app@") + "/sae"
        owner = server.replace("//gedsae@", "//sae_owner@") + "/sae"
        yield app, owner


def write_config(home: Path, port: int, app: str, owner: str) -> dict[str, str]:
    env = {**os.environ, "GEDSAE_SAE_HOME": str(home)}
    subprocess.run([*SAE, "init", "--organisation", "T0000", "--port", str(port),
                    "--schemas-from", str(ROOT.parent / "shared" / "seda" / "official")],
                   env=env, check=True, capture_output=True)  # fmt: skip
    with (home / "sae.toml").open("a", encoding="utf-8") as config:
        config.write(
            f'\n[database]\nurl = "{app}"\nowner_url = "{owner}"\n\n[jobs]\nqueue = "postgresql"\n'
        )
    subprocess.run([*SAE, "db", "upgrade"], env=env, check=True, capture_output=True)
    return env


def make_tenants(app: str, owner: str, count: int) -> list[Tenant]:
    db = open_database(app, owner_url=owner)
    agreement_versions = frozenset({SedaVersion.V2_2})
    made = []
    try:
        for i in range(count):
            identifier = f"T{i:04d}"
            if i:
                create_tenant(db, identifier, f"Commune {i}", actor="bench")
            agreement = ArchivalAgreement(identifier, frozenset({"SERVICE-A"}), agreement_versions)
            put_agreement(db, identifier, "AGR-1", agreement, actor="bench")
            sender, _ = issue_token(db, identifier, "transferring", "ged", actor="bench")
            archivist, _ = issue_token(db, identifier, "archivist", "alice", actor="bench")
            made.append(Tenant(identifier, sender, archivist))
    finally:
        db.dispose()
    return made


def build_sips(folder: Path, agencies: list[str], units: int) -> list[tuple[str, Path]]:
    """One SIP per agency named (the tenant it goes to is its ArchivalAgency)."""
    tree = folder / "tree"
    (tree / "dossier").mkdir(parents=True)
    for i in range(units - 2):  # the root folder, the sub-folder, then one unit per file
        words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(6))
        (tree / "dossier" / f"piece-{i:05d}.txt").write_text(f"{words} {i}\n" * 20)
    sips = []
    for n, agency in enumerate(agencies):
        mid = f"TR-{uuid.uuid4()}"
        built = transfer_from_directory(
            tree, SedaVersion.V2_2, message_identifier=mid, archival_agency=agency,
            transferring_agency="SERVICE-A", archival_agreement="AGR-1",
        )  # fmt: skip
        sip = folder / f"sip-{n:04d}.zip"
        write_sip(sip, built.transfer, built.members)
        sips.append((mid, sip))
    return sips


def run_phase(
    base: str, name: str, jobs: list[tuple[Tenant, str, Path]], senders: int, units: int
) -> Phase:
    phase, lock = Phase(name), threading.Lock()

    def one(job: tuple[Tenant, str, Path]) -> None:
        tenant, mid, sip = job
        with httpx.Client(base_url=base, timeout=600) as http:
            connector = SaeHttpConnector(base, tenant.sender, http)
            t0 = time.perf_counter()
            submission = connector.submit(sip, message_identifier=mid,
                                          transferring_agency="SERVICE-A", manifest_digest=None)  # fmt: skip
            t1 = time.perf_counter()
            archivist = {"Authorization": f"Bearer {tenant.archivist}"}
            url = f"/api/v1/sae/review/transfers/{submission.remote_reference}"
            while http.get(url, headers=archivist).json().get("state") != "awaiting_review":
                time.sleep(0.05)
            t2 = time.perf_counter()
            accepted = http.post(f"{url}/accept", json={"comment": "banc"}, headers=archivist)
            if accepted.status_code not in (200, 202):  # 202: a worker writes the archive
                raise RuntimeError(f"{mid}: {accepted.status_code} {accepted.text[:300]}")
            while http.get(url, headers=archivist).json().get("state") != "accepted":
                time.sleep(0.05)
            t3 = time.perf_counter()
        with lock:
            phase.units += units
            phase.acceptance_ms.append((t3 - t2) * 1000)
            for stage, seconds in zip(
                ("upload", "checks", "accept"), (t1 - t0, t2 - t1, t3 - t2), strict=True
            ):
                phase.stages[stage] += seconds

    start = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(one, jobs))
    phase.seconds = time.perf_counter() - start
    return phase


def fill_catalogue(owner: str, tenants: list[Tenant], count: int) -> float:
    """``count`` units spread over the tenants, as the owner (row-level security forced: the
    owner sets each tenant in turn, one INSERT … SELECT per tenant)."""
    per_tenant = max(1, count // len(tenants))
    start = time.perf_counter()
    with psycopg.connect(libpq_url(owner)) as conn:
        for tenant in tenants:
            conn.execute("SELECT set_config('gedsae.tenant', %s, true)", (tenant.identifier,))
            conn.execute(
                "INSERT INTO catalogue_units (tenant, archive_id, transfer_id, message_identifier,"
                " unit_id, position, description_level, title, description, archived_at)"
                " SELECT %(t)s, 'gen-' || g, 'gen', 'gen', 'AU_' || g, g, 'Item',"
                " (%(w)s::text[])[1 + g %% 14] || ' ' || (%(w)s::text[])[1 + (g / 14) %% 14]"
                " || ' ' || g, (%(w)s::text[])[1 + (g / 196) %% 14] || ' archives'"
                " || CASE WHEN g %% 50000 = 7 THEN ' ' || %(rare)s ELSE '' END, now()"
                " FROM generate_series(1, %(n)s) AS g",
                {"t": tenant.identifier, "n": per_tenant, "w": WORDS, "rare": RARE},
            )
            conn.execute(
                "INSERT INTO catalogue_search (unit_pk, tenant, tsv) SELECT pk, tenant,"
                " to_tsvector('gedsae_sae', title || ' ' || description) FROM catalogue_units"
                " WHERE tenant = %s AND transfer_id = 'gen'",
                (tenant.identifier,),
            )
            conn.commit()
        conn.execute("ANALYZE")
    return time.perf_counter() - start


def time_search(base: str, tenant: Tenant, queries: int) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    with httpx.Client(
        base_url=base, timeout=60, headers={"Authorization": f"Bearer {tenant.archivist}"}
    ) as http:
        for word in (RARE, MID, COMMON):
            times = []
            for _ in range(queries // 3):
                t0 = time.perf_counter()
                answer = http.get("/api/v1/sae/archives", params={"q": word})
                times.append((time.perf_counter() - t0) * 1000)
                answer.raise_for_status()
            found[word] = {
                "p50_ms": round(percentile(times, 0.5), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
            }
    return found


def index_sizes(owner: str) -> dict[str, str]:
    with psycopg.connect(libpq_url(owner)) as conn:
        rows = conn.execute(
            "SELECT relname, pg_size_pretty(pg_relation_size(oid)) FROM pg_class"
            " WHERE relname IN ('catalogue_units', 'catalogue_search', 'ix_catalogue_search_tsv',"
            " 'uq_catalogue_units_tenant')"
        ).fetchall()
    return {str(name): str(size) for name, size in rows}


def stop(processes: list[subprocess.Popen[bytes]], logs: Path) -> dict[str, str]:
    """SIGTERM to each; how each ended (a process still there after 30 s is killed, and its log's
    end is printed)."""
    for process in processes:
        process.terminate()
    ended = {}
    for name, process in zip(("serve", "w1", "w2"), processes, strict=True):
        try:
            process.wait(timeout=30)
            ended[name] = f"arrêté ({process.returncode})"
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            ended[name] = "tué après 30 s"
            log = logs / ("serve.log" if name == "serve" else f"{name}.log")
            print(f"--- {name} ---\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
    return ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--transfers", type=int, default=60)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--catalogue", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    report: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
    with (
        tempfile.TemporaryDirectory(prefix="bench-scale-") as name,
        platform(Path(name)) as (app, owner),
    ):
        tmp, port = Path(name), 18_000 + os.getpid() % 1000
        env = write_config(tmp / "sae", port, app, owner)
        t0 = time.perf_counter()
        tenants = make_tenants(app, owner, args.tenants)
        report["setup_tenants_s"] = round(time.perf_counter() - t0, 1)
        targets = [tenants[0]] * args.transfers
        targets += [tenants[i % len(tenants)] for i in range(args.transfers)]
        sips = build_sips(tmp / "sips", [t.identifier for t in targets], args.units)
        logs = tmp / "logs"
        logs.mkdir()
        processes = [
            subprocess.Popen(
                [*SAE, "serve"],
                env=env,
                stdout=(logs / "serve.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
        ]
        processes += [
            subprocess.Popen(
                [*SAE, "worker", "--name", f"w{i}"],
                env=env,
                stdout=(logs / f"w{i}.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
            for i in (1, 2)
        ]
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"{base}/api/v1/sae/health", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.3)
            one = [(tenants[0], mid, sip) for mid, sip in sips[: args.transfers]]
            many = [
                (tenants[i % len(tenants)], mid, sip)
                for i, (mid, sip) in enumerate(sips[args.transfers :])
            ]
            phases = [run_phase(base, "1 tenant", one, args.senders, args.units),
                      run_phase(base, f"{args.tenants} tenants", many, args.senders, args.units)]  # fmt: skip
            for phase in phases:
                total = sum(phase.stages.values()) or 1.0
                report[phase.name] = {
                    "archive_units": phase.units,
                    "seconds": round(phase.seconds, 1),
                    "units_per_hour": round(phase.units_per_hour),
                    "acceptance_p50_ms": round(percentile(phase.acceptance_ms, 0.5)),
                    "acceptance_p95_ms": round(percentile(phase.acceptance_ms, 0.95)),
                    "stage_share": {k: f"{v / total:.0%}" for k, v in phase.stages.items()},
                }
            report["many_over_one"] = round(phases[1].units_per_hour / phases[0].units_per_hour, 3)
            report["catalogue_fill_s"] = round(fill_catalogue(owner, tenants, args.catalogue), 1)
            report["catalogue_units"] = args.catalogue
            report["search"] = time_search(base, tenants[1 % len(tenants)], args.queries)
            report["sizes"] = index_sizes(owner)
            report["peak_rss_mib"] = {
                name: round(rss_peak_mib(p.pid), 1)
                for name, p in zip(("serve", "worker 1", "worker 2"), processes, strict=True)
            }
        finally:
            report["stopped"] = stop(processes, logs)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
