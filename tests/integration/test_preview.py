"""What a document page previews: PDF pages drawn as PNG images by the extraction sandbox,
safe images as they are, extracted text; never an SVG or a damaged PDF."""

from __future__ import annotations

import io

import pytest

from ged.domain.model import Metadata
from ged.services import documents, filing, processing
from ged.services.preview import PageNotFound, image_of, pdf_page, preview_of
from kernel.errors import NotFoundError
from tests.fixtures.ged import Ged
from tests.fixtures.hostile_pdfs import text_pdf

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def file(ged: Ged, name: str, body: bytes) -> str:
    dossier = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="D")
    filed = documents.file_document(
        ged.ctx, ged.admin, dossier.id, io.BytesIO(body), filename=name, metadata=Metadata(name)
    )
    processing.process(ged.ctx, filed.document.id, filed.version.number)
    return filed.document.id


def test_a_pdf_page_is_drawn_as_a_png_by_the_sandbox(sqlite_ged: Ged) -> None:
    doc = file(sqlite_ged, "compte-rendu.pdf", text_pdf(["Première page", "Seconde page"]))
    preview = preview_of(sqlite_ged.ctx, sqlite_ged.admin, doc, None)
    assert (preview.kind, preview.page_count) == ("pdf", 2)
    png = pdf_page(sqlite_ged.ctx, sqlite_ged.admin, doc, None, 2)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 1000
    with pytest.raises(PageNotFound):
        pdf_page(sqlite_ged.ctx, sqlite_ged.admin, doc, None, 3)


def test_a_damaged_pdf_has_no_preview_and_the_page_says_why(sqlite_ged: Ged) -> None:
    doc = file(sqlite_ged, "abime.pdf", b"%PDF-1.7\n garbage that PDFium cannot read")
    preview = preview_of(sqlite_ged.ctx, sqlite_ged.admin, doc, None)
    assert preview.kind == "none"
    assert preview.problem == "Le fichier est endommagé ou ne respecte pas son format."


def test_an_svg_image_is_never_shown_as_an_image(sqlite_ged: Ged) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    doc = file(sqlite_ged, "logo.svg", svg)
    assert preview_of(sqlite_ged.ctx, sqlite_ged.admin, doc, None).kind == "none"
    with pytest.raises(NotFoundError):
        image_of(sqlite_ged.ctx, sqlite_ged.admin, doc, None)


def test_a_text_file_is_previewed_as_its_extracted_text(sqlite_ged: Ged) -> None:
    doc = file(sqlite_ged, "note.txt", b"<script>alert(1)</script> budget")
    preview = preview_of(sqlite_ged.ctx, sqlite_ged.admin, doc, None)
    assert (preview.kind, preview.text) == ("text", "<script>alert(1)</script> budget")


def test_another_organisation_cannot_preview_a_document(sqlite_ged: Ged) -> None:
    doc = file(sqlite_ged, "compte-rendu.pdf", text_pdf(["Page"]))
    other_admin, _, _ = sqlite_ged.other_organisation()
    with pytest.raises(NotFoundError):
        pdf_page(sqlite_ged.ctx, other_admin, doc, None, 1)
