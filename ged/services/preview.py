"""What a document page shows of a version's content, without ever running it in the browser.

- PDF: each page drawn as a PNG by the extraction sandbox (``Context.render_page``: a separate
  process with time and memory caps), so a hostile PDF never reaches the browser's viewer;
- images in formats browsers decode safely (PNG, JPEG, GIF, WebP; never SVG, which is a
  document that can carry scripts): the bytes themselves, served with
  ``Content-Security-Policy: sandbox`` and ``nosniff`` by the page;
- anything whose text was extracted (plain text, CSV, HTML, XML…): that text, escaped by the
  page inside ``<pre>``, never the markup itself;
- otherwise no preview: the file can be downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from ged.domain.access import Principal
from ged.domain.model import ExtractionStatus, Version
from ged.services.context import Context
from ged.services.documents import load_document, open_version
from kernel.errors import NotFoundError
from kernel.sandbox.preview import IMAGE_TYPES, PDF, TEXT_LIMIT, PreviewUnavailable


class PageNotFound(NotFoundError):
    code = "page_not_found"
    title = "Page introuvable"


@dataclass(frozen=True)
class Preview:
    kind: str  # pdf | image | text | none
    version: Version
    page_count: int = 0
    text: str = ""
    truncated: bool = False
    problem: str = ""  # why a PDF could not be shown


def preview_of(ctx: Context, actor: Principal, document_id: str, number: int | None) -> Preview:
    version, text = _version_and_text(ctx, actor, document_id, number)
    if version.mime_type == PDF:
        try:
            with ctx.local_copy(version.sha256) as path:
                count = ctx.render_page(path, 0).page_count
        except PreviewUnavailable as exc:
            return Preview("none", version, problem=exc.detail)
        return Preview("pdf", version, page_count=count)
    if version.mime_type in IMAGE_TYPES:
        return Preview("image", version)
    if text is not None:
        return Preview("text", version, text=text[:TEXT_LIMIT], truncated=len(text) > TEXT_LIMIT)
    return Preview("none", version)


def pdf_page(
    ctx: Context, actor: Principal, document_id: str, number: int | None, page: int
) -> bytes:
    """Page ``page`` (1-based) of a PDF version as a PNG image."""
    version, _ = _version_and_text(ctx, actor, document_id, number, with_text=False)
    if version.mime_type != PDF or page < 1:
        raise PageNotFound("Page introuvable")
    with ctx.local_copy(version.sha256) as path:
        rendered = ctx.render_page(path, page)
    if page > rendered.page_count or not rendered.png:
        raise PageNotFound(f"Ce document n'a que {rendered.page_count} page(s)")
    return rendered.png


def image_of(
    ctx: Context, actor: Principal, document_id: str, number: int | None
) -> tuple[Version, BinaryIO]:
    """The bytes of an image version a browser may show (never SVG)."""
    version, stream = open_version(ctx, actor, document_id, number)
    if version.mime_type not in IMAGE_TYPES:
        stream.close()
        raise NotFoundError("Aucune image à montrer pour cette version")
    return version, stream


def _version_and_text(
    ctx: Context, actor: Principal, document_id: str, number: int | None, *, with_text: bool = True
) -> tuple[Version, str | None]:
    with ctx.uow() as uow:
        doc = load_document(uow, actor, document_id)
        version = uow.repo.get_version(doc.id, number or doc.current_version)
        if version is None:
            raise NotFoundError("Version introuvable")
        done = version.extraction_status is ExtractionStatus.DONE
        text = uow.repo.get_text(doc.id, version.number) if with_text and done else None
    return version, text
