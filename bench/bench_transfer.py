"""The transfer loop (issue 5), step by step, against hashing the same bytes twice.

    .venv/bin/python bench/bench_transfer.py small [--count 1000]   # many small documents
    .venv/bin/python bench/bench_transfer.py big   [--size 2G]      # one large document

Steps timed (the archivist's decision excluded): **build** the SEDA manifest and the SIP zip
(reading every blob), **sign** the manifest and the package digest, **push** the SIP over HTTP
on loopback to the repository, whose request also runs the **ingest checks** (quarantine while
hashing, XSD, references, digests, signature) — push and checks are one request and are timed
together, and the repository's share is read from its own timing header; **store twice** (the
acceptance writes every object to two filesystem offers, fsynced); **poll** the reply.

The repository is the real ``sae.api`` app served by uvicorn in a thread of this process; the
GED is wired by ``ged.bootstrap`` on SQLite and the filesystem store. References in the same
run over the SIP's bytes: ``sha256sum`` twice (the issue's reference; slow here, see
performance-anchors.md) and hashlib SHA-256 twice (the honest one). Peak RSS is this process's
(both sides). Filing the documents is setup, not timed. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import io
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
from typing import Any, TypeVar

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_blobstore import make_big_file, parse_size

from connectors.sae_http import SaeHttpConnector
from ged.bootstrap import build_context
from ged.config import Settings
from ged.domain.lifecycle import BindingTarget
from ged.domain.model import Metadata, Role
from ged.services import admin, documents, filing, lifecycle, rules, transfer_loop
from ged.services.transfers import TransferParties, prepare_transfer
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore
from kernel.signing import generate_self_signed, load_identity_from_pem, sign_digest
from sae.adapters.db import open_database
from sae.adapters.db.engine import sqlite_url
from sae.api.app import create_app
from sae.bootstrap import Repository, SaeConfig
from sae.config import DatabaseSettings
from sae.ingest.settings import IngestSettings
from sae.model import Decision, FileKind, TokenRecord, Transfer
from sae.review import decisions
from sae.storage.tenants import OfferFactory
from sae.tenancy.setup import agreement_of, import_file, put_agreement
from sae.tenancy.tenants import create_tenant
from sae.tokens import add_token, digest, utc_now
from schemas.install import install
from seda.versions import SedaVersion

T = TypeVar("T")
SHARED = Path(__file__).resolve().parents[2] / "shared"
TABLEAU = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tableau_de_gestion.csv"


def timed(label: str, times: dict[str, float], action: Callable[[], T]) -> T:
    began = time.perf_counter()
    result = action()
    times[label] = time.perf_counter() - began
    return result


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def offers_under(root: Path) -> OfferFactory:
    def under(prefix: str) -> list[BlobStore]:
        return [FilesystemBlobStore(root / f"offer-{n}" / prefix, name=n) for n in "ab"]

    return under


def set_up_tenant(config: SaeConfig, certificate_pem: bytes) -> None:
    """The tenant ARCH as an operator sets it up: trust anchors, agreement, the GED's token."""
    db = open_database(config.database.url)
    try:
        create_tenant(db, "ARCH", "Archives de test", actor="bench", storage_prefix="")
        import_file(db, "ARCH", FileKind.TRUST_ANCHORS, certificate_pem, actor="bench")
        agreement = agreement_of("ARCH", ["SERVICE-A"], ["2.2"])
        put_agreement(db, "ARCH", "AGR-1", agreement, actor="bench")
        record = TokenRecord(digest("ged-token"), "ARCH", "ged", "transferring", utc_now())
        add_token(db, record, actor="bench", action="token.create")
    finally:
        db.dispose()


@contextmanager
def repository(root: Path, certificate_pem: bytes) -> Iterator[tuple[str, Repository]]:
    schemas = root / "schemas"
    install(schemas, SHARED / "seda" / "official")
    root.joinpath("sae").mkdir(parents=True)
    config = SaeConfig(
        data_dir=root / "sae",
        settings=IngestSettings(root / "sae" / "quarantine", schemas, 64 * 1024**3),
        database=DatabaseSettings(sqlite_url(root / "sae" / "repository.sqlite")),
        offers_under=offers_under(root),
    )
    set_up_tenant(config, certificate_pem)
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", app.state.repository
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def file_documents(home: Path, sources: list[tuple[str, Path]]) -> tuple[Any, Any, str]:
    settings = Settings(home=home, extraction_workers=1)
    ctx = build_context(settings)
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
    for name, path in sources:
        with path.open("rb") as stream:
            documents.file_document(
                ctx, actor, dossier.id, stream, filename=name,
                metadata=Metadata(title=name), mime_type="application/octet-stream",
            )  # fmt: skip
    filing.close_dossier(ctx, actor, dossier.id, date(2010, 12, 31))
    lifecycle.record_event(ctx, actor, dossier.id, "Clôture de la table", date(2010, 12, 31))
    lifecycle.run_lifecycle(ctx, actor)
    return ctx, actor, dossier.id


def run_loop(work: Path, sources: list[tuple[str, Path]]) -> dict[str, Any]:
    key_pem, certificate_pem = generate_self_signed("bench", "bench", 30)
    identity = load_identity_from_pem(key_pem, certificate_pem)
    ctx, actor, dossier = file_documents(work / "ged", sources)
    times: dict[str, float] = {}
    with repository(work / "repo", certificate_pem) as (base, opened):
        db, offers = opened.db, opened.storage.offers("ARCH")
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
            connector = SaeHttpConnector(base, "ged-token", client, allow_insecure_http=True)

            def find() -> Transfer | None:
                with db.reading("ARCH") as uow:
                    return uow.transfers.find_by_message(prepared.message_identifier)

            def push_and_check() -> Any:
                sent = transfer_loop.send_transfer(
                    ctx, actor, prepared, connector, transferring_agency="SERVICE-A"
                )
                # the repository checks after answering (a background task): wait for them
                while (found := find()) is None or found.state.value in ("received", "checked"):
                    time.sleep(0.01)
                return sent

            record = timed("push+checks", times, push_and_check)
            assert record.state.value == "sent", record
            pending = decisions.pending(db, "ARCH")
            if not pending or not pending[0].checks_passed:
                sys.exit(f"repository did not take the transfer: {record} {find()}")
            timed(
                "store twice",
                times,
                lambda: decisions.accept(db, offers, "ARCH", pending[0].id, Decision("bench")),
            )
            done = timed(
                "poll",
                times,
                lambda: transfer_loop.poll_transfer(
                    ctx, actor, prepared.message_identifier, connector
                ),
            )
            assert done.state.value == "accepted", done
    ctx.close()
    return {"times": times, "sip": prepared.sip, "size": prepared.size}


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


def report(title: str, result: dict[str, Any]) -> None:
    times, refs = result["times"], references(result["sip"])
    total = sum(times.values())
    print(f"\n== {title} — SIP {result['size'] / 1024**2:.1f} MiB")
    for label, seconds in times.items():
        print(f"  {label:<14} {seconds:8.2f} s")
    print(f"  {'loop total':<14} {total:8.2f} s   peak RSS {peak_rss_mib():.0f} MiB")
    for label, seconds in refs.items():
        print(f"  {label:<18} {seconds:8.2f} s   loop / ref = {total / seconds:5.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenario", choices=["small", "big"])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size", default="2G")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-transfer-") as tmp:
        work = Path(tmp)
        if args.scenario == "small":
            folder = work / "src"
            folder.mkdir()
            sources = []
            for n in range(args.count):
                path = folder / f"doc-{n:05d}.txt"
                path.write_bytes(f"Document {n}\n".encode() * 40)
                sources.append((path.name, path))
            report(f"{args.count} small documents", run_loop(work, sources))
        else:
            big = work / "big.bin"
            make_big_file(big, parse_size(args.size))
            report(f"one document of {args.size}", run_loop(work, [("big.bin", big)]))


if __name__ == "__main__":
    main()
