"""One page of a PDF (ISO 32000) rendered to a PNG image (ISO/IEC 15948), inside a worker.

PDFium (pypdfium2) draws the page into an RGB bitmap at a scale that makes it ``WIDTH`` pixels
wide (never more than ``MAX_SCALE``, never more than ``MAX_PIXELS`` in all, so an absurd page
size cannot exhaust the worker's memory); the PNG is written here with zlib (one IDAT chunk,
filter type 0 on every row), since Pillow is not a dependency. Like the GED's text extractors,
this module is imported inside the sandbox, after its limits are set.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

from kernel.sandbox.failures import EncryptedDocument, MalformedDocument

WIDTH = 1000
MAX_SCALE = 3.0
MAX_PIXELS = 6_000_000
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class PageImage:
    """What a render job returns (through the worker's pipe): ``png`` is empty when only the
    page count was asked (page 0)."""

    png: bytes
    page_count: int


def render_pdf_page(path: str, page: int) -> PageImage:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedDocument(str(exc)) from exc
        raise MalformedDocument(str(exc)) from exc
    try:
        count = len(document)
        if page == 0 or page > count:
            return PageImage(b"", count)
        return PageImage(_draw(document[page - 1]), count)
    finally:
        document.close()


def _draw(page: Any) -> bytes:
    width, height = page.get_size()
    scale = min(MAX_SCALE, WIDTH / max(width, 1.0))
    if width * height * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / max(width * height, 1.0)) ** 0.5
    import pypdfium2.raw as pdfium_c

    bitmap = page.render(
        scale=scale, rev_byteorder=True, force_bitmap_format=pdfium_c.FPDFBitmap_BGR
    )
    try:
        return encode_png(bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride)
    finally:
        bitmap.close()
        page.close()


def encode_png(rgb: bytes, width: int, height: int, stride: int) -> bytes:
    """An 8-bit RGB PNG of ``height`` rows of ``stride`` bytes (``width`` pixels used)."""
    row = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride : y * stride + row] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        [
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, 6)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
