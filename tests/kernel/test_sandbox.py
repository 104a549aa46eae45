"""The kernel's sandbox as both services use it for previews: a PDF page drawn as a PNG in a
worker process, a damaged file answered with a French reason, never an exception from the
worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel.sandbox.pool import SandboxPool
from kernel.sandbox.preview import PreviewUnavailable, sandboxed_renderer
from tests.fixtures.hostile_pdfs import text_pdf

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    with SandboxPool(1, timeout_s=30, memory_mb=768) as made:
        yield made


def test_a_pdf_page_is_drawn_as_a_png_and_its_pages_counted(
    pool: SandboxPool, tmp_path: Path
) -> None:
    path = tmp_path / "deux-pages.pdf"
    path.write_bytes(text_pdf(["première page", "seconde page"]))
    render = sandboxed_renderer(pool)
    assert render(path, 0).page_count == 2
    drawn = render(path, 2)
    assert drawn.png.startswith(PNG_SIGNATURE) and drawn.page_count == 2


def test_a_damaged_pdf_says_why_in_french(pool: SandboxPool, tmp_path: Path) -> None:
    path = tmp_path / "abime.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00" * 200)
    with pytest.raises(PreviewUnavailable) as refused:
        sandboxed_renderer(pool)(path, 1)
    assert refused.value.detail == "Le fichier est endommagé ou ne respecte pas son format."


def test_a_function_that_fails_inside_the_worker_comes_back_as_an_outcome(
    pool: SandboxPool,
) -> None:
    outcome = pool.call("kernel.sandbox.pdf_page:render_pdf_page", "/nulle/part.pdf", 1)
    assert outcome.error == "error" and outcome.value is None
    assert "part.pdf" in outcome.detail
