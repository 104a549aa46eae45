"""Plain text is decoded in-process; other types still go through the sandbox pool."""

from __future__ import annotations

from pathlib import Path

from ged.adapters.extraction.inline import InlinePlainText
from ged.adapters.extraction.pool import ExtractionPool
from tests.fixtures.hostile_pdfs import text_pdf


def test_plain_text_inline_and_pdf_sandboxed_in_order(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("procès-verbal", encoding="cp1252")
    pdf = tmp_path / "acte.pdf"
    pdf.write_bytes(text_pdf(["Délibération du conseil"]))
    binary = tmp_path / "x.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    with ExtractionPool(1, timeout_s=20) as pool:
        extractor = InlinePlainText(pool)
        results = list(
            extractor.extract_many(
                [(note, "text/plain"), (pdf, "application/pdf"), (binary, "text/plain")]
            )
        )
    assert results[0].status == "done" and results[0].text == "procès-verbal"
    assert results[1].status == "done" and "conseil" in results[1].text
    assert results[2].status == "failed"
