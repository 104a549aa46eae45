"""End-to-end benchmarks of the GED (issue 2), each against references measured in the same run.

    .venv/bin/python bench/bench_ged.py big    [--size 2G]       # one file: import and API upload
    .venv/bin/python bench/bench_ged.py small  [--count 10000]   # many small files: import
    .venv/bin/python bench/bench_ged.py search [--docs 100000] [--db sqlite,postgres] [--queries 300]
        [--references N] [--work DIR --keep]   # --keep: the databases stay in DIR, reused

References: ``sha256sum; sha512sum`` (slow here: coreutils lacks the SHA instructions),
``cp FILE COPY && sync`` (the durable-copy floor), hashlib with one thread per digest, ``cp -r
DIR COPY && sync`` and bagit-python (no fsync) for small files, with what no deposit can go
under: both digests of every file (in one process, then two) and the command's start-up (an
empty folder imported); for search, every match ranked
(the query before the ranked window), run right after each query it is compared with. The GED
runs as real processes (`gedsae import`, `gedsae serve`) on a fresh home; peak RSS is read from
the kernel (ru_maxrss of the child, VmHWM of the server). Absolute times drift by ±30 % between runs on this machine:
read the ratios. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import contextlib
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
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_blobstore import make_big_file, parse_size
from sqlalchemy import Engine, inspect, text

from ged.adapters.db.uow import SqlUnitOfWork
from ged.domain.model import Dossier, Service

VENV_BIN = Path(sys.executable).parent
GEDSAE = str(VENV_BIN / "gedsae")
MIB = 1024 * 1024


def timed(
    command: list[str] | str, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """Wall time, peak RSS (MiB) and CPU time (user + system, with the processes it waited
    for: sandbox workers, Siegfried's) of one child process. On this shared machine the CPU
    time moves far less with the load than the wall time."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, shell=isinstance(command, str), env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {command}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


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


def hash_tree_step(directory: Path, workers: int) -> None:
    """SHA-256 and SHA-512 of every file of ``directory`` (what the deposit must compute), in
    ``workers`` processes: the digests' share of the deposit's floor. Listed by ``os.walk``
    and read by one ``os.read`` each, as the deposit's workers read a small file."""
    from concurrent.futures import ProcessPoolExecutor

    files = [os.path.join(d, f) for d, _, names in os.walk(directory) for f in names]  # noqa: PTH118
    with ProcessPoolExecutor(workers) as pool:
        for _ in pool.map(_digest_files, [files[i::workers] for i in range(workers)]):
            pass


def _digest_files(paths: list[str]) -> None:
    import hashlib

    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            content = os.read(fd, os.fstat(fd).st_size)
        finally:
            os.close(fd)
        hashlib.sha256(content).digest()
        hashlib.sha512(content).digest()


def report(title: str, rows: dict[str, tuple[float, ...]], base: str) -> None:
    print(f"\n## {title} (load: {os.getloadavg()[0]:.1f})")
    print(f"| what | seconds | CPU s | peak RSS MiB | ratio to {base} |")
    print("|---|---|---|---|---|")
    for name, (secs, rss, *cpu) in rows.items():
        cpu_s = f"{cpu[0]:.2f}" if cpu else ""
        print(f"| {name} | {secs:.2f} | {cpu_s} | {rss:.0f} | {secs / rows[base][0]:.2f}× |")


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
    rows: dict[str, tuple[float, ...]] = {}
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
    rows: dict[str, tuple[float, ...]] = {}
    # Copies are removed at the end only: on ext4 without a journal (this machine's disk), a
    # new inode is never one freed in the last minute, and each creation scans past them
    # (fs/ext4/ialloc.c, recently_deleted): right after removing 10,000 files, creating a
    # file costs 0.35-0.7 ms instead of 0.05 ms (measured), which would burden the next row.
    copies = [work / "small-copy", work / "small-bag"]
    for copy in copies:
        shutil.rmtree(copy, ignore_errors=True)
    subprocess.run(["sync"], check=True)  # the floor does not flush what came before
    rows["cp -r DIR COPY && sync"] = timed(f"cp -r {corpus} {copies[0]} && sync")
    try:
        import bagit  # noqa: F401

        rows["bagit-python make_bag sha256+sha512 (no fsync)"] = timed(
            [sys.executable, __file__, "_bag", str(corpus), str(copies[1])]
        )
    except ImportError:
        print("(bagit-python not installed: pip install bagit for that reference)")
    for workers in (1, 2):
        rows[f"SHA-256 + SHA-512 of every file, {workers} process(es) (no write)"] = timed(
            [sys.executable, __file__, "_hash_tree", str(corpus), str(workers)]
        )
    empty = work / "small-empty"
    empty.mkdir(exist_ok=True)
    env = fresh_home(work, "home-small-empty")
    rows["gedsae import of an empty folder (start-up: imports, database, checks)"] = timed(
        [GEDSAE, "import", str(empty), "--service", "FR_BENCH", "--no-process"], env
    )
    env = fresh_home(work, "home-small-noproc")
    acknowledged = "gedsae import --no-process: until durable and acknowledged"
    rows[acknowledged] = timed(
        [GEDSAE, "import", str(corpus), "--service", "FR_BENCH", "--no-process"], env
    )
    env = fresh_home(work, "home-small")
    searchable = "gedsae import: until searchable (then identified, extracted, indexed)"
    rows[searchable] = timed([GEDSAE, "import", str(corpus), "--service", "FR_BENCH"], env)
    for copy in copies:
        shutil.rmtree(copy, ignore_errors=True)
    report(f"{count} small files (4–64 KiB)", rows, "cp -r DIR COPY && sync")
    for name in (acknowledged, searchable):
        print(f"{name}: {count / rows[name][0]:.0f} docs/s")


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


def bench_search(
    work: Path, docs: int, databases: list[str], queries: int, keep: bool, references: int | None
) -> None:
    """``keep``: the databases stay in ``work`` (a SQLite file, a PostgreSQL cluster) and a later
    run with ``--keep`` and the same ``--docs`` searches them again (after running any new
    migration) instead of generating them anew."""
    for db in databases:
        if db == "sqlite":
            path = work / (f"search-{docs}.db" if keep else "search.db")
            if not keep:
                path.unlink(missing_ok=True)
            run_search(f"sqlite:///{path}", docs, "SQLite FTS5", queries, references)
        else:
            from tests.fixtures.postgres import create_database, find_bin_dir, temporary_cluster

            bindir = find_bin_dir()
            if bindir is None:
                print("PostgreSQL not installed: skipped")
                continue
            if keep:
                with kept_cluster(bindir, work / f"pg-{docs}") as server_url:
                    url = f"{server_url}/bench"
                    run_search(url, docs, "PostgreSQL GIN tsvector", queries, references)
                continue
            with temporary_cluster(bindir) as server_url:
                url = create_database(server_url)
                run_search(url, docs, "PostgreSQL GIN tsvector", queries, references)


@contextlib.contextmanager
def kept_cluster(bindir: Path, root: Path) -> Iterator[str]:
    """A PostgreSQL cluster in ``root`` (made on first use, with a ``bench`` database), started
    on a free port for the run and stopped after it, its data kept; the test fixture's settings
    (``fsync=off``, 128 MiB of shared buffers)."""
    import psycopg

    from tests.fixtures.postgres import _free_port, server_owner

    uid, gid = server_owner()

    def demote() -> None:
        if os.geteuid() == 0:
            os.setgid(gid)
            os.setuid(uid)

    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    data = root / "data"
    fresh = not data.exists()
    if fresh:
        root.mkdir(parents=True, exist_ok=True)
        os.chown(root, uid, gid)
        initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "gedsae", "-A", "trust"]
        subprocess.run(
            [*initdb, "-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
            preexec_fn=demote,
            env=env,
        )
    port = _free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*pg_ctl, "-o", options, "-l", str(root / "log"), "-w", "start"],
        check=True,
        capture_output=True,
        preexec_fn=demote,
        env=env,
    )
    server = f"postgresql+psycopg://gedsae@127.0.0.1:{port}"
    try:
        if fresh:
            admin = f"postgresql://gedsae@127.0.0.1:{port}/postgres"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("CREATE DATABASE bench TEMPLATE template0 ENCODING UTF8")
        yield server
    finally:
        subprocess.run(
            [*pg_ctl, "-m", "fast", "stop"], check=False, capture_output=True, preexec_fn=demote
        )


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


def generate_corpus(url: str, docs: int) -> Corpus:
    """The text model of ``load_corpus`` (five-word titles, 300-word bodies from the same
    Zipf-like vocabulary, dates from 2000 to 2024, five dossiers over five services), written
    straight into the tables: ``COPY`` on PostgreSQL, ``executemany`` in transactions of
    50,000 rows on SQLite. Only what search reads is written (documents and the search index,
    through the adapter's own statements); no version, blob or journal entry."""
    from ged.adapters.db.engine import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    now = datetime.now(UTC)
    with SqlUnitOfWork(engine, lambda: now) as uow:
        org_id, services, dossiers = _skeleton(uow, [1] * 5, None, now)
        uow.commit()
    rng = random.Random(42)
    vocabulary = WORDS + [f"terme{i:05d}" for i in range(30_000)]
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))

    # Drawing 300 words a document costs a Python call per word (minutes for a million): the
    # words are drawn once into a pool and each title or text is a slice of it at a random
    # offset, so every term keeps its frequency.
    pool = rng.choices(vocabulary, cum_weights=cumulative, k=WORD_POOL)

    def words(k: int) -> str:
        at = rng.randrange(WORD_POOL - k)
        return " ".join(pool[at : at + k])

    def rows(first: int, count: int) -> Iterator[GeneratedDocument]:
        for pk in range(first, first + count):
            owner = dossiers[pk % len(dossiers)]
            created = date(2000, 1, 1) + timedelta(days=rng.randrange(9000))
            yield GeneratedDocument(pk, owner, created, words(5), words(300))

    start = time.perf_counter()
    write = _copy_postgres if engine.dialect.name == "postgresql" else _insert_sqlite
    write(engine, rows, docs, now)
    seconds = time.perf_counter() - start
    return Corpus(engine, org_id, services, dossiers, vocabulary, rng, seconds)


@dataclass(frozen=True)
class GeneratedDocument:
    pk: int
    dossier: Dossier
    created_on: date
    title: str
    body: str

    def values(self, now: datetime) -> dict[str, object]:
        from ged.services.context import new_id

        d = self.dossier
        return {
            "pk": self.pk,
            "id": new_id(),
            "organisation_id": d.organisation_id,
            "dossier_id": d.id,
            "service_id": d.service_id,
            "title": self.title,
            "description": "",
            "author": "",
            "language": "fra",
            "document_type": "",
            "keywords": [],
            "created_on": self.created_on,
            "received_on": None,
            "extra": {},
            "current_version": 1,
            "created_at": now,
            "updated_at": now,
        }


GENERATED_BATCH = 50_000
WORD_POOL = 4_000_000


def _insert_sqlite(
    engine: Engine,
    rows: Callable[[int, int], Iterator[GeneratedDocument]],
    docs: int,
    now: datetime,
) -> None:
    from sqlalchemy import insert

    from ged.adapters.db import tables as t
    from ged.adapters.db.search import SqliteSearch

    for first in range(1, docs + 1, GENERATED_BATCH):
        batch = list(rows(first, min(GENERATED_BATCH, docs + 1 - first)))
        with engine.begin() as conn:
            values = [doc.values(now) for doc in batch]
            conn.execute(insert(t.documents), values)
            # the text as extraction stores it: the index reads it from there (migration 0022)
            texts = [
                {"document_id": v["id"], "number": 1, "body": d.body}
                for v, d in zip(values, batch, strict=True)
            ]
            conn.execute(insert(t.texts), texts)
            SqliteSearch(conn).index_many(
                [(doc.pk, {"title": doc.title, "body": doc.body}) for doc in batch]
            )
        print(f"  {first + len(batch) - 1} documents", file=sys.stderr)


_DOCUMENT_COLUMNS = (
    "pk, id, organisation_id, dossier_id, service_id, title, description, author, language, "
    "document_type, keywords, created_on, received_on, extra, current_version, created_at, "
    "updated_at"
)


def _copy_postgres(
    engine: Engine,
    rows: Callable[[int, int], Iterator[GeneratedDocument]],
    docs: int,
    now: datetime,
) -> None:
    """COPY the documents and their fields into a staging table, then one INSERT … SELECT that
    computes the vectors with the adapter's own expressions, the search indexes dropped meanwhile
    and rebuilt after (as a bulk load would)."""
    import json

    from ged.adapters.db.search import postgres_vectors

    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        with driver.cursor() as cur:
            cur.execute("SET maintenance_work_mem = '256MB'")
            cur.execute(
                "CREATE TEMP TABLE bench_fields (pk BIGINT, title TEXT, body TEXT) ON COMMIT DROP"
            )
            copy_documents = f"COPY documents ({_DOCUMENT_COLUMNS}) FROM STDIN"
            for first in range(1, docs + 1, GENERATED_BATCH):
                batch = list(rows(first, min(GENERATED_BATCH, docs + 1 - first)))
                with cur.copy(copy_documents) as copy:
                    for doc in batch:
                        values = doc.values(now)
                        values["keywords"], values["extra"] = json.dumps([]), json.dumps({})
                        copy.write_row(list(values.values()))
                with cur.copy("COPY bench_fields (pk, title, body) FROM STDIN") as copy:
                    for doc in batch:
                        copy.write_row((doc.pk, doc.title, doc.body))
                print(f"  {first + len(batch) - 1} documents copied", file=sys.stderr)
            cur.execute(
                "SELECT indexdef, indexname FROM pg_indexes WHERE tablename = 'document_search' "
                "AND indexname NOT LIKE '%pkey'"
            )
            indexes = cur.fetchall()
            for _, name in indexes:
                cur.execute(f"DROP INDEX {name}")
            fields = {"title": "f.title", "body": "f.body"}
            columns, expressions = postgres_vectors(fields)
            cur.execute(
                f"INSERT INTO document_search(document_pk, {columns}) "  # noqa: S608
                f"SELECT f.pk, {expressions} FROM bench_fields f"
            )
            print("  vectors computed", file=sys.stderr)
            for definition, _ in indexes:
                cur.execute(definition)
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('documents', 'pk'), max(pk)) FROM documents"
            )
        driver.commit()
        with driver.cursor() as cur:
            driver.autocommit = True
            cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()


# Which terms a query looks for: ranks in the Zipf-like vocabulary of 30,076 words.
TERM_RANKS = {
    "rare (rank 5,000–30,000)": (5000, 30_000),
    "mid-frequency (rank 50–5,000)": (50, 5000),
    "very common (rank 0–10)": (0, 10),
}


def existing_corpus(url: str, docs: int) -> Corpus | None:
    """The corpus ``generate_corpus`` left in ``url`` earlier (its ``docs`` documents, its one
    organisation and five services), migrated to the current schema; None when there is none."""
    from ged.adapters.db.engine import make_engine, migrate

    engine = make_engine(url)
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        count = conn.execute(text("SELECT count(*) FROM documents")).scalar() if names else 0
    if count != docs:
        engine.dispose()
        return None
    start = time.perf_counter()
    migrate(engine)
    seconds = time.perf_counter() - start
    with engine.connect() as conn:
        org_id = conn.execute(text("SELECT id FROM organisations")).scalar_one()
        services = [
            Service(r.id, org_id, r.name, r.seda_identifier)
            for r in conn.execute(
                text("SELECT id, name, seda_identifier FROM services ORDER BY name")
            )
        ]
    print(f"reused {docs} documents (migrated in {seconds:.1f} s)", file=sys.stderr)
    vocabulary = WORDS + [f"terme{i:05d}" for i in range(30_000)]
    return Corpus(engine, org_id, services, [], vocabulary, random.Random(42), 0.0)


def run_search(
    url: str, docs: int, label: str, queries: int = 300, references: int | None = None
) -> None:
    """p50/p95 of ranked searches (20 rows) for rare, mid and very common terms, filtered (an
    agent in 2 of 5 services, a date window of 3,000 of the 9,000 days) and unfiltered (the
    administrator, every date), then the size of each table and index."""
    from ged.domain.access import Principal
    from ged.domain.model import Role
    from ged.domain.search import SearchQuery
    from ged.services.search import search_documents

    corpus = existing_corpus(url, docs) or generate_corpus(url, docs)
    # The queries are drawn from their own generator: the same on a reused database.
    corpus.rng = random.Random(7)
    references = max(queries // 3, 1) if references is None else references
    engine, org_id, services, rng = (
        corpus.engine,
        corpus.organisation_id,
        corpus.services,
        corpus.rng,
    )
    now = datetime.now(UTC)
    agent = Principal(
        "p", "agent", org_id, frozenset({Role.AGENT}), frozenset(s.id for s in services[:2])
    )
    admin = Principal("a", "admin", org_id, frozenset({Role.ADMIN}), frozenset())

    class Ctx:
        def uow(self) -> SqlUnitOfWork:
            return SqlUnitOfWork(engine, lambda: now)

    print(
        f"\n## Search, {label}, {docs} documents of 300 words (generated in {corpus.seconds:.1f} s)"
    )
    print(f"ranked, 20 rows, {queries} queries per cell; filtered = an agent in 2 of 5 services")
    print("and a window of 3,000 days out of 9,000; unfiltered = the administrator, every date;")
    print(
        f"reference = every match ranked (the query before the window), on the first {references}"
    )
    print(
        "queries, each right after the same query ranked in its window; ratio = p50 to p50 on them\n"
    )
    print(
        "| term | filtered p50 / p95 ms | reference p50 / p95 ms | ratio "
        "| unfiltered p50 / p95 ms | reference p50 / p95 ms | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    warm_up(Ctx(), agent, org_id, corpus.vocabulary)
    for name, (low, high) in TERM_RANKS.items():
        cells = []
        for filtered in (True, False):
            made = []
            for _ in range(queries):
                term = corpus.vocabulary[rng.randrange(low, high)]
                lo = date(2000, 1, 1) + timedelta(days=rng.randrange(6000))
                made.append(
                    SearchQuery(
                        organisation_id=org_id,
                        text=term,
                        limit=20,
                        created_from=lo if filtered else None,
                        created_to=lo + timedelta(days=3000) if filtered else None,
                    )
                )
            actor = agent if filtered else admin

            def ranked(query: SearchQuery, actor: Principal = actor) -> object:
                return search_documents(Ctx(), actor, query)  # type: ignore[arg-type]

            def every_match(query: SearchQuery, actor: Principal = actor) -> object:
                return rank_every_match(engine, actor, query)

            ours, ref = interleaved(ranked, every_match, made, references)
            same = statistics.median(ours[: len(ref)]) / statistics.median(ref)
            cells += [percentiles(ours), percentiles(ref), f"{same:.2f}×"]
        print(f"| {name} | {' | '.join(cells)} |")
    print_sizes(engine)
    engine.dispose()


def warm_up(ctx: Any, actor: Any, org_id: str, vocabulary: list[str]) -> None:
    """A search for each of 60 words of every frequency, untimed: the first cell measured would
    otherwise pay for a cold cache (a server just started, a database file just opened)."""
    from ged.domain.search import SearchQuery
    from ged.services.search import search_documents

    for word in vocabulary[:30_000:500]:
        search_documents(ctx, actor, SearchQuery(organisation_id=org_id, text=word, limit=20))


def interleaved(
    run: Callable[[Any], object], reference: Callable[[Any], object], queries: list[Any], count: int
) -> tuple[list[float], list[float]]:
    """Milliseconds of ``run`` for each query, and of ``reference`` for the first ``count``,
    each beside ``run`` on the same query (the same load on the machine), one first then the
    other in turn (the second finds the pages the first read in the cache)."""
    now: list[float] = []
    ref: list[float] = []
    for i, query in enumerate(queries):
        pair = ((run, now), (reference, ref)) if i % 2 else ((reference, ref), (run, now))
        for fn, into in pair if i < count else ((run, now),):
            t0 = time.perf_counter()
            fn(query)
            into.append((time.perf_counter() - t0) * 1000)
    return now, ref


def percentiles(timings: list[float]) -> str:
    """p50 / p95."""
    ordered = sorted(timings)
    return f"{statistics.median(ordered):.1f} / {ordered[int(len(ordered) * 0.95)]:.1f}"


def rank_every_match(engine: Engine, actor: Any, query: Any) -> object:
    """The reference: the search as the adapter ran it before the ranked window, every match
    ranked (``bm25`` or ``ts_rank`` of each), in a unit of work as the service opens one;
    PostgreSQL kept on the GIN index."""
    from dataclasses import replace

    from ged.adapters.db.search import _BM25, _COLUMNS, _filters, _rows, _where_order
    from ged.domain.search import terms

    scoped = replace(
        query, organisation_id=actor.organisation_id, service_ids=actor.visible_services()
    )
    words = terms(query.text)
    with SqlUnitOfWork(engine, lambda: datetime.now(UTC)) as uow:
        conn = uow.repo.search.conn  # type: ignore[attr-defined]
        if engine.dialect.name == "sqlite":
            clauses, params = _filters(scoped, "+", "sqlite")
            params["match"] = " ".join(f'"{w}"' for w in words)
            sql = (
                f"SELECT {_COLUMNS}, f.rank AS rank FROM (SELECT rowid, {_BM25} AS rank "  # noqa: S608
                "FROM documents_fts WHERE documents_fts MATCH :match) AS f "
                "CROSS JOIN documents d ON d.pk = f.rowid "
                + _where_order(clauses, scoped, "f.rank ASC")
            )
        else:
            clauses, params = _filters(scoped, "", "postgresql")
            params["q"] = " ".join(words)
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            sql = (
                f"SELECT {_COLUMNS}, ts_rank(s.tsv, q) AS rank FROM document_search s "  # noqa: S608
                "JOIN documents d ON d.pk = s.document_pk, plainto_tsquery('gedsae_fr', :q) AS q "
                + _where_order(["s.tsv @@ q", *clauses], scoped, "rank DESC")
            )
        return _rows(conn, sql, params, scoped).page()


def print_sizes(engine: Engine) -> None:
    """Each table and index on disk: ``pg_relation_size`` (TOAST apart), SQLite's ``dbstat``."""
    if engine.dialect.name == "postgresql":
        sql = (
            "SELECT c.relname, pg_relation_size(c.oid), "
            "coalesce(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
            "AND c.relkind IN ('r', 'i') AND (c.relname LIKE 'document%' "
            "OR c.relname LIKE 'ix_document%') ORDER BY 2 DESC"
        )
    else:
        sql = (
            "SELECT name, sum(pgsize), 0 FROM dbstat WHERE name LIKE 'document%' "
            "OR name LIKE 'ix_document%' OR name LIKE 'sqlite_autoindex_documents%' "
            "OR name IN ('texts', 'search_fields') "
            "GROUP BY name ORDER BY 2 DESC"
        )
    print("\n| table or index | MiB | TOAST MiB |\n|---|---|---|")
    with engine.connect() as conn:
        for name, size, toast in conn.execute(text(sql)):
            print(f"| {name} | {size / MIB:.1f} | {toast / MIB:.1f} |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_hash":
        hashlib_step(Path(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_hash_tree":
        hash_tree_step(Path(sys.argv[2]), int(sys.argv[3]))
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
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="search: keep the generated databases in --work and reuse them on the next run",
    )
    parser.add_argument(
        "--references",
        type=int,
        default=None,
        help="search: queries of each cell also run as the reference (default: a third)",
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="gedsae-bench-", dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.what in ("big", "all"):
            bench_big(work, parse_size(args.size))
        if args.what in ("small", "all"):
            bench_small(work, args.count)
        if args.what in ("search", "all"):
            bench_search(
                work, args.docs, args.db.split(","), args.queries, args.keep, args.references
            )
    finally:
        if args.work is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
