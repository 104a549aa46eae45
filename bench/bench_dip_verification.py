"""Benchmark of the verification of a package received from the repository (a DIP, or archives
given back): ``connectors.exchanges.verify_package`` (the reply read from ``manifest.xml``, each
object's SHA-512 and size checked against it, no member left undescribed) against hashlib
computing the same SHA-512 digests over the same members, measured in the same run.

Absolute times drift by ±30 % from run to run on this kind of machine; the ratio is what to
read. Not collected by pytest.

    .venv/bin/python bench/bench_dip_verification.py [--size-mib 256] [--files 16]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from connectors.exchanges import verify_package
from seda.communication import ArchiveDeliveryRequestReply
from seda.messages import build_message
from seda.model import (
    ArchiveUnit,
    BinaryDataObject,
    Content,
    DataObjectGroup,
    DataObjectPackage,
    ObjectReference,
)
from seda.versions import SedaVersion

MIB = 1024 * 1024


def package(path: Path, size_mib: int, files: int) -> None:
    """A zip of ``files`` members of random bytes, stored (DIPs are mostly compressed formats),
    and the reply describing them as its manifest."""
    groups, units = [], []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for n in range(1, files + 1):
            data = os.urandom(size_mib * MIB // files)
            uri = f"content/BDO_{n}.bin"
            archive.writestr(uri, data)
            digest = hashlib.sha512(data).hexdigest()
            groups.append(
                DataObjectGroup(
                    f"GOT_{n}", (BinaryDataObject(f"BDO_{n}", uri, digest, size=len(data)),)
                )
            )
            units.append(
                ArchiveUnit(
                    f"AU_{n}",
                    Content("Item", (uri,)),
                    object_references=(ObjectReference(data_object_group_reference_id=f"GOT_{n}"),),
                )
            )
        reply = ArchiveDeliveryRequestReply(
            "COM-1-R", datetime(2026, 3, 2, tzinfo=UTC), "COM-1", "FR_AD", "FR_DF", ("U1",), "000",
            package=DataObjectPackage(tuple(groups), tuple(units)),
        )  # fmt: skip
        archive.writestr("manifest.xml", build_message(SedaVersion.V2_2, reply))


def hashlib_only(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("content/"):
                digest = hashlib.sha512()
                with archive.open(name) as member:
                    while chunk := member.read(MIB):
                        digest.update(chunk)


def timed(step: Callable[[Path], object], path: Path) -> float:
    began = time.perf_counter()
    step(path)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--files", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dip.zip"
        package(path, args.size_mib, args.files)
        reference = timed(hashlib_only, path)
        verified = timed(lambda p: verify_package(p, "COM-1"), path)
    size = args.size_mib
    print(f"package: {size} MiB in {args.files} objects")
    print(f"hashlib SHA-512 only : {reference:.2f} s ({size / reference:.0f} MiB/s)")
    print(f"verify_package       : {verified:.2f} s ({size / verified:.0f} MiB/s)")
    print(f"ratio                : {verified / reference:.2f}")


if __name__ == "__main__":
    main()
