"""Plain text is decoded in the calling process; everything else goes to the sandbox pool.

Decoding a bounded prefix of a text file cannot hang or crash the process, so sending it to a
worker only adds a round trip (~0.4–0.6 ms measured by bench_extraction.py) for what is most of
a typical import. PDFs, HTML and XML still go through the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ged.adapters.extraction.plaintext import extract_plain
from ged.adapters.extraction.pool import DEFAULT_MAX_CHARS, PLAIN, ExtractionPool, extractor_for
from ged.adapters.extraction.results import ExtractionResult
from kernel.sandbox.failures import ExtractionError


class InlinePlainText:
    def __init__(self, pool: ExtractionPool, max_chars: int = DEFAULT_MAX_CHARS) -> None:
        self.pool = pool
        self.max_chars = max_chars

    def extract(
        self, path: Path, mime_type: str | None, *, parts: Path | None = None
    ) -> ExtractionResult:
        if mime_type and extractor_for(mime_type) == PLAIN:
            return self._plain(path)
        return self.pool.extract(path, mime_type, parts=parts)

    def extract_many(self, files: Iterable[tuple[Path, str | None]]) -> Iterator[ExtractionResult]:
        jobs = list(files)
        inline = {i for i, (_, mime) in enumerate(jobs) if mime and extractor_for(mime) == PLAIN}
        sandboxed = iter(self.pool.extract_many(j for i, j in enumerate(jobs) if i not in inline))
        for i, (path, _) in enumerate(jobs):
            yield self._plain(path) if i in inline else next(sandboxed)

    def _plain(self, path: Path) -> ExtractionResult:
        try:
            return ExtractionResult.done(extract_plain(str(path), self.max_chars))
        except ExtractionError as exc:
            return ExtractionResult.failed(exc.reason, str(exc))
        except OSError as exc:
            return ExtractionResult.failed("unreadable", str(exc))
