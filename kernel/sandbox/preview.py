"""Previews drawn in the sandbox, for both services' pages: a PDF page becomes a PNG image drawn
by PDFium in a worker process bounded in time and memory (``SandboxPool.render_page``), so that
a hostile PDF never reaches the browser's own viewer.

``sandboxed_renderer(pool)`` is the ``PageRenderer`` the services are given; a file that cannot
be drawn raises ``PreviewUnavailable`` with a French sentence that says why. Images are shown
only in ``IMAGE_TYPES``, text only escaped and at most ``TEXT_LIMIT`` characters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kernel.errors import ConflictError
from kernel.sandbox.pool import SandboxPool

PDF = "application/pdf"
# Formats browsers decode safely, shown as they are (with ``Content-Security-Policy: sandbox``
# and ``nosniff``); never SVG, a document that can carry scripts.
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
TEXT_LIMIT = 200_000  # characters of text shown, escaped; the whole file can be downloaded

PREVIEW_MESSAGES: Mapping[str, str] = {
    "timeout": "Le dessin de l'aperçu a dépassé le délai imparti.",
    "memory": "Le dessin de l'aperçu a dépassé la mémoire autorisée.",
    "encrypted": "Le document est protégé par un mot de passe : il ne peut pas être montré.",
    "malformed": "Le fichier est endommagé ou ne respecte pas son format.",
    "crashed": "Le processus qui dessine l'aperçu s'est arrêté brutalement.",
    "unreadable": "Le fichier n'a pas pu être lu.",
    "error": "Erreur inattendue pendant le dessin de l'aperçu.",
}


@dataclass(frozen=True)
class RenderedPage:
    """One page of a PDF as a PNG image, and how many pages the document has."""

    png: bytes
    page_count: int


class PreviewUnavailable(ConflictError):
    """The file could not be rendered (damaged, encrypted, too complex for the sandbox)."""

    code = "preview_unavailable"
    title = "Aperçu impossible"


class PageRenderer(Protocol):
    """Renders page ``page`` (1-based; 0: count the pages only) of the PDF at ``path`` inside
    the sandbox; raises ``PreviewUnavailable``."""

    def __call__(self, path: Path, page: int) -> RenderedPage: ...


def sandboxed_renderer(pool: SandboxPool) -> PageRenderer:
    """PDF pages drawn as PNG images by the sandbox (time and memory capped)."""

    def render(path: Path, page: int) -> RenderedPage:
        result = pool.render_page(path, page)
        if result.error is not None:
            raise PreviewUnavailable(PREVIEW_MESSAGES.get(result.error, "Aperçu impossible"))
        return RenderedPage(result.png, result.page_count)

    return render
