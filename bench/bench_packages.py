"""Checking a ready SIP sent by an application, against hashing the same bytes in the same run.

    .venv/bin/python bench/bench_packages.py [--files 1000] [--size 64K] [--official DIR]

A SEDA 2.2 package of ``--files`` binaries of ``--size`` each is written once (setup, not
timed), then: **check** (``transfer_package_checks.check_package``: package safety, XSD,
references, each object's size and SHA-512 against the package, the agreement's agencies and
services), **sign** (``manifest.xml.p7s`` appended), **digest** (the package's SHA-256, as the
transfer keeps it). References over the same bytes: hashlib SHA-512 of every binary (what the
check cannot avoid) and SHA-256 of the whole package. The official schemas are installed from
``--official`` (default ``../shared/seda/official``). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_blobstore import parse_size

from ged.services.agreements import Agreement
from ged.services.transfer_package_checks import check_package
from ged.services.transfers import sha256_of
from kernel.signing import generate_self_signed, load_identity_from_pem, sign_digest
from schemas.install import install
from seda.model import (
    Agency,
    ArchiveTransfer,
    ArchiveUnit,
    BinaryDataObject,
    Content,
    DataObjectGroup,
    ManagementMetadata,
    ObjectReference,
    TransferHeader,
)
from seda.sip import add_manifest_signature, write_sip
from seda.versions import SedaVersion

T = TypeVar("T")
AGREEMENT = Agreement("ad35", "sae", SedaVersion.V2_2, "ARCH", "SERVICE-A", "Commune")


def timed(what: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = what()
    return result, time.perf_counter() - start


def make_package(folder: Path, files: int, size: int) -> tuple[Path, list[Path]]:
    sources, groups, units, members = [], [], [], []
    for n in range(1, files + 1):
        source = folder / f"f{n}.bin"
        data = n.to_bytes(8, "big") * (size // 8) + b"\0" * (size % 8)
        source.write_bytes(data)
        sources.append(source)
        uri = f"content/BDO_{n}.bin"
        digest = hashlib.sha512(data).hexdigest()
        binary = BinaryDataObject(f"BDO_{n}", uri, digest, size=size, filename=f"f{n}.bin")
        groups.append(DataObjectGroup(f"GOT_{n}", (binary,)))
        reference = ObjectReference(data_object_group_reference_id=f"GOT_{n}")
        units.append(ArchiveUnit(f"AU_{n}", Content("Item", (f"pièce {n}",)), object_references=(reference,)))  # fmt: skip
        members.append((uri, source))
    header = TransferHeader(
        SedaVersion.V2_2, "BENCH-1", Agency("ARCH"), Agency("SERVICE-A"),
        datetime(2026, 12, 6, tzinfo=UTC),
    )  # fmt: skip
    management = ManagementMetadata(originating_agency_identifier="FR_DF")
    out = folder / "package.zip"
    write_sip(out, ArchiveTransfer(header, groups, units, management), members)
    return out, sources


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", default="64K")
    default = Path(__file__).resolve().parents[2] / "shared" / "seda" / "official"
    parser.add_argument("--official", type=Path, default=default)
    args = parser.parse_args()
    size = parse_size(args.size)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        schemas = folder / "schemas"
        install(schemas, args.official)
        package, sources = make_package(folder, args.files, size)
        checked, check_s = timed(
            lambda: check_package(package, AGREEMENT, schemas, frozenset({"FR_DF"}))
        )
        key, certificate = generate_self_signed("bench", "Commune", 30)
        identity = load_identity_from_pem(key, certificate)
        _, sign_s = timed(lambda: add_manifest_signature(package, lambda d: sign_digest(d, identity)))  # fmt: skip
        _, digest_s = timed(lambda: sha256_of(package))
        _, sha512_s = timed(lambda: [hashlib.sha512(p.read_bytes()).digest() for p in sources])
        _, sha256_s = timed(lambda: hashlib.sha256(package.read_bytes()).digest())
        total = package.stat().st_size
    mib = total / 2**20
    print(
        f"paquet : {args.files} fichiers de {args.size}, {mib:.1f} Mio ({checked.message_identifier})"
    )
    print(f"contrôle      {check_s:8.3f} s  {args.files / check_s:9.0f} fichiers/s  {mib / check_s:7.1f} Mio/s")  # fmt: skip
    print(f"signature     {sign_s:8.3f} s")
    print(f"empreinte     {digest_s:8.3f} s  {mib / digest_s:7.1f} Mio/s")
    print(f"réf. SHA-512 des fichiers {sha512_s:8.3f} s ; réf. SHA-256 du paquet {sha256_s:8.3f} s")


if __name__ == "__main__":
    main()
