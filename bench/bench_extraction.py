"""Benchmark of format identification and text extraction, references measured in the same run.

1. PDF text, in this process: pypdfium2 against pypdf, pages per second, on generated dense
   multi-page PDFs and on the real PDFs of the performance anchors when present here; then
   ``extract_pdf`` (PDFium text + pypdf structure read) to show what the structure read adds.
2. ``ExtractionPool`` throughput: 1,000 small text files and 200 small PDFs through
   ``extract_many``, against the same extractors called in this process (the floor); the
   worker start-up and the one-shot ``extract_text`` are timed apart.
3. Identification cost per file on small mixed files: ``identify`` one by one, ``identify``
   with an upload name (extension hint), and ``identify_many`` with 1 and 2 Go workers; the
   cold first call (signature loading) is measured in a fresh interpreter.
4. Office text: three ways of reading a DOCX's and an ODT's XML part in this process
   (zipfile + lxml ``iterparse`` streaming, as ``office.py`` does; zipfile + lxml whole tree;
   zipfile + the standard library's ``ElementTree.iterparse``), then documents/s and MB/s of
   DOCX, ODT, XLSX, PPTX, RTF and e-mails through the pool, against 2-page PDFs in the same run.

Absolute times drift by ±30 % from run to run on this kind of machine; read the ratios. Medians
of ``--repeat`` runs. Not collected by pytest.

    .venv/bin/python bench/bench_extraction.py [--files 1000] [--pdfs 200] [--office 200]
    .venv/bin/python bench/bench_extraction.py --only-office   # section 4 alone
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

ANCHOR_PDFS = (
    "/work/shared/seda/official/2.1/doc/seda-2.1-dictionnaire.pdf",
    "/work/shared/seda/official/2.2/doc/seda-2.2-dictionnaire_[DocumentDeTravail-2022-01-31].pdf",
    "/work/shared/seda/official/2.3/doc/seda-2.3-documentation_sommaire.pdf",
    "/usr/share/doc/libtasn1-doc/libtasn1.pdf",
    "/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf",
)
WORDS = (
    *("archives", "délibération", "conseil", "municipal", "arrêté", "versement", "bordereau"),
    *("service", "producteur", "durée", "utilité", "administrative", "élimination"),
    *("conservation", "définitive", "dossier", "document"),
)


def median_time(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# -- generated inputs --------------------------------------------------------------------------


def dense_pdf(pages: int, rng: random.Random, lines: int = 45) -> bytes:
    """A PDF whose pages each hold ``lines`` lines of ~90 characters of French words."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, once the kids are known
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for _ in range(pages):
        body = [b"BT /F1 10 Tf 12 TL 50 780 Td"]
        for _ in range(lines):
            line = " ".join(rng.choice(WORDS) for _ in range(11))
            body.append(b"(%s) Tj T*" % line.encode("cp1252"))
        body.append(b"ET")
        content = zlib.compress(b"\n".join(body))
        kids.append(len(objects) + 1)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (len(objects) + 2)
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content)
            + content
            + b"\nendstream"
        )
    refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, pages)
    return _assemble(objects)


def _assemble(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0"))


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "bonjour")
    return buffer.getvalue()


def text_bytes(rng: random.Random) -> bytes:
    size = rng.randint(1000, 4000)
    words: list[str] = []
    while sum(len(word) + 1 for word in words) < size:
        words.append(rng.choice(WORDS))
    return " ".join(words).encode()


# -- 1. PDF text in this process ------------------------------------------------------------


def pdfium_text(path: Path) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    pages = len(document)
    for index in range(pages):
        page = document[index]
        textpage = page.get_textpage()
        textpage.get_text_bounded()
        textpage.close()
        page.close()
    document.close()
    return pages


def pypdf_text(path: Path) -> int:
    from pypdf import PdfReader

    reader = PdfReader(path)
    for page in reader.pages:
        page.extract_text()
    return len(reader.pages)


def bench_pdf_libraries(label: str, paths: list[Path], repeat: int) -> None:
    from ged.adapters.extraction.pdf import read_structure

    pages = sum(pdfium_text(path) for path in paths)
    pdfium_s = median_time(lambda: [pdfium_text(path) for path in paths], repeat)
    structure_s = median_time(lambda: [read_structure(str(path)) for path in paths], repeat)
    pypdf_s = median_time(lambda: [pypdf_text(path) for path in paths], 1)
    print(f"\n{label}: {len(paths)} PDFs, {pages} pages")
    print(
        f"  pypdfium2 text   {pdfium_s:7.3f} s  {pages / pdfium_s:6.0f} pages/s"
        f"  {pdfium_s / pages * 1000:6.2f} ms/page"
    )
    print(
        f"  pypdf text       {pypdf_s:7.3f} s  {pages / pypdf_s:6.0f} pages/s"
        f"  {pypdf_s / pages * 1000:6.2f} ms/page"
    )
    print(f"  pypdf / pypdfium2 = {pypdf_s / pdfium_s:.1f}x")
    print(
        f"  pypdf structure read (encryption, info, XMP) {structure_s / len(paths) * 1000:.2f}"
        f" ms/document = {structure_s / pdfium_s:.0%} of the PDFium text time"
    )


# -- 2. the pool -------------------------------------------------------------------------------


def bench_pool(label: str, files: list[Path], mime: str, floor: Callable[[Path], object]) -> None:
    from ged.adapters.extraction import ExtractionPool

    floor_s = median_time(lambda: [floor(path) for path in files], 3)
    pool = ExtractionPool(2, timeout_s=30)
    try:
        start = time.perf_counter()
        list(pool.extract_many((path, mime) for path in files[:2]))
        startup_s = time.perf_counter() - start
        start = time.perf_counter()
        results = list(pool.extract_many((path, mime) for path in files))
        pool_s = time.perf_counter() - start
        start = time.perf_counter()
        for path in files[:200]:
            pool.extract(path, mime)
        serial_s = (time.perf_counter() - start) / min(200, len(files))
    finally:
        pool.close()
    done = sum(1 for result in results if result.status == "done")
    count = len(files)
    print(f"\npool, {label}: {count} files ({done} done), 2 workers")
    print(f"  start of 2 workers + first 2 jobs  {startup_s:6.3f} s")
    print(
        f"  extract_many (warm)   {pool_s:6.3f} s  {count / pool_s:7.0f} files/s"
        f"  {pool_s / count * 1000:6.3f} ms/file"
    )
    print(f"  extract one by one    {serial_s * 1000:6.3f} ms/file (one caller thread)")
    print(f"  in-process floor      {floor_s / count * 1000:6.3f} ms/file (no isolation)")


def bench_one_shot(path: Path, mime: str, repeat: int) -> None:
    from ged.adapters.extraction import extract_text

    seconds = median_time(lambda: extract_text(path, mime), repeat)
    print(f"\none-shot extract_text (one worker process per call): {seconds * 1000:.0f} ms/call")


# -- 3. identification -----------------------------------------------------------------------


def mixed_files(directory: Path, count: int, rng: random.Random) -> list[Path]:
    small_pdf = dense_pdf(1, rng, lines=5)
    makers: list[tuple[str, Callable[[], bytes]]] = [
        ("txt", lambda: text_bytes(rng)),
        ("csv", lambda: b"nom;age\n" + b"Dupont;42\n" * rng.randint(10, 200)),
        ("pdf", lambda: small_pdf),
        ("png", png_bytes),
        ("zip", zip_bytes),
        ("bin", lambda: rng.randbytes(rng.randint(1000, 4000))),
    ]
    paths = []
    for index in range(count):
        suffix, make = makers[index % len(makers)]
        path = directory / f"{index:05d}.{suffix}"
        path.write_bytes(make())
        paths.append(path)
    return paths


COLD = """
import time, pathlib, sys
start = time.perf_counter()
from ged.adapters.formats import identify
identify(pathlib.Path(sys.argv[1]))
print(time.perf_counter() - start)
"""


def bench_identification(paths: list[Path], repeat: int) -> None:
    from ged.adapters.formats import identify, identify_many

    cold = subprocess.run(
        [sys.executable, "-c", COLD, str(paths[0])], capture_output=True, text=True, check=True
    )
    blobs = [path.with_suffix("") for path in paths]
    for path, blob in zip(paths, blobs, strict=True):
        blob.write_bytes(path.read_bytes())
    count = len(paths)
    one = median_time(lambda: [identify(path) for path in paths], repeat)
    hinted = median_time(lambda: [identify(b, filename=p.name) for p, b in zip(paths, blobs, strict=True)], repeat)  # fmt: skip
    many1 = median_time(lambda: identify_many(paths, workers=1), repeat)
    many2 = median_time(lambda: identify_many(paths, workers=2), repeat)
    print(f"\nidentification, {count} small mixed files (txt csv pdf png zip bin)")
    print(f"  cold: import + signatures + first file   {float(cold.stdout) * 1000:6.0f} ms")
    for label, seconds in (
        ("identify, one call per file", one),
        ("identify of a digest-named blob + name", hinted),
        ("identify_many, workers=1", many1),
        ("identify_many, workers=2", many2),
    ):
        print(f"  {label:40s} {seconds / count * 1000:6.3f} ms/file")


# -- 4. office documents -----------------------------------------------------------------------


def office_samples(rng: random.Random) -> dict[str, tuple[bytes, str]]:
    """A two-page letter in each word-processing format, a 300-row sheet, a 10-slide deck and an
    e-mail carrying the letter: realistic sizes for what a collectivité files every day."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.fixtures import office_files as office

    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(14)) for _ in range(60)]
    rows: list[list[str | int]] = [
        [rng.choice(WORDS), rng.choice(WORDS), rng.randint(1, 10**6), rng.choice(WORDS)]
        for _ in range(300)
    ]
    letter = office.docx(*paragraphs)
    return {
        "docx": (letter, office.DOCX_MIME),
        "odt": (office.odt(*paragraphs), office.ODF_MIME["text"]),
        "xlsx": (office.xlsx(rows), office.XLSX_MIME),
        "pptx": (office.pptx(*paragraphs[:10]), office.PPTX_MIME),
        "rtf": (office.rtf(*paragraphs), "text/rtf"),
        "eml": (office.eml("Courrier", paragraphs[0], [("lettre.docx", office.DOCX_MIME, letter)]), "message/rfc822"),
    }  # fmt: skip


def _whole_tree(path: Path, part: str) -> int:
    from lxml import etree

    with zipfile.ZipFile(path) as package:
        root = etree.fromstring(package.read(part), etree.XMLParser(resolve_entities=False))
    return len("".join(root.itertext()))


def _stdlib_iterparse(path: Path, part: str) -> int:
    import xml.etree.ElementTree as ET

    size = 0
    with zipfile.ZipFile(path) as package, package.open(part) as stream:
        for _, element in ET.iterparse(stream):  # noqa: S314 (our own generated file)
            size += len(element.text or "")
            element.clear()
    return size


def bench_office_parsers(samples: dict[str, tuple[bytes, str]], root: Path, repeat: int) -> None:
    from ged.adapters.extraction.office import extract_office

    print("\noffice XML part, in this process (ms/document; 200 documents)")
    for kind, part in (("docx", "word/document.xml"), ("odt", "content.xml")):
        path = root / f"parser.{kind}"
        path.write_bytes(samples[kind][0])
        options: dict[str, Callable[[Path, str], object]] = {
            "zipfile + lxml iterparse (office.py)": lambda p, _: extract_office(str(p), 10**6),
            "zipfile + lxml whole tree": _whole_tree,
            "zipfile + ElementTree.iterparse": _stdlib_iterparse,
        }
        for label, read in options.items():
            seconds = median_time(partial(_times, read, path, part, 200), repeat) / 200
            print(f"  {kind:4s} {label:40s} {seconds * 1000:6.3f} ms")


def _times(read: Callable[[Path, str], object], path: Path, part: str, count: int) -> None:
    for _ in range(count):
        read(path, part)


def bench_office_pool(samples: dict[str, tuple[bytes, str]], root: Path, count: int, rng: random.Random) -> None:  # fmt: skip
    from ged.adapters.extraction import ExtractionPool

    batches = {kind: (data, mime) for kind, (data, mime) in samples.items()}
    batches["pdf (2 pages)"] = (dense_pdf(2, rng), "application/pdf")
    print(f"\npool, {count} documents of each kind, 2 workers (warm)")
    with ExtractionPool(2, timeout_s=30) as pool:
        pool.start()
        for kind, (data, mime) in batches.items():
            paths = []
            for index in range(count):
                path = root / f"o-{kind.split()[0]}-{index:05d}"
                path.write_bytes(data)
                paths.append(path)
            start = time.perf_counter()
            results = list(pool.extract_many((path, mime) for path in paths))
            seconds = time.perf_counter() - start
            done = sum(1 for result in results if result.status == "done")
            megabytes = len(data) * count / 1e6
            print(
                f"  {kind:14s} {len(data) / 1024:6.1f} KiB  {count / seconds:7.0f} documents/s"
                f"  {megabytes / seconds:6.1f} MB/s  ({done} done)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="small text files for the pool")
    parser.add_argument("--pdfs", type=int, default=200, help="small PDFs for the pool")
    parser.add_argument("--identify", type=int, default=2000, help="files to identify")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--office", type=int, default=200, help="office documents of each kind")
    parser.add_argument("--only-office", action="store_true", help="section 4 only")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory(prefix="bench-extraction-") as tmp:
        root = Path(tmp)
        samples = office_samples(rng)
        bench_office_parsers(samples, root, args.repeat)
        bench_office_pool(samples, root, args.office, rng)
        if args.only_office:
            return
        generated = []
        for index in range(5):
            path = root / f"dense{index}.pdf"
            path.write_bytes(dense_pdf(34, rng))
            generated.append(path)
        bench_pdf_libraries("generated dense PDFs", generated, args.repeat)
        real = [Path(p) for p in ANCHOR_PDFS if Path(p).is_file()]
        if real:
            bench_pdf_libraries("real PDFs of the performance anchors", real, args.repeat)

        from ged.adapters.extraction.pdf import extract_pdf
        from ged.adapters.extraction.plaintext import extract_plain

        texts = []
        for index in range(args.files):
            path = root / f"t{index:05d}.txt"
            path.write_bytes(text_bytes(rng))
            texts.append(path)
        bench_pool("small text files", texts, "text/plain", lambda p: extract_plain(str(p), 10**6))
        small_pdfs = []
        for index in range(args.pdfs):
            path = root / f"p{index:05d}.pdf"
            path.write_bytes(dense_pdf(2, rng))
            small_pdfs.append(path)
        bench_pool(
            "2-page PDFs", small_pdfs, "application/pdf", lambda p: extract_pdf(str(p), 10**6)
        )
        bench_one_shot(small_pdfs[0], "application/pdf", args.repeat)

        identify_dir = root / "identify"
        identify_dir.mkdir()
        bench_identification(mixed_files(identify_dir, args.identify, rng), args.repeat)


if __name__ == "__main__":
    main()
