"""Opening a SIP of many small members and reading each one: memory held and time, against
``zipfile`` doing the same in the same run.

    .venv/bin/python bench/bench_sip_open.py [--members 100000] [--deflated]

A zip of ``--members`` small files (about 100 bytes, names as the GED writes them: a folder and
a UUID) plus ``manifest.xml`` is written once (setup, not timed), stored by default as the GED's
``seda.zipwriter`` writes it, deflated by ``zipfile`` with ``--deflated``. Then, each in a fresh
process so that one's memory does not hide the other's:

- **seda.package**: ``open_package`` (directory read, every hostile-package check), then every
  member's bytes by ``Package.chunks`` in directory order, as the ingest checks and the
  acceptance read them;
- **zipfile** (reference): ``zipfile.ZipFile`` and a dict name → size (what ``open_package``
  held before it read the directory itself), then every member by ``ZipFile.read``.

Reported: the memory held once open and the peak while reading (``tracemalloc``, a first run),
the growth of peak RSS over the process's own before opening (VmHWM, a second run without
tracemalloc, which slows Python down), the time to open and to read. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from seda.package import open_package
from seda.zipwriter import ZipWriter


def make_sip(path: Path, members: int, deflated: bool) -> None:
    names = (f"content/{uuid.UUID(int=n)}.pdf" for n in range(members))
    body = b"%PDF-1.4 a small document of about a hundred bytes, numbered "
    if deflated:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("manifest.xml", b"<ArchiveTransfer/>")
            for n, name in enumerate(names):
                archive.writestr(name, body + str(n).encode())
        return
    with path.open("wb") as out, ZipWriter(out, path.parent) as writer:
        writer.write("manifest.xml", b"<ArchiveTransfer/>")
        for n, name in enumerate(names):
            writer.write(name, body + str(n).encode())


def vm_hwm_mib() -> float:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _read_with_package(path: Path, trace: bool) -> dict[str, float]:
    began = time.perf_counter()
    with open_package(path) as package:
        opened = time.perf_counter()
        held = tracemalloc.get_traced_memory()[0] if trace else 0
        size = sum(len(chunk) for name in package.entries for chunk in package.chunks(name))
    return {"open": opened - began, "read": time.perf_counter() - opened, "held": held, "n": size}


def _read_with_zipfile(path: Path, trace: bool) -> dict[str, float]:
    began = time.perf_counter()
    with zipfile.ZipFile(path) as archive:
        entries = {i.filename: i.file_size for i in archive.infolist() if not i.is_dir()}
        opened = time.perf_counter()
        held = tracemalloc.get_traced_memory()[0] if trace else 0
        size = sum(len(archive.read(name)) for name in entries)
    return {"open": opened - began, "read": time.perf_counter() - opened, "held": held, "n": size}


def measure(path: Path, reader: str, trace: bool) -> dict[str, float]:
    """In this process: one reading of the SIP, with or without tracemalloc."""
    read = _read_with_package if reader == "seda.package" else _read_with_zipfile
    before = vm_hwm_mib()
    if trace:
        tracemalloc.start()
    result = read(path, trace)
    result["peak"] = tracemalloc.get_traced_memory()[1] if trace else 0
    result["rss_growth"] = vm_hwm_mib() - before
    return result


def in_child(path: Path, reader: str, trace: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", reader, str(path)] + (["--trace"] * trace)
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(output)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--deflated", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child[1]), args.child[0], args.trace)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-sip-open-") as tmp:
        sip = Path(tmp) / "sip.zip"
        make_sip(sip, args.members, args.deflated)
        kind = "deflated" if args.deflated else "stored"
        print(f"SIP of {args.members} {kind} members, {sip.stat().st_size / 1024**2:.1f} MiB")
        for reader in ("seda.package", "zipfile"):
            traced, plain = in_child(sip, reader, True), in_child(sip, reader, False)
            print(
                f"  {reader:<13} held once open {traced['held'] / 1024**2:5.1f} MiB, "
                f"peak {traced['peak'] / 1024**2:5.1f} MiB (tracemalloc); "
                f"peak RSS +{plain['rss_growth']:5.1f} MiB; "
                f"open {plain['open']:.2f} s, read {plain['read']:.2f} s"
            )


if __name__ == "__main__":
    main()
