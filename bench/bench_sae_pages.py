"""Benchmark of the repository's pages on a large transfer: the review screen (the bordereau
read from the quarantined package on the first request, then kept; 500 units and files drawn) and the queue, against the API's
JSON view of the same transfer (no bordereau) measured in the same run; then the catalogue
search and the journal page after its acceptance. Median of ``--repeat`` requests each, through
Starlette's test client (no network), SQLite, filesystem offers. Not collected by pytest.

    .venv/bin/python bench/bench_sae_pages.py --schemas-from ../shared/seda/official \
        [--files 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kernel.accounts.passwords import Argon2Passwords
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore
from kernel.web.setup import WebSetup
from sae.api.app import create_app
from sae.bootstrap import Repository, SaeConfig
from sae.config import DatabaseSettings
from sae.ingest.settings import IngestSettings
from sae.model import ArchivalAgreement, Role, TokenRecord
from sae.people.accounts import NewPerson, create_person
from sae.tenancy.setup import put_agreement
from sae.tokens import add_token, digest
from schemas.install import install
from seda.disk_import import transfer_from_directory
from seda.sip import write_sip
from seda.versions import SedaVersion

PASSWORD = "un mot de passe assez long"  # noqa: S105 (a throwaway account of the bench)
SENDER = {"Authorization": "Bearer ged"}
ARCHIVIST = {"Authorization": "Bearer alice"}
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def sip(tmp: Path, files: int) -> Path:
    root = tmp / "tree"
    for i in range(files):
        folder = root / f"dossier-{i // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"piece-{i:05d}.txt").write_text(f"Pièce {i}\n", encoding="utf-8")
    built = transfer_from_directory(
        root, SedaVersion.V2_2, message_identifier="BENCH-1", archival_agency="ARCH",
        transferring_agency="SERVICE-A", archival_agreement="AGR-1",
    )  # fmt: skip
    path = tmp / "bench.zip"
    write_sip(path, built.transfer, built.members)
    return path


def timed(client: TestClient, path: str, repeat: int, **kwargs: object) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path, **kwargs)  # type: ignore[arg-type]
        samples.append(time.perf_counter() - start)
        assert answer.status_code == 200, (path, answer.status_code)
    return round(statistics.median(samples) * 1000, 1)


def config_of(tmp: Path, schema_dir: Path) -> SaeConfig:
    """SQLite in ``tmp``, two filesystem offers, ARCH the default tenant, the pages on."""

    def offers_under(prefix: str) -> list[BlobStore]:
        return [FilesystemBlobStore(tmp / name / prefix, name=name) for name in ("a", "b")]

    return SaeConfig(
        data_dir=tmp / "sae",
        settings=IngestSettings(tmp / "sae" / "quarantine", schema_dir),
        database=DatabaseSettings(f"sqlite:///{tmp / 'repository.sqlite'}"),
        offers_under=offers_under,
        default_tenant="ARCH",
        web=WebSetup(secret_key=b"k" * 32, public_url="http://testserver"),
    )


def set_up(opened: Repository) -> None:
    """ARCH's agreement, the GED's and the archivist's tokens, alice's account."""
    db, now = opened.db, datetime.now(UTC)
    agreement = ArchivalAgreement("ARCH", frozenset({"SERVICE-A"}), frozenset({SedaVersion.V2_2}))
    put_agreement(db, "ARCH", "AGR-1", agreement, actor="bench")
    tokens: dict[str, Role] = {"ged": "transferring", "alice": "archivist"}
    for name, role in tokens.items():
        record = TokenRecord(digest(name), "ARCH", name, role, now)
        add_token(db, record, actor="bench", action="token.create")
    alice = NewPerson("alice", "ARCH", "archivist", None, PASSWORD)
    create_person(db, Argon2Passwords(), lambda: datetime.now(UTC), alice, actor="bench")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--schemas-from", type=Path, required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        schema_dir = tmp / "schemas"
        install(schema_dir, args.schemas_from)
        package = sip(tmp, args.files)
        with TestClient(create_app(config_of(tmp, schema_dir)), follow_redirects=False) as client:
            set_up(client.app.state.repository)  # type: ignore[attr-defined]
            sent = client.post("/api/v1/sae/transfers", content=package.read_bytes(), headers={
                **SENDER, "Content-Type": "application/zip", "Idempotency-Key": "BENCH-1",
                "X-Transferring-Agency": "SERVICE-A"})  # fmt: skip
            transfer_id = sent.json()["transfer_id"]
            token = CSRF.search(client.get("/connexion").text).group(1)  # type: ignore[union-attr]
            client.post(
                "/connexion", data={"csrf_token": token, "login": "alice", "password": PASSWORD}
            )
            results = {
                "files": args.files,
                "package_bytes": package.stat().st_size,
                "review_page_first_ms": timed(client, f"/versements/{transfer_id}", 1),
                "review_page_ms": timed(client, f"/versements/{transfer_id}", args.repeat),
                "api_review_json_ms": timed(
                    client,
                    f"/api/v1/sae/review/transfers/{transfer_id}",
                    args.repeat,
                    headers=ARCHIVIST,
                ),
                "queue_page_ms": timed(client, "/versements", args.repeat),
            }
            token = CSRF.search(client.get(f"/versements/{transfer_id}").text).group(1)  # type: ignore[union-attr]
            start = time.perf_counter()
            client.post(f"/versements/{transfer_id}/accepter", data={"csrf_token": token})
            results["accept_s"] = round(time.perf_counter() - start, 2)
            results["catalogue_search_ms"] = timed(client, "/archives?q=piece", args.repeat)
            results["journal_page_ms"] = timed(client, "/journal", args.repeat)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
