"""Benchmark of the bordereau d'élimination as a PDF (``ged.services.elimination_pdf``): time,
size and pages for a proposal of N dossiers (default 50, 500 and 5,000), each with a long
title and a derogation every tenth dossier, in a fresh process each so peak RSS is its own.

With ``--fpdf2 DIR`` (a directory where fpdf2 was installed with ``pip install --target``, it
is not a dependency), the same table is also written with fpdf2's ``table()`` and the bundled
Vera font, for the decision record in the README. Not collected by pytest.

    .venv/bin/python bench/bench_elimination_slip.py [--rows 50,500,5000] [--fpdf2 /tmp/fpdf2]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from ged.services.elimination_sheet import COLUMNS, DEROGATION_COLUMNS, SheetRow, SlipSheet

TITLE = "Courrier arrivé au service des assemblées, copies et accusés de réception, année "


def sheet(rows: int) -> SlipSheet:
    cells = [
        SheetRow(
            str(n),
            (
                "Direction des finances",
                f"2020-{n:05d}",
                TITLE + str(2000 + n % 25),
                "du 2 janvier 2020 au 31 décembre 2020",
                "AG-08, version 1 — Courrier arrivé (copies et accusés de réception) (2 ans, "
                "destruction)",
                "31 décembre 2022",
                "DUA échue — destruction",
                "12 documents, 14 versions, 3,4 Mo",
            ),
        )
        for n in range(rows)
    ]
    derogations = [
        SheetRow(r.dossier_id, (r.cells[2], "AG-08 — Courrier arrivé", "Copies sans valeur « x »"))
        for r in cells[::10]
    ]
    facts = [("Proposition", "p-1"), ("Nombre de dossiers", str(rows))]
    return SlipSheet("p-1", "Département de l'Exemple", facts, cells, derogations, "1,2 Go")


def reportlab(data: SlipSheet) -> bytes:
    from ged.services.elimination_pdf import elimination_pdf

    return elimination_pdf(data)


def fpdf2(data: SlipSheet) -> bytes:
    import reportlab
    from fpdf import FPDF

    fonts = Path(reportlab.__file__).parent / "fonts"
    pdf = FPDF(orientation="L", format="A4")
    pdf.add_font("Vera", "", str(fonts / "Vera.ttf"))
    pdf.add_font("Vera", "B", str(fonts / "VeraBd.ttf"))
    pdf.set_font("Vera", size=8)
    pdf.add_page()
    for columns, rows in ((COLUMNS, data.rows), (DEROGATION_COLUMNS, data.derogations)):
        with pdf.table(repeat_headings=1) as table:
            table.row(columns)
            for row in rows:
                table.row(row.cells)
    return bytes(pdf.output())


def one(library: str, rows: int) -> dict[str, object]:
    data = sheet(rows)
    started = time.perf_counter()
    pdf = (reportlab if library == "reportlab" else fpdf2)(data)
    seconds = time.perf_counter() - started
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return {
        "library": library,
        "rows": rows,
        "seconds": round(seconds, 2),
        "kib": len(pdf) // 1024,
        "pages": pages,
        "peak_mib": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="50,500,5000")
    parser.add_argument("--fpdf2", default="")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        if args.fpdf2:
            sys.path.append(args.fpdf2)
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    libraries = ["reportlab"] + (["fpdf2"] if args.fpdf2 else [])
    for rows in (int(r) for r in args.rows.split(",")):
        for library in libraries:
            command = [sys.executable, __file__, "--one", library, str(rows)]
            command += ["--fpdf2", args.fpdf2] if args.fpdf2 else []
            print(
                subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
            )


if __name__ == "__main__":
    main()
