"""Benchmark of the filesystem blob store against its references, measured in the same run.

Big file (default 2 GiB, ``--size``): ``FilesystemBlobStore.put`` (SHA-256 + SHA-512 + durable
write) against ``cp FILE COPY && sync`` (the durable-copy floor), hashlib computing both digests
with one thread each and no write, and ``sha256sum FILE; sha512sum FILE`` (slow: coreutils does
not use the CPU's SHA instructions here). Small files (default 10,000 of 4–64 KiB): ``batch()``
against ``cp -r DIR COPY && sync``, and plain ``put`` (one fsync per file) for comparison.

Each step runs in its own process so its peak RSS is its own. Absolute times drift by ±30 % from
run to run on this kind of machine; the ratios are what to read. Not collected by pytest.

    .venv/bin/python bench/bench_blobstore.py [--size 2G] [--small-count 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mib: float


# -- steps run in a child process (``_step NAME ARGS``), reporting JSON on stdout ---------------


def _step_put(root: str, source: str) -> None:
    from kernel.blobstore.filesystem import FilesystemBlobStore

    store = FilesystemBlobStore(root)
    with Path(source).open("rb") as stream:
        store.put(stream, expected_size=Path(source).stat().st_size)


def _step_hash(source: str) -> None:
    from kernel.blobstore.hashing import hash_stream

    with Path(source).open("rb") as stream:
        hash_stream(stream)


def _step_batch(root: str, directory: str, threads: str = "1") -> None:
    from concurrent.futures import ThreadPoolExecutor

    from kernel.blobstore.filesystem import FilesystemBlobStore

    store = FilesystemBlobStore(root)
    with store.batch() as batch:

        def put(path: Path) -> None:
            with path.open("rb") as stream:
                batch.put(stream)

        with ThreadPoolExecutor(int(threads)) as pool:
            for _ in pool.map(put, sorted(Path(directory).iterdir())):
                pass


def _step_single(root: str, directory: str) -> None:
    from kernel.blobstore.filesystem import FilesystemBlobStore

    store = FilesystemBlobStore(root)
    for path in sorted(Path(directory).iterdir()):
        with path.open("rb") as stream:
            store.put(stream)


STEPS: dict[str, Callable[..., None]] = {
    "put": _step_put,
    "hash": _step_hash,
    "batch": _step_batch,
    "single": _step_single,
}


def run_step_here(name: str, args: list[str]) -> None:
    start = time.perf_counter()
    STEPS[name](*args)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak}))


# -- measuring ----------------------------------------------------------------------------------


def python_step(name: str, *args: str) -> Sample:
    output = subprocess.run(
        [sys.executable, __file__, "_step", name, *args], check=True, capture_output=True
    ).stdout
    return Sample(**json.loads(output))


def shell_step(command: str) -> Sample:
    start = time.perf_counter()
    process = subprocess.Popen(["sh", "-c", command], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{command!r} exited with {process.returncode}")
    # RUSAGE of the shell's children is not included; cp/sha*sum stay small anyway.
    return Sample(seconds, usage.ru_maxrss / 1024)


def measure(repeat: int, run: Callable[[], Sample], clean: Callable[[], None]) -> Sample:
    samples = []
    for _ in range(repeat):
        clean()
        samples.append(run())
    clean()
    return Sample(
        statistics.median(s.seconds for s in samples), max(s.peak_rss_mib for s in samples)
    )


def remover(*paths: Path) -> Callable[[], None]:
    def clean() -> None:
        for path in paths:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        subprocess.run(["sync"], check=True)

    return clean


# -- data ---------------------------------------------------------------------------------------


def make_big_file(path: Path, size: int) -> None:
    with path.open("wb") as out:
        remaining = size
        while remaining:
            chunk = os.urandom(min(MIB, remaining))
            out.write(chunk)
            remaining -= len(chunk)
        out.flush()
        os.fsync(out.fileno())


def make_small_files(directory: Path, count: int) -> int:
    directory.mkdir()
    generator = random.Random(10_000)
    total = 0
    for index in range(count):
        size = generator.randint(4 * 1024, 64 * 1024)
        (directory / f"file-{index:05d}.bin").write_bytes(os.urandom(size))
        total += size
    subprocess.run(["sync"], check=True)
    return total


# -- reports ------------------------------------------------------------------------------------


def report(title: str, rows: dict[str, Sample], unit: float, unit_name: str, base: str) -> None:
    print(f"\n== {title}")
    reference = rows[base].seconds
    for name, sample in rows.items():
        rate = unit / sample.seconds
        ratio = sample.seconds / reference
        print(
            f"  {name:<42} {sample.seconds:7.2f} s {rate:7.0f} {unit_name}"
            f"  x{ratio:5.2f} of {base!r}  peak RSS {sample.peak_rss_mib:5.1f} MiB"
        )


def bench_big(work: Path, size: int, repeat: int) -> None:
    source, copy, root = work / "big.bin", work / "big.copy", work / "store"
    print(f"generating {size / MIB:.0f} MiB …", flush=True)
    make_big_file(source, size)
    rows = {
        "FilesystemBlobStore.put (2 digests+fsync)": measure(
            repeat, lambda: python_step("put", str(root), str(source)), remover(root)
        ),
        "cp FILE COPY && sync": measure(
            repeat, lambda: shell_step(f"cp '{source}' '{copy}' && sync"), remover(copy)
        ),
        "hashlib sha256+sha512, a thread each": measure(
            repeat, lambda: python_step("hash", str(source)), lambda: None
        ),
        "sha256sum FILE; sha512sum FILE": measure(
            repeat, lambda: shell_step(f"sha256sum '{source}'; sha512sum '{source}'"), lambda: None
        ),
    }
    title = f"one {size / MIB:.0f} MiB file, median of {repeat}"
    report(title, rows, size / MIB, "MiB/s", "cp FILE COPY && sync")
    put = rows["FilesystemBlobStore.put (2 digests+fsync)"].seconds
    print(
        f"  put / hashlib-only = {put / rows['hashlib sha256+sha512, a thread each'].seconds:.2f}"
        f", put / coreutils = {put / rows['sha256sum FILE; sha512sum FILE'].seconds:.2f}"
    )
    source.unlink()


def bench_small(work: Path, count: int, repeat: int) -> None:
    directory, copy, root = work / "small", work / "small.copy", work / "store-small"
    print(f"\ngenerating {count} files of 4–64 KiB …", flush=True)
    total = make_small_files(directory, count)
    rows = {
        "batch() put, one syncfs": measure(
            repeat, lambda: python_step("batch", str(root), str(directory)), remover(root)
        ),
        "batch() put, 4 threads putting": measure(
            repeat, lambda: python_step("batch", str(root), str(directory), "4"), remover(root)
        ),
        "cp -r DIR COPY && sync": measure(
            repeat, lambda: shell_step(f"cp -r '{directory}' '{copy}' && sync"), remover(copy)
        ),
        "put per file (fsync each)": measure(
            1, lambda: python_step("single", str(root), str(directory)), remover(root)
        ),
    }
    title = f"{count} files, {total / MIB:.0f} MiB, median of {repeat} (put per file: 1 run)"
    report(title, rows, count, "files/s", "cp -r DIR COPY && sync")
    shutil.rmtree(directory)


def parse_size(text: str) -> int:
    units = {"K": 1024, "M": MIB, "G": 1024 * MIB}
    suffix = text[-1].upper()
    return int(float(text[:-1]) * units[suffix]) if suffix in units else int(text)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_step":
        run_step_here(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size", type=parse_size, default=2 * 1024 * MIB, help="e.g. 512M, 2G")
    parser.add_argument("--small-count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: /tmp)")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--skip-small", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-blobstore-", dir=args.dir) as work:
        if not args.skip_big:
            bench_big(Path(work), args.size, args.repeat)
        if not args.skip_small:
            bench_small(Path(work), args.small_count, args.repeat)


if __name__ == "__main__":
    main()
