"""The transfer loop, step by step, against hashing the same bytes twice; peak memory per side.

    .venv/bin/python bench/bench_transfer.py small [--count 1000,10000,100000]  # small documents
    .venv/bin/python bench/bench_transfer.py big   [--size 2G]                  # one large one
    add --one-process to run the repository in a thread of the GED's process (older figures)

Steps timed (the archivist's decision excluded): **build** the SEDA manifest and the SIP zip
(reading every blob), **sign** the manifest and the package digest, **push** the SIP over HTTP
on loopback to the repository, whose request also runs the **ingest checks** (quarantine while
hashing, XSD, references, digests, signature) — push and checks are one request and are timed
together; **store twice** (the acceptance writes every object to two filesystem offers,
fsynced); **poll** the reply.

Three processes per count, as a deployment runs them: this one files the documents (setup, not
timed, not measured); the GED's process (``ged-loop``) runs the loop with the GED wired by
``ged.bootstrap`` on SQLite and the filesystem store; the repository's (``repository``) serves
the real ``sae.api`` app with uvicorn and runs the acceptance when asked. Each reports its own
peak RSS (``ru_maxrss``, the kernel's VmHWM); the modules of the other side are never imported,
so each peak is that side's alone. The goal: each peak flat in the number of documents (at
most 150 MiB from 1,000 to 100,000), at the same documents per second; ``BENCH_MEMRAY`` (below)
shows what a side holds at its peak. References in the same run over the SIP's bytes:
``sha256sum`` twice (slow here, see performance-anchors.md) and hashlib SHA-256 twice. Not
collected by pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

# Only the standard library at module level: each process imports its own side's modules, so
# that its peak RSS is its side's alone.
HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent.parent))

T = TypeVar("T")
SHARED = HERE.parents[2] / "shared"
TABLEAU = HERE.parents[1] / "tests" / "fixtures" / "tableau_de_gestion.csv"
FILING_BATCH = 2000
TOKEN = "ged-token"  # noqa: S105 - the bench tenant's, made up here


PEAKS: dict[str, float] = {}  # this process's peak RSS once each step is done


def timed(label: str, times: dict[str, float], action: Callable[[], T]) -> T:
    began = time.perf_counter()
    result = action()
    times[label] = time.perf_counter() - began
    PEAKS[label] = peak_rss_mib()
    return result


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def python(side: str) -> list[str]:
    """The interpreter of one side's process; under ``memray run`` when ``BENCH_MEMRAY`` names
    a folder (to see what that side holds at its peak: ``memray summary FILE``)."""
    folder = os.environ.get("BENCH_MEMRAY")
    if not folder:
        return [sys.executable]
    out = Path(folder) / f"{side}-{os.getpid()}.bin"
    return [sys.executable, "-m", "memray", "run", "--force", "-q", "-o", str(out)]


# -- setup: the documents filed in the GED (this process) ------------------------------------
def small_document(n: int) -> bytes:
    return f"Document {n}\n".encode() * 40


def file_documents(home: Path, count: int, big: Path | None) -> tuple[str, str]:
    """The dossier, its documents filed and the dossier closed with its DUA elapsed: its id
    and the filing principal's.

    Many small documents are filed as ``gedsae import`` files them (blobs by batches, one
    transaction per batch, no identification or extraction): one ``file_document`` per document
    took 3.5 minutes for 10,000 of them. The transfer reads them as it reads any document."""
    from ged.bootstrap import build_context
    from ged.config import Settings
    from ged.domain.lifecycle import BindingTarget
    from ged.domain.model import Metadata, Role
    from ged.services import admin, documents, filing, lifecycle, rules

    ctx = build_context(Settings(home=home, extraction_workers=1))
    org = admin.create_organisation(ctx, "bench", "Banc d'essai")
    actor = admin.create_principal(
        ctx, "bench", org.id, "bench", {Role.ADMIN, Role.RECORDS_OFFICER}, set()
    ).principal
    service = admin.create_service(ctx, actor, "Finances", "SERVICE-A")
    rules.import_rules(ctx, actor, io.BytesIO(TABLEAU.read_bytes()), "csv")
    node = filing.create_plan_node(ctx, actor, "EC", "État civil", None).id
    rules.bind_rule(ctx, actor, BindingTarget.PLAN_NODE, node, "EC-04")
    dossier = filing.create_dossier(
        ctx, actor, service_id=service.id, title="Registres", plan_node_id=node,
        opened_on=date(2010, 1, 1),
    )  # fmt: skip
    if big is not None:
        with big.open("rb") as stream:
            documents.file_document(
                ctx, actor, dossier.id, stream, filename=big.name,
                metadata=Metadata(title=big.name), mime_type="application/octet-stream",
            )  # fmt: skip
    for first in range(0, count, FILING_BATCH):
        _file_batch(ctx, actor, dossier, range(first, min(count, first + FILING_BATCH)))
    filing.close_dossier(ctx, actor, dossier.id, date(2010, 12, 31))
    lifecycle.record_event(ctx, actor, dossier.id, "Clôture de la table", date(2010, 12, 31))
    lifecycle.run_lifecycle(ctx, actor)
    ctx.close()
    return dossier.id, actor.id


def _file_batch(ctx: Any, actor: Any, dossier: Any, numbers: range) -> None:
    from ged.domain.model import Document, Metadata
    from ged.services.context import new_id
    from ged.services.documents import build_version, index_fields
    from kernel.oplog import LogSpec

    with ctx.blobs.batch() as batch:
        refs = [batch.put(io.BytesIO(small_document(n))) for n in numbers]
    now = ctx.clock()
    docs, versions = [], []
    for n, ref in zip(numbers, refs, strict=True):
        name = f"doc-{n:06d}.txt"
        doc = Document(
            new_id(), dossier.organisation_id, dossier.id, dossier.service_id,
            Metadata(title=name), now, now, 1,
        )  # fmt: skip
        docs.append(doc)
        versions.append(build_version(ctx, actor, doc.id, 1, ref, name, "application/octet-stream"))
    with ctx.uow() as uow:
        pks = uow.repo.add_documents(docs)
        uow.repo.ensure_blobs(refs, now)
        uow.repo.add_versions(versions)
        uow.repo.search.index_many(
            [
                (pks[d.id], index_fields(d, v.filename, ""))
                for d, v in zip(docs, versions, strict=True)
            ]
        )
        uow.log_many(
            [
                LogSpec(actor.id, "document.import", "document", d.id, d.organisation_id, {})
                for d in docs
            ]
        )
        uow.commit()


# -- the repository's side --------------------------------------------------------------------
class RepositorySide:
    """What the loop asks of the repository besides HTTP: wait for the checks, accept."""

    def __init__(self, db: Any, offers: Any) -> None:
        self.db, self.offers = db, offers

    def wait_checked(self, message_id: str) -> str:
        """Waits for the checks run after the answer (a background task); the state then."""
        while (found := self._find(message_id)) is None or found.state.value in (
            "received",
            "checked",
        ):
            time.sleep(0.01)
        return str(found.state.value)

    def accept(self) -> float:
        from sae.model import Decision
        from sae.review import decisions

        pending = decisions.pending(self.db, "ARCH")
        if not pending or not pending[0].checks_passed:
            raise SystemExit(f"repository did not take the transfer: {pending}")
        began = time.perf_counter()
        decisions.accept(self.db, self.offers, "ARCH", pending[0].id, Decision("bench"))
        return time.perf_counter() - began

    def peak(self) -> float:
        return peak_rss_mib()

    def _find(self, message_id: str) -> Any:
        with self.db.reading("ARCH") as uow:
            return uow.transfers.find_by_message(message_id)


def set_up_tenant(database_url: str, certificate_pem: bytes) -> None:
    """The tenant ARCH as an operator sets it up: trust anchors, agreement, the GED's token."""
    from sae.adapters.db import open_database
    from sae.model import FileKind, TokenRecord
    from sae.tenancy.setup import agreement_of, import_file, put_agreement
    from sae.tenancy.tenants import create_tenant
    from sae.tokens import add_token, digest, utc_now

    db = open_database(database_url)
    try:
        create_tenant(db, "ARCH", "Archives de test", actor="bench", storage_prefix="")
        import_file(db, "ARCH", FileKind.TRUST_ANCHORS, certificate_pem, actor="bench")
        agreement = agreement_of("ARCH", ["SERVICE-A"], ["2.2"])
        put_agreement(db, "ARCH", "AGR-1", agreement, actor="bench")
        record = TokenRecord(digest(TOKEN), "ARCH", "ged", "transferring", utc_now())
        add_token(db, record, actor="bench", action="token.create")
    finally:
        db.dispose()


def repository_config(root: Path) -> Any:
    """The repository's configuration: SQLite and two filesystem offers under ``root``."""
    from kernel.blobstore.filesystem import FilesystemBlobStore
    from kernel.blobstore.ports import BlobStore
    from sae.adapters.db.engine import sqlite_url
    from sae.bootstrap import SaeConfig
    from sae.config import DatabaseSettings
    from sae.ingest.settings import IngestSettings

    def offers_under(prefix: str) -> list[BlobStore]:
        return [FilesystemBlobStore(root / f"offer-{n}" / prefix, name=n) for n in "ab"]

    return SaeConfig(
        data_dir=root / "sae",
        settings=IngestSettings(root / "sae" / "quarantine", root / "schemas", 64 * 1024**3),
        database=DatabaseSettings(sqlite_url(root / "sae" / "repository.sqlite")),
        offers_under=offers_under,
    )


def set_up_repository(root: Path, certificate_pem: bytes) -> None:
    """What an operator does before starting the server (``gedsae-sae init``, the schemas, the
    tenant): in a process of its own when the repository has one, as in production, so that the
    server's figures are the server's alone (creating the database loads Alembic, for good)."""
    from schemas.install import install

    install(root / "schemas", SHARED / "seda" / "official")
    root.joinpath("sae").mkdir(parents=True)
    set_up_tenant(repository_config(root).database.url, certificate_pem)


@contextmanager
def serve_repository(
    root: Path, certificate_pem: bytes, *, set_up: bool = True
) -> Iterator[tuple[str, RepositorySide]]:
    """The real ``sae.api`` app served by uvicorn in a thread of this process."""
    import uvicorn

    from sae.api.app import create_app

    if set_up:
        set_up_repository(root, certificate_pem)
    config = repository_config(root)
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    repository = app.state.repository
    try:
        yield (
            f"http://127.0.0.1:{port}",
            RepositorySide(repository.db, repository.storage.offers("ARCH")),
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def repository_process(root: Path) -> None:
    """The repository's process: serves, then answers one JSON request a line on stdin."""
    certificate_pem = (root / "certificate.pem").read_bytes()
    with serve_repository(root, certificate_pem, set_up=False) as (base, side):
        _answer({"base": base})
        for line in sys.stdin:
            request = json.loads(line)
            if request["op"] == "wait":
                _answer({"state": side.wait_checked(request["message"]), "peak": side.peak()})
            elif request["op"] == "accept":
                _answer({"seconds": side.accept(), "peak": side.peak()})
            else:
                _answer({"peak": side.peak()})


def _answer(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class Repository(Protocol):
    def wait_checked(self, message_id: str) -> str: ...
    def accept(self) -> float: ...
    def peak(self) -> float: ...


class RemoteRepository:
    """The repository's process seen from the GED's: requests down a pipe."""

    def __init__(self, child: subprocess.Popen[str]) -> None:
        self.child = child
        self.peaks: dict[str, float] = {}  # the repository's peak RSS once each step is done

    def ask(self, request: dict[str, Any]) -> Any:
        assert self.child.stdin is not None and self.child.stdout is not None
        self.child.stdin.write(json.dumps(request) + "\n")
        self.child.stdin.flush()
        return json.loads(self.child.stdout.readline())

    def wait_checked(self, message_id: str) -> str:
        answer = self.ask({"op": "wait", "message": message_id})
        self.peaks["checks"] = answer["peak"]
        return str(answer["state"])

    def accept(self) -> float:
        answer = self.ask({"op": "accept"})
        self.peaks["acceptance"] = answer["peak"]
        return float(answer["seconds"])

    def peak(self) -> float:
        return float(self.ask({"op": "peak"})["peak"])


@contextmanager
def repository(
    root: Path, certificate_pem: bytes, one_process: bool
) -> Iterator[tuple[str, Repository]]:
    if one_process:
        with serve_repository(root, certificate_pem) as served:
            yield served
        return
    root.mkdir(parents=True)
    (root / "certificate.pem").write_bytes(certificate_pem)
    subprocess.run([sys.executable, str(HERE), "repository-setup", str(root)], check=True)
    command = [*python("repository"), str(HERE), "repository", str(root)]
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        remote = RemoteRepository(child)
        assert child.stdout is not None
        base = json.loads(child.stdout.readline())["base"]
        try:
            yield base, remote
        finally:
            assert child.stdin is not None
            child.stdin.close()
            child.wait(timeout=30)


# -- the GED's side ---------------------------------------------------------------------------
def ged_process(work: Path, dossier: str, actor_id: str, one_process: bool) -> None:
    """The GED's process: the loop, then its figures as one JSON line."""
    import httpx

    from connectors.sae_http import SaeHttpConnector
    from ged.bootstrap import build_context
    from ged.config import Settings
    from ged.services import transfer_loop
    from ged.services.transfers import TransferParties, prepare_transfer
    from kernel.signing import generate_self_signed, load_identity_from_pem, sign_digest
    from seda.versions import SedaVersion

    key_pem, certificate_pem = generate_self_signed("bench", "bench", 30)
    identity = load_identity_from_pem(key_pem, certificate_pem)
    ctx = build_context(Settings(home=work / "ged", extraction_workers=1))
    with ctx.uow() as uow:
        actor = uow.repo.get_principal(actor_id)
    times: dict[str, float] = {}
    with repository(work / "repo", certificate_pem, one_process) as (base, repo):
        parties = TransferParties("ARCH", "SERVICE-A", "AGR-1")
        signed: list[float] = []

        def signer(digest: bytes) -> bytes:
            began = time.perf_counter()
            signature = sign_digest(digest, identity)
            signed.append(time.perf_counter() - began)
            return signature

        prepared = timed(
            "build",
            times,
            lambda: prepare_transfer(
                ctx, actor, [dossier], work / "sip.zip", SedaVersion.V2_2, parties, signer=signer
            ),
        )
        timed("sign", times, lambda: sign_digest(bytes.fromhex(prepared.sha256), identity))
        times["sign"] += sum(signed)
        times["build"] -= sum(signed)
        with httpx.Client(timeout=3600) as client:
            connector = SaeHttpConnector(base, TOKEN, client, allow_insecure_http=True)

            def push_and_check() -> Any:
                sent = transfer_loop.send_transfer(
                    ctx, actor, prepared, connector, transferring_agency="SERVICE-A"
                )
                repo.wait_checked(prepared.message_identifier)
                return sent

            record = timed("push+checks", times, push_and_check)
            assert record.state.value == "sent", record
            times["store twice"] = repo.accept()
            done = timed(
                "poll",
                times,
                lambda: transfer_loop.poll_transfer(
                    ctx, actor, prepared.message_identifier, connector
                ),
            )
            assert done.state.value == "accepted", done
        repository_peak = repo.peak()
    ctx.close()
    figures = {
        "times": times,
        "sip": str(prepared.sip),
        "size": prepared.size,
        "ged_peak": peak_rss_mib(),
        "repository_peak": None if one_process else repository_peak,
        "ged_steps": PEAKS,
        "repository_steps": getattr(repo, "peaks", {}),
    }
    print(json.dumps(figures))


# -- driver -----------------------------------------------------------------------------------
def references(sip: Path) -> dict[str, float]:
    refs: dict[str, float] = {}
    began = time.perf_counter()
    for _ in range(2):
        subprocess.run(["sha256sum", str(sip)], check=True, capture_output=True)
    refs["sha256sum ×2"] = time.perf_counter() - began
    began = time.perf_counter()
    for _ in range(2):
        with sip.open("rb") as stream:
            hashlib.file_digest(stream, "sha256")
    refs["hashlib sha256 ×2"] = time.perf_counter() - began
    return refs


def report(title: str, count: int, result: dict[str, Any], out: IO[str]) -> None:
    times, refs = result["times"], references(Path(result["sip"]))
    total = sum(times.values())
    load = os.getloadavg()[0]
    print(f"\n== {title} — SIP {result['size'] / 1024**2:.1f} MiB (load {load:.2f})", file=out)
    for label, seconds in times.items():
        print(f"  {label:<14} {seconds:8.2f} s", file=out)
    print(f"  {'loop total':<14} {total:8.2f} s   {count / total:7.0f} documents/s", file=out)
    if result["repository_peak"] is None:
        print(f"  peak RSS       {result['ged_peak']:6.0f} MiB (GED and repository)", file=out)
    else:
        print(
            f"  peak RSS       GED {result['ged_peak']:.0f} MiB, "
            f"repository {result['repository_peak']:.0f} MiB",
            file=out,
        )
    steps = [f"GED {k} {v:.0f}" for k, v in result["ged_steps"].items() if k != "sign"]
    steps += [f"repository {k} {v:.0f}" for k, v in result["repository_steps"].items()]
    print(f"  peak RSS (MiB) once done: {', '.join(steps)}", file=out)
    for label, seconds in refs.items():
        print(f"  {label:<18} {seconds:8.2f} s   loop / ref = {total / seconds:5.2f}×", file=out)
    out.flush()


def run(count: int, big_size: str | None, one_process: bool) -> None:
    from bench_blobstore import make_big_file, parse_size

    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as tmp:
        work = Path(tmp)
        big = None
        if big_size is not None:
            big = work / "big.bin"
            make_big_file(big, parse_size(big_size))
        began = time.perf_counter()
        dossier, actor = file_documents(work / "ged", count, big)
        if big is not None:
            big.unlink()
        print(f"\n(setup: {count or 1} documents filed in {time.perf_counter() - began:.1f} s)")
        command = [*python("ged"), str(HERE), "ged-loop", str(work), dossier, actor]
        command += ["--one-process"] if one_process else []
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        result = json.loads(output.strip().splitlines()[-1])
        title = f"{count} small documents" if big_size is None else f"one document of {big_size}"
        report(title, max(count, 1), result, sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "scenario", choices=["small", "big", "ged-loop", "repository", "repository-setup"]
    )
    parser.add_argument("where", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--count", default="1000", help="one count or several: 1000,10000")
    parser.add_argument("--size", default="2G")
    parser.add_argument("--one-process", action="store_true")
    args = parser.parse_args()
    if args.scenario == "ged-loop":
        ged_process(Path(args.where[0]), args.where[1], args.where[2], args.one_process)
    elif args.scenario == "repository":
        repository_process(Path(args.where[0]))
    elif args.scenario == "repository-setup":
        root = Path(args.where[0])
        set_up_repository(root, (root / "certificate.pem").read_bytes())
    elif args.scenario == "big":
        run(0, args.size, args.one_process)
    else:
        for count in (int(c) for c in args.count.split(",")):
            run(count, None, args.one_process)


if __name__ == "__main__":
    main()
