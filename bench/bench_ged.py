"""End-to-end benchmarks of the GED (issue 2), each against references measured in the same run.

    .venv/bin/python bench/bench_ged.py big    [--size 2G]       # one file: import and API upload
    .venv/bin/python bench/bench_ged.py small  [--count 10000]   # many small files: import
    .venv/bin/python bench/bench_ged.py search [--docs 100000] [--db sqlite,postgres]

References: ``sha256sum; sha512sum`` (slow here: coreutils lacks the SHA instructions),
``cp FILE COPY && sync`` (the durable-copy floor), hashlib with one thread per digest, ``cp -r
DIR COPY && sync`` and bagit-python (no fsync) for small files. The GED runs as real processes
(`gedsae import`, `gedsae serve`) on a fresh home; peak RSS is read from the kernel (ru_maxrss of
the child, VmHWM of the server). Absolute times drift by ±30 % between runs on this machine:
read the ratios. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_blobstore import make_big_file, parse_size
from sqlalchemy import Engine

from ged.adapters.db.uow import SqlUnitOfWork
from ged.domain.model import Dossier, Service

VENV_BIN = Path(sys.executable).parent
GEDSAE = str(VENV_BIN / "gedsae")
MIB = 1024 * 1024


def timed(command: list[str] | str, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, shell=isinstance(command, str), env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {command}")
    return elapsed, usage.ru_maxrss / 1024


def fresh_home(work: Path, name: str, **settings: str) -> dict[str, str]:
    """A new instance in ``work/name``; ``settings`` as ``GEDSAE_*`` variables
    (``database_url="postgresql+psycopg://…"``)."""
    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    env = {**os.environ, "GEDSAE_HOME": str(home)}
    env |= {f"GEDSAE_{key.upper()}": value for key, value in settings.items()}
    subprocess.run(
        [GEDSAE, "init", "--organisation-name", "Commune de Banc d'Essai"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [GEDSAE, "services", "create", "Bench", "FR_BENCH"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run("sync", check=True)
    return env


def admin_token(env: dict[str, str], name: str = "admin") -> str:
    """An API token of ``name`` (the administrator by default)."""
    out = subprocess.run(
        [GEDSAE, "tokens", "create", name, "--label", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def hashlib_step(path: Path) -> None:
    import hashlib
    import threading

    def digest(name: str) -> None:
        h = hashlib.new(name)
        with path.open("rb") as f:
            while block := f.read(MIB):
                h.update(block)

    threads = [threading.Thread(target=digest, args=(n,)) for n in ("sha256", "sha512")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def report(title: str, rows: dict[str, tuple[float, float]], base: str) -> None:
    print(f"\n## {title}")
    print(f"| what | seconds | peak RSS MiB | ratio to {base} |")
    print("|---|---|---|---|")
    for name, (secs, rss) in rows.items():
        print(f"| {name} | {secs:.2f} | {rss:.0f} | {secs / rows[base][0]:.2f}× |")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server(env: dict[str, str]) -> Iterator[tuple[str, int]]:
    port = free_port()
    proc = subprocess.Popen(
        [GEDSAE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield base, proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def upload(base: str, token: str, path: Path) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    services = httpx.get(base + "/api/v1/services", headers=headers).json()
    dossier = httpx.post(
        base + "/api/v1/dossiers",
        headers=headers,
        json={"service_id": services[0]["id"], "title": "Bench"},
    ).json()

    def body() -> Iterator[bytes]:
        with path.open("rb") as f:
            while block := f.read(MIB):
                yield block

    headers |= {
        "Content-Type": "application/octet-stream",
        "Content-Length": str(path.stat().st_size),
    }
    start = time.perf_counter()
    response = httpx.post(
        f"{base}/api/v1/dossiers/{dossier['id']}/documents",
        headers=headers,
        content=body(),
        params={"filename": path.name},
        timeout=600,
    )
    elapsed = time.perf_counter() - start
    response.raise_for_status()
    return elapsed


def bench_big(work: Path, size: int) -> None:
    source_dir = work / "big"
    source_dir.mkdir(exist_ok=True)
    source = source_dir / "big.bin"
    if not source.exists() or source.stat().st_size != size:
        make_big_file(source, size)
    rows: dict[str, tuple[float, float]] = {}
    rows["sha256sum; sha512sum"] = timed(
        f"sha256sum {source} >/dev/null; sha512sum {source} >/dev/null"
    )
    copy = work / "copy.bin"
    rows["cp FILE COPY && sync"] = timed(f"cp {source} {copy} && sync")
    copy.unlink()
    rows["hashlib, both digests, a thread each"] = timed(
        [sys.executable, __file__, "_hash", str(source)]
    )
    env = fresh_home(work, "home-big")
    rows["gedsae import (2 digests, fsync, Siegfried, extraction, index)"] = timed(
        [GEDSAE, "import", str(source_dir), "--service", "FR_BENCH"], env
    )
    env = fresh_home(work, "home-upload")
    token = admin_token(env)
    for base, pid in server(env):
        secs = upload(base, token, source)
        rows["API upload (gedsae serve, server RSS)"] = (secs, vm_hwm_mib(pid))
    report(f"One file of {size / MIB:.0f} MiB", rows, "sha256sum; sha512sum")
    print(
        f"\nratio to cp+sync: import {rows['gedsae import (2 digests, fsync, Siegfried, extraction, index)'][0] / rows['cp FILE COPY && sync'][0]:.2f}×, upload {rows['API upload (gedsae serve, server RSS)'][0] / rows['cp FILE COPY && sync'][0]:.2f}×"
    )


def make_mixed_corpus(directory: Path, count: int) -> None:
    """Like a service's shared drive: 20 folders; 60 % French text, 20 % two-page PDFs, 20 %
    opaque binaries; 4–64 KiB each."""
    from tests.fixtures.hostile_pdfs import text_pdf

    rng = random.Random(10_000)
    pdf = text_pdf(["Délibération du conseil municipal " * 40, "Budget primitif " * 60])
    for index in range(count):
        folder = directory / f"dossier-{index % 20:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rng.randint(4 * 1024, 64 * 1024)
        kind = rng.random()
        if kind < 0.6:
            text = " ".join(rng.choices(WORDS, k=size // 8)).encode()[:size]
            (folder / f"note-{index:05d}.txt").write_bytes(text)
        elif kind < 0.8:
            (folder / f"acte-{index:05d}.pdf").write_bytes(
                pdf + b"%" + os.urandom(size // 4).hex().encode() + b"\n"
            )
        else:
            (folder / f"piece-{index:05d}.bin").write_bytes(os.urandom(size))
    subprocess.run(["sync"], check=True)


def bench_small(work: Path, count: int) -> None:
    corpus = work / f"small-{count}"
    if not corpus.exists():
        make_mixed_corpus(corpus, count)
    rows: dict[str, tuple[float, float]] = {}
    copy = work / "small-copy"
    shutil.rmtree(copy, ignore_errors=True)
    rows["cp -r DIR COPY && sync"] = timed(f"cp -r {corpus} {copy} && sync")
    shutil.rmtree(copy, ignore_errors=True)
    try:
        import bagit  # noqa: F401

        rows["bagit-python make_bag sha256+sha512 (no fsync)"] = timed(
            [sys.executable, __file__, "_bag", str(corpus), str(copy)]
        )
        shutil.rmtree(copy, ignore_errors=True)
    except ImportError:
        print("(bagit-python not installed: pip install bagit for that reference)")
    env = fresh_home(work, "home-small")
    rows["gedsae import (durable, hashed, identified, extracted, indexed)"] = timed(
        [GEDSAE, "import", str(corpus), "--service", "FR_BENCH"], env
    )
    env = fresh_home(work, "home-small-noproc")
    rows["gedsae import --no-process (durable, hashed, indexed)"] = timed(
        [GEDSAE, "import", str(corpus), "--service", "FR_BENCH", "--no-process"], env
    )
    report(f"{count} small files (4–64 KiB)", rows, "cp -r DIR COPY && sync")


WORDS = [
    w.strip()
    for w in [
        "archives",
        "budget",
        "conseil",
        "municipal",
        "délibération",
        "marché",
        "public",
        "travaux",
        "voirie",
        "école",
        "cantine",
        "personnel",
        "carrière",
        "recrutement",
        "arrêté",
        "permis",
        "construire",
        "urbanisme",
        "cadastre",
        "élection",
        "scrutin",
        "état",
        "civil",
        "naissance",
        "mariage",
        "décès",
        "comptabilité",
        "mandat",
        "titre",
        "recette",
        "dépense",
        "subvention",
        "association",
        "culture",
        "patrimoine",
        "bibliothèque",
        "musée",
        "sport",
        "stade",
        "piscine",
        "eau",
        "assainissement",
        "déchets",
        "collecte",
        "transport",
        "scolaire",
        "social",
        "logement",
        "santé",
        "environnement",
        "énergie",
        "éclairage",
        "réseau",
        "informatique",
        "téléphonie",
        "assurance",
        "contentieux",
        "tribunal",
        "avocat",
        "convention",
        "partenariat",
        "contrat",
        "avenant",
        "facture",
        "devis",
        "commande",
        "livraison",
        "réception",
        "inventaire",
        "matériel",
        "véhicule",
        "entretien",
        "bâtiment",
        "chauffage",
        "sécurité",
        "incendie",
    ]
]


def bench_search(work: Path, docs: int, databases: list[str]) -> None:
    for db in databases:
        if db == "sqlite":
            url = f"sqlite:///{work / 'search.db'}"
            (work / "search.db").unlink(missing_ok=True)
            run_search(url, docs, "SQLite FTS5")
        else:
            from tests.fixtures.postgres import create_database, find_bin_dir, temporary_cluster

            bindir = find_bin_dir()
            if bindir is None:
                print("PostgreSQL not installed: skipped")
                continue
            with temporary_cluster(bindir) as server_url:
                run_search(create_database(server_url), docs, "PostgreSQL GIN tsvector")


@dataclass
class Corpus:
    """What ``load_corpus`` wrote: the organisation's services and dossiers, the vocabulary and
    the random generator that made the words (queries draw from them too)."""

    engine: Engine
    organisation_id: str
    services: list[Service]
    dossiers: list[Dossier]
    vocabulary: list[str]
    rng: random.Random
    seconds: float


def load_corpus(
    url: str, docs: int, sizes: list[int] | None = None, organisation_id: str | None = None
) -> Corpus:
    """``docs`` documents of 300 words from a Zipf-like vocabulary (like real prose: a few very
    common words, a long tail), each with a five-word title, a date from 2000 to 2024 and a
    current version (text, extraction done; no blob is written), indexed for search. They go
    into dossiers of ``sizes`` documents each, in order (default: five equal dossiers), spread
    over five services; in a new organisation, or ``organisation_id`` (made by ``gedsae init``).
    """
    from ged.adapters.db.engine import make_engine, migrate
    from ged.adapters.db.uow import SqlUnitOfWork

    sizes = sizes or [docs // 5 + (i < docs % 5) for i in range(5)]
    rng = random.Random(42)
    vocabulary = WORDS + [f"terme{i:05d}" for i in range(30_000)]
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))
    engine = make_engine(url)
    migrate(engine)
    now = datetime.now(UTC)
    start = time.perf_counter()
    with SqlUnitOfWork(engine, lambda: now) as uow:
        org_id, services, dossiers = _skeleton(uow, sizes, organisation_id, now)
        uow.commit()
    owners = [d for d, size in zip(dossiers, sizes, strict=True) for _ in range(size)][:docs]
    for first in range(0, docs, 2000):
        with SqlUnitOfWork(engine, lambda: now) as uow:
            batch = owners[first : first + 2000]
            _add_documents(
                uow, batch, lambda k: rng.choices(vocabulary, cum_weights=cumulative, k=k), rng, now
            )
            uow.commit()
    seconds = time.perf_counter() - start
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return Corpus(engine, org_id, services, dossiers, vocabulary, rng, seconds)


def _skeleton(
    uow: SqlUnitOfWork, sizes: list[int], organisation_id: str | None, now: datetime
) -> tuple[str, list[Service], list[Dossier]]:
    from ged.domain.model import Organisation
    from ged.services.context import new_id

    if organisation_id is None:
        organisation_id = new_id()
        uow.repo.add_organisation(Organisation(organisation_id, "bench", now))
    services = [Service(new_id(), organisation_id, f"S{i}", f"FR_S{i}") for i in range(5)]
    for svc in services:
        uow.repo.add_service(svc)
    dossiers = []
    for i in range(len(sizes)):
        svc = services[i % len(services)]
        title = f"D {svc.name}" if len(sizes) == 5 else f"Dossier {i:05d} ({svc.name})"
        dossiers.append(Dossier(new_id(), organisation_id, svc.id, None, title, date(2020, 1, 1)))
    for d in dossiers:
        uow.repo.add_dossier(d, now)
    return organisation_id, services, dossiers


def _add_documents(
    uow: SqlUnitOfWork,
    owners: list[Dossier],
    words: Callable[[int], list[str]],
    rng: random.Random,
    now: datetime,
) -> None:
    from ged.domain.model import Document, ExtractionStatus, Metadata, Version
    from ged.services.context import new_id
    from kernel.blobstore.ports import ContentRef

    made, bodies = [], []
    for d in owners:
        created = date(2000, 1, 1) + timedelta(days=rng.randrange(9000))
        meta = Metadata(title=" ".join(words(5)), created_on=created)
        made.append(Document(new_id(), d.organisation_id, d.id, d.service_id, meta, now, now, 1))
        bodies.append(" ".join(words(300)))
    refs = [
        ContentRef(
            hashlib.sha256(doc.id.encode()).hexdigest(),
            hashlib.sha512(doc.id.encode()).hexdigest(),
            len(body),
        )
        for doc, body in zip(made, bodies, strict=True)
    ]
    pks = uow.repo.add_documents(made)
    uow.repo.ensure_blobs(refs, now)
    uow.repo.add_versions(
        [
            Version(
                doc.id,
                1,
                ref.sha256,
                ref.sha512,
                ref.size,
                "note.txt",
                "text/plain",
                "x-fmt/111",
                "Plain Text File",
                now,
                "bench",
                ExtractionStatus.DONE,
            )
            for doc, ref in zip(made, refs, strict=True)
        ]
    )
    uow.repo.search.index_many(
        [
            (pks[doc.id], {"title": doc.metadata.title, "body": body})
            for doc, body in zip(made, bodies, strict=True)
        ]
    )


def run_search(url: str, docs: int, label: str) -> None:
    from ged.domain.access import Principal
    from ged.domain.model import Role
    from ged.domain.search import SearchQuery

    corpus = load_corpus(url, docs)
    engine, org_id, services = corpus.engine, corpus.organisation_id, corpus.services
    vocabulary, rng, load, now = corpus.vocabulary, corpus.rng, corpus.seconds, datetime.now(UTC)
    principal = Principal(
        "p", "agent", org_id, frozenset({Role.AGENT}), frozenset(s.id for s in services[:2])
    )
    from ged.services.search import search_documents

    class Ctx:
        def uow(self) -> SqlUnitOfWork:
            return SqlUnitOfWork(engine, lambda: now)

    for label_q, pick in (
        ("mid-frequency term (rank 50–5,000)", lambda: vocabulary[rng.randrange(50, 5000)]),
        ("common term (rank 0–10)", lambda: vocabulary[rng.randrange(0, 10)]),
    ):
        timings = []
        for _ in range(300):
            lo = date(2000, 1, 1) + timedelta(days=rng.randrange(6000))
            query = SearchQuery(
                organisation_id=org_id,
                text=pick(),
                created_from=lo,
                created_to=lo + timedelta(days=3000),
                limit=20,
            )
            t0 = time.perf_counter()
            search_documents(Ctx(), principal, query)  # type: ignore[arg-type]
            timings.append((time.perf_counter() - t0) * 1000)
        timings.sort()
        p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95)]
        print(
            f"\n## Search, {label}, {docs} documents of 300 words (loaded in {load:.1f} s): {label_q}"
        )
        print(
            "one term + service filter (agent in 2 of 5 services) + date window, ranked, 20 rows, 300 queries"
        )
        print(f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms")
    engine.dispose()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_hash":
        hashlib_step(Path(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_bag":
        import bagit

        shutil.copytree(sys.argv[2], sys.argv[3])
        bagit.make_bag(sys.argv[3], checksums=["sha256", "sha512"])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["big", "small", "search", "all"])
    parser.add_argument("--size", default="2G")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="gedsae-bench-", dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.what in ("big", "all"):
            bench_big(work, parse_size(args.size))
        if args.what in ("small", "all"):
            bench_small(work, args.count)
        if args.what in ("search", "all"):
            bench_search(work, args.docs, args.db.split(","))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
