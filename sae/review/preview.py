"""What the review screen shows of a file of a transfer awaiting review, without ever running
it in the browser (as the GED's document page does, over the kernel's sandbox,
``kernel.sandbox.preview``):

- PDF: each page drawn as a PNG image by a sandboxed worker process (time and memory caps);
- images in ``IMAGE_TYPES`` (never SVG): their bytes, served by the page with
  ``Content-Security-Policy: sandbox`` and ``nosniff``;
- text (``text/*``, XML, JSON): decoded, at most ``TEXT_LIMIT`` characters, escaped by the page;
- otherwise no preview.

The file is read from the quarantined package (``seda.package``, with its safety limits); its
type is the one the bordereau declares, else its name's.
"""

from __future__ import annotations

import mimetypes
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kernel.errors import NotFoundError
from kernel.sandbox.preview import IMAGE_TYPES, PDF, TEXT_LIMIT, PageRenderer, PreviewUnavailable
from sae.model import Transfer
from sae.review.bordereau import FileLine, read_bordereau
from seda.package import open_package

TEXT_TYPES: Final = frozenset({"application/xml", "application/json"})
IMAGE_LIMIT: Final = 20 * 1024 * 1024  # a larger image is downloaded, not shown


class FileNotInTransfer(NotFoundError):
    code = "file_not_in_transfer"
    title = "Fichier introuvable dans ce versement"


@dataclass(frozen=True)
class FilePreview:
    kind: str  # pdf | image | text | none
    file: FileLine
    page_count: int = 0
    text: str = ""
    truncated: bool = False
    problem: str = ""  # why it cannot be shown


def preview_of(transfer: Transfer, object_id: str, render_page: PageRenderer) -> FilePreview:
    file = _file(transfer, object_id)
    kind = media_type(file)
    if kind == PDF:
        try:
            with _local_copy(transfer, file) as path:
                count = render_page(path, 0).page_count
        except PreviewUnavailable as exc:
            return FilePreview("none", file, problem=exc.detail)
        return FilePreview("pdf", file, page_count=count)
    if kind in IMAGE_TYPES and (file.size or 0) <= IMAGE_LIMIT:
        return FilePreview("image", file)
    if kind.startswith("text/") or kind in TEXT_TYPES:
        text, truncated = _text(transfer, file)
        return FilePreview("text", file, text=text, truncated=truncated)
    return FilePreview("none", file)


def pdf_page(transfer: Transfer, object_id: str, render_page: PageRenderer, page: int) -> bytes:
    """Page ``page`` (1-based) of a PDF file as a PNG image."""
    file = _file(transfer, object_id)
    if media_type(file) != PDF or page < 1:
        raise FileNotInTransfer("Page introuvable")
    with _local_copy(transfer, file) as path:
        rendered = render_page(path, page)
    if page > rendered.page_count or not rendered.png:
        raise FileNotInTransfer(f"Ce document n'a que {rendered.page_count} page(s)")
    return rendered.png


def image_of(transfer: Transfer, object_id: str) -> tuple[str, bytes]:
    """The bytes of an image a browser may show (never SVG, never past ``IMAGE_LIMIT``)."""
    file = _file(transfer, object_id)
    kind = media_type(file)
    if kind not in IMAGE_TYPES:
        raise FileNotInTransfer("Aucune image à montrer pour ce fichier")
    with open_package(transfer.quarantine_path) as package, package.open(file.uri) as stream:
        data = stream.read(IMAGE_LIMIT + 1)
    if len(data) > IMAGE_LIMIT:
        raise FileNotInTransfer("Image trop grande pour un aperçu : téléchargez le versement")
    return kind, data


def media_type(file: FileLine) -> str:
    declared = (file.mime_type or "").split(";")[0].strip().lower()
    return declared or (mimetypes.guess_type(file.filename or file.uri)[0] or "")


def _file(transfer: Transfer, object_id: str) -> FileLine:
    bordereau = read_bordereau(transfer)
    found = (
        next((f for f in bordereau.files if f.object_id == object_id), None) if bordereau else None
    )
    if found is None:
        raise FileNotInTransfer(f"Fichier {object_id} introuvable dans ce versement")
    return found


def _text(transfer: Transfer, file: FileLine) -> tuple[str, bool]:
    with open_package(transfer.quarantine_path) as package, package.open(file.uri) as stream:
        raw = stream.read(TEXT_LIMIT * 4 + 1)
    text = raw.decode("utf-8", errors="replace")
    return text[:TEXT_LIMIT], len(text) > TEXT_LIMIT or len(raw) > TEXT_LIMIT * 4


@contextmanager
def _local_copy(transfer: Transfer, file: FileLine) -> Iterator[Path]:
    """The file copied out of the package beside it in quarantine (private), removed after."""
    with tempfile.TemporaryDirectory(dir=transfer.quarantine_path.parent) as folder:
        path = Path(folder) / "apercu"
        with (
            open_package(transfer.quarantine_path) as package,
            package.open(file.uri) as stream,
            path.open("wb") as out,
        ):
            shutil.copyfileobj(stream, out)
        yield path
