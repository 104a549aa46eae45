"""Benchmark of the ways to read a tableau de gestion sent as XLSX or ODS (not collected by pytest).

Three readers, on well-formed tableaux of 1,000 and 10,000 rows and on each hostile workbook of
tests/fixtures/hostile_spreadsheets.py:

- ``ours``: ``ged.services.spreadsheets`` (streamed XML, bounded), in the server's process;
- ``calamine``: python-calamine in the server's process, as the import did before;
- ``sandbox``: python-calamine in a worker of the extraction pool (768 MiB address space, 30 s),
  rows sent back over the pipe: the first job (worker start included), then a warm one.

Each measurement runs in a fresh process; ``MiB`` is the peak resident memory it added to the
process that would be the server's (VmHWM after the work minus VmRSS before it). The two
calamine readers need python-calamine, which the project no longer installs:
``.venv/bin/pip install python-calamine`` first, or they are skipped.

    .venv/bin/python bench/bench_spreadsheets.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
CALAMINE = "bench_spreadsheets:calamine_rows"
MIME = {"xlsx": "application/x-bench-xlsx", "ods": "application/x-bench-ods"}


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) >> 10
    return 0


def calamine_rows(path: str, max_chars: int) -> object:
    """Extractor run in a pool worker: the first sheet read by calamine, rows as text."""
    import python_calamine

    from ged.adapters.extraction.results import ExtractorOutput

    with python_calamine.CalamineWorkbook.from_path(path) as workbook:
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    return ExtractorOutput(text=json.dumps([[str(cell) for cell in row] for row in rows]))


def _read(method: str, path: Path, format_: str) -> tuple[str, int]:
    """One read; (outcome, rows)."""
    if method == "ours":
        from ged.services.spreadsheets import SpreadsheetRefused, read_first_sheet

        try:
            return "ok", len(read_first_sheet(path.read_bytes(), format_))  # type: ignore[arg-type]
        except SpreadsheetRefused as exc:
            return f"refusé ({exc.issues[0].code})", 0
    import python_calamine

    try:
        with python_calamine.CalamineWorkbook.from_path(path) as workbook:
            return "ok", len(workbook.get_sheet_by_index(0).to_python(skip_empty_area=False))
    except python_calamine.CalamineError as exc:
        return f"erreur ({str(exc)[:40]})", 0


def child(method: str, path: Path, format_: str, repeat: int) -> None:
    """Runs in the measured process and prints one JSON line."""
    if method == "sandbox":
        return sandbox_child(path, format_, repeat)
    if method == "ours":
        import ged.services.spreadsheets  # noqa: F401  (imports are not the read's memory)
    else:
        import python_calamine  # noqa: F401
    before = _status("VmRSS")
    times, outcome = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        outcome, _rows = _read(method, path, format_)
        times.append(time.perf_counter() - start)
    result = {"s": statistics.median(times), "mib": _status("VmHWM") - before, "outcome": outcome}
    print(json.dumps(result))
    return None


def sandbox_child(path: Path, format_: str, repeat: int) -> None:
    from ged.adapters.extraction.pool import ExtractionPool

    before = _status("VmRSS")
    with ExtractionPool(
        1, memory_mb=768, timeout_s=30, extractors={MIME[format_]: CALAMINE}
    ) as pool:
        start = time.perf_counter()
        first = pool.extract(path, MIME[format_])
        cold = time.perf_counter() - start
        warm = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = pool.extract(path, MIME[format_])
            if result.text:
                json.loads(result.text)  # the server would have to decode the rows
            warm.append(time.perf_counter() - start)
    outcome = "ok" if first.error is None else f"échec ({first.error}: {first.detail[:40]})"
    result_line = {"s": statistics.median(warm), "cold": cold, "mib": _status("VmHWM") - before}
    print(json.dumps({**result_line, "outcome": outcome}))


def measure(method: str, path: Path, format_: str, repeat: int) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", method, str(path), format_, str(repeat)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        return {"outcome": f"processus tué (code {done.returncode})", "s": None, "mib": None}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def tableau(rows: int, format_: str) -> bytes:
    from ged.domain.retention import FinalAction, RetentionRule
    from ged.services.rules_io import write_tableau
    from kernel.retention import Duration, RuleCategory

    rules = [
        RetentionRule(
            identifier=f"R-{index:05d}",
            category=RuleCategory.APPRAISAL,
            label=f"Dossiers de marchés publics, pièces de l'exécution, lot {index}",
            duration=Duration(years=10),
            final_action=FinalAction.SORT if index % 3 else FinalAction.KEEP,
            legal_reference="Code de la commande publique, art. R2184-12",
            notes="Tri : conserver les marchés de plus de 90 000 € HT",
        )
        for index in range(rows)
    ]
    out = io.BytesIO()
    write_tableau(rules, out, format_)  # type: ignore[arg-type]
    return out.getvalue()


def inputs() -> list[tuple[str, str, bytes]]:
    from tests.fixtures import hostile_spreadsheets as hostile

    cases = [(f"tableau {n} lignes", f, tableau(n, f)) for n in (1_000, 10_000) for f in MIME]
    for name in (
        "whole_sheet_dimension_xlsx",
        "many_shared_strings_xlsx",
        "zip_bomb_xlsx",
        "deep_xlsx",
        "repeated_cells_ods",
        "far_cell_ods",
        "zip_bomb_ods",
    ):
        cases.append((name, name.rsplit("_", 1)[1], getattr(hostile, name)()))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", nargs=4, metavar=("METHOD", "FILE", "FORMAT", "REPEAT"))
    args = parser.parse_args()
    if args.child:
        method, path, format_, repeat = args.child
        return child(method, Path(path), format_, int(repeat))
    try:
        import python_calamine  # noqa: F401

        methods = ["ours", "calamine", "sandbox"]
    except ImportError:
        methods = ["ours"]
    print("| classeur | octets | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    with tempfile.TemporaryDirectory() as folder:
        for name, format_, data in inputs():
            path = Path(folder) / f"{name}.{format_}"
            path.write_bytes(data)
            cells = [_cell(measure(m, path, format_, args.repeat)) for m in methods]
            print(f"| {name} | {len(data):,} | " + " | ".join(cells) + " |", flush=True)
    return None


def _cell(result: dict[str, object]) -> str:
    if result["s"] is None:
        return str(result["outcome"])
    text = f"{result['s'] * 1000:.1f} ms, +{result['mib']} Mio"  # type: ignore[operator]
    if "cold" in result:
        text += f" (1er : {result['cold'] * 1000:.0f} ms)"  # type: ignore[operator]
    return text if result["outcome"] == "ok" else f"{result['outcome']} en {text}"


if __name__ == "__main__":
    main()
