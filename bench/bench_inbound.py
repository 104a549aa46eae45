"""Imports from the business systems: documents per second for each profile (actes, parapheur,
séance) against a plain-file import of the same files, measured in the same run.

    .venv/bin/python bench/bench_inbound.py [--count 100] [--no-process]

Each profile imports ``count`` inputs (a TdT folder of 5 files per acte, an i-Parapheur 5 zip of
4 files, a séance zip of 11 documents), each on a fresh instance (SQLite, filesystem store, the
real identification and extraction sandbox) through ``import_inbound`` — what ``gedsae import
--profile`` and ``POST /imports`` run — then identifies and extracts each document as the CLI
does. The reference is ``importer.import_tree`` — what ``gedsae import DIR`` runs — on the same
files unpacked into one folder per input, on another fresh instance. Both run in this process:
the CLI's start-up (~1 s) would otherwise count once for the tree and once per input for the
profiles. Absolute times drift by ±30 % between runs on this machine: read the ratios. Not
collected by pytest.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ged.bootstrap import build_context, build_inbound_setup
from ged.config import Settings
from ged.domain.access import Principal
from ged.domain.inbound import Profile
from ged.domain.model import Role
from ged.services import admin, importer, pending, processing
from ged.services.context import Context
from ged.services.inbound.importing import import_inbound
from ged.services.inbound.model import ImportRequest
from tests.fixtures.inbound_samples import (
    ActeSample,
    DeliberationSample,
    ParapheurSample,
    SeanceSample,
    pdf,
    write_file,
    write_folder,
    zip_bytes,
)


@dataclass(frozen=True)
class Input:
    path: Path  # what the profile reads (folder or archive)
    files: dict[str, bytes]  # the same files, unpacked, for the plain import


def acte(i: int) -> dict[str, bytes]:
    day = date(2026, 1, 5) + timedelta(days=i % 300)
    return ActeSample(number=f"B{i:05d}", decided_on=day, received_on=day).files()


def parapheur(i: int) -> ParapheurSample:
    return ParapheurSample(
        folder_id=str(uuid.UUID(int=i)),
        name=f"Dossier {i}",
        main={f"convention-{i}.pdf": pdf(f"convention {i}")},
        annexes={f"annexe-{i}.pdf": pdf(f"annexe {i}")},
    )


def seance(i: int) -> SeanceSample:
    deliberations = tuple(
        DeliberationSample(f"{i}{n}", f"S{i:04d}_{n}", f"Délibération {n} de la séance {i}")
        for n in (1, 2)
    )
    return SeanceSample(seance_id=str(i), deliberations=deliberations)


def inputs(profile: Profile, count: int, work: Path) -> list[Input]:
    made = []
    for i in range(count):
        if profile is Profile.ACTES:
            files = acte(i)
            made.append(Input(write_folder(work / f"acte-{i}", files), files))
        elif profile is Profile.PARAPHEUR:
            files = parapheur(i).files()
            made.append(Input(write_file(work / f"dossier-{i}.zip", zip_bytes(files)), files))
        else:
            sample = seance(i)
            archive = write_file(work / f"seance-{i}.zip", zip_bytes(sample.files()))
            made.append(Input(archive, sample.files(nested=False)))
    return made


def fresh(home: Path) -> tuple[Context, Principal, str, Settings]:
    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home)
    ctx = build_context(settings)
    org = admin.create_organisation(ctx, "bench", "Bench")
    issued = admin.create_principal(ctx, "bench", org.id, "admin", {Role.ADMIN}, set())
    svc = admin.create_service(ctx, issued.principal, "Bench", "FR_BENCH")
    return ctx, issued.principal, svc.id, settings


def timed(action: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = action()
    return time.perf_counter() - start, count


def run_profile(
    profile: Profile, made: list[Input], home: Path, process: bool
) -> tuple[float, int]:
    ctx, actor, service_id, settings = fresh(home)
    setup = build_inbound_setup(settings)

    def run() -> int:
        total = 0
        for item in made:
            request = ImportRequest(profile, item.path, service_id, item.path.name)
            result = import_inbound(ctx, setup, actor, request)
            for doc, _ in result.documents if process else ():
                processing.process(ctx, doc.id, 1)
            total += len(result.documents)
        return total

    try:
        return timed(run)
    finally:
        ctx.close()


def run_plain(made: list[Input], work: Path, home: Path, process: bool) -> tuple[float, int]:
    tree = work / "plain"
    shutil.rmtree(tree, ignore_errors=True)
    for n, item in enumerate(made):
        write_folder(tree / f"{n:05d}", item.files)
    ctx, actor, service_id, _ = fresh(home)

    def run() -> int:
        files = importer.import_tree(ctx, actor, tree, service_id).files
        if process:  # what `gedsae import` runs after the deposit
            pending.process_pending(ctx)
        return files

    try:
        return timed(run)
    finally:
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--no-process", action="store_true", help="no identification/extraction")
    args = parser.parse_args()
    process = not args.no_process
    print("| profile | inputs | documents | s | docs/s | plain import docs/s | ratio |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bench-inbound-") as tmp:
        work = Path(tmp)
        for profile in Profile:
            made = inputs(profile, args.count, work / profile.value)
            secs, docs = run_profile(profile, made, work / "home-profile", process)
            plain_secs, plain_docs = run_plain(made, work, work / "home-plain", process)
            rate, plain_rate = docs / secs, plain_docs / plain_secs
            print(
                f"| {profile.value} | {len(made)} | {docs} | {secs:.2f} | {rate:.0f} "
                f"| {plain_rate:.0f} | {rate / plain_rate:.2f}× |"
            )


if __name__ == "__main__":
    main()
