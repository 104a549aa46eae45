"""Text extraction in the sandbox (``kernel.sandbox``): a hostile file can neither hang nor crash
the server.

``ExtractionPool`` is the kernel's ``SandboxPool`` (long-lived workers bounded in time and
memory, replaced when they fail, retired after ``max_jobs_per_worker`` jobs) that also extracts
text: each MIME type has its extractor ("module:function", ``BUILTIN_EXTRACTORS``, overridable),
run in a worker as an ``ExtractionJob``. ``extract`` never raises for anything a file does:
hostile files end as ``failed`` with a stable ``error`` code. ``extract_text`` is the one-shot
form (one process per call).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from ged.adapters.extraction.jobs import ExtractionJob
from ged.adapters.extraction.results import ExtractionResult
from kernel.sandbox.pool import SandboxPool
from kernel.sandbox.worker import CallOutcome

DEFAULT_MAX_CHARS = 2_000_000
PDF = "ged.adapters.extraction.pdf:extract_pdf"
PLAIN = "ged.adapters.extraction.plaintext:extract_plain"
HTML = "ged.adapters.extraction.plaintext:extract_html"
XML = "ged.adapters.extraction.plaintext:extract_xml"
OFFICE = "ged.adapters.extraction.office:extract_office"
RTF = "ged.adapters.extraction.rtf:extract_rtf"
MESSAGE = "ged.adapters.extraction.message:extract_message"
_OPENDOCUMENT = "application/vnd.oasis.opendocument."
_OOXML = "application/vnd.openxmlformats-officedocument."
OFFICE_TYPES = (
    *(f"{_OPENDOCUMENT}{kind}" for kind in ("text", "spreadsheet", "presentation")),
    *(f"{_OPENDOCUMENT}{kind}-template" for kind in ("text", "spreadsheet", "presentation")),
    f"{_OOXML}wordprocessingml.document",
    f"{_OOXML}wordprocessingml.template",
    f"{_OOXML}spreadsheetml.sheet",
    f"{_OOXML}spreadsheetml.template",
    f"{_OOXML}presentationml.presentation",
    f"{_OOXML}presentationml.slideshow",
    "application/vnd.ms-word.document.macroenabled.12",
    "application/vnd.ms-excel.sheet.macroenabled.12",
    "application/vnd.ms-powerpoint.presentation.macroenabled.12",
)
BUILTIN_EXTRACTORS: Mapping[str, str] = {
    **dict.fromkeys(OFFICE_TYPES, OFFICE),
    "text/rtf": RTF,
    "application/rtf": RTF,
    "message/rfc822": MESSAGE,
    "application/pdf": PDF,
    "text/plain": PLAIN,
    "text/csv": PLAIN,
    "text/tab-separated-values": PLAIN,
    "text/markdown": PLAIN,
    "text/x-markdown": PLAIN,
    "application/json": PLAIN,
    "inode/x-empty": PLAIN,
    "text/html": HTML,
    "application/xhtml+xml": HTML,
    "application/xml": XML,
    "text/xml": XML,
}
# Extractors that write a message's attachments into the ``parts`` file they are given.
_SPLITS_PARTS = frozenset({MESSAGE})


def extractor_for(mime_type: str, overrides: Mapping[str, str] | None = None) -> str | None:
    """The extractor ("module:function") for a MIME type, or None when its text is not read."""
    base = mime_type.split(";", 1)[0].strip().lower()
    if overrides and base in overrides:
        return overrides[base]
    if base in BUILTIN_EXTRACTORS:
        return BUILTIN_EXTRACTORS[base]
    if base.endswith("+xml"):
        return XML
    if base.endswith("+json") or base.startswith("text/"):
        return PLAIN
    return None


def extract_text(
    path: Path,
    mime_type: str | None,
    *,
    timeout_s: float = 30,
    memory_mb: int = 512,
    max_chars: int = DEFAULT_MAX_CHARS,
    parts: Path | None = None,
) -> ExtractionResult:
    """Extract the text of one file in a fresh worker process (~0.1–0.3 s to start it).

    For more than a handful of files, keep an ``ExtractionPool`` open instead.
    """
    pool = ExtractionPool(1, timeout_s=timeout_s, memory_mb=memory_mb, max_chars=max_chars)
    with pool:
        return pool.extract(path, mime_type, parts=parts)


class ExtractionPool(SandboxPool):
    """``workers`` sandbox processes that also extract text; ``extractors`` maps extra MIME
    types to "module:function" extractors (see ``jobs.py``) and overrides the built-in ones."""

    def __init__(
        self,
        workers: int = 2,
        *,
        timeout_s: float = 30,
        memory_mb: int = 512,
        max_chars: int = DEFAULT_MAX_CHARS,
        max_jobs_per_worker: int = 1000,
        start_method: Literal["spawn", "forkserver"] = "spawn",
        start_timeout_s: float = 60,
        extractors: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(
            workers,
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            max_jobs_per_worker=max_jobs_per_worker,
            start_method=start_method,
            start_timeout_s=start_timeout_s,
        )
        self.max_chars = max_chars
        self._extractors = {key.lower(): value for key, value in (extractors or {}).items()}

    def __enter__(self) -> ExtractionPool:
        return self

    def extract(
        self,
        path: Path,
        mime_type: str | None,
        *,
        timeout_s: float | None = None,
        max_chars: int | None = None,
        parts: Path | None = None,
    ) -> ExtractionResult:
        """Extract one file's text; never raises for anything the file does (see the result).

        ``parts``: an existing empty file that receives a message's attachments.
        """
        if mime_type is None:
            from ged.adapters.formats import guess_mime_type

            mime_type = guess_mime_type(path)
        reference = extractor_for(mime_type, self._extractors)
        if reference is None:
            return ExtractionResult.unsupported(mime_type)
        timeout = self.timeout_s if timeout_s is None else timeout_s
        job = ExtractionJob(
            path=str(path),
            extractor=reference,
            max_chars=self.max_chars if max_chars is None else max_chars,
            cpu_seconds=math.ceil(timeout),
            options=(("parts", str(parts)),) if parts and reference in _SPLITS_PARTS else (),
        )
        result = self.run(job, timeout)
        if isinstance(result, CallOutcome):  # the worker died or timed out
            return ExtractionResult.failed(result.error or "crashed", result.detail)
        assert isinstance(result, ExtractionResult)
        return result

    def extract_many(self, files: Iterable[tuple[Path, str | None]]) -> Iterator[ExtractionResult]:
        """Extract many files with every worker busy; results come in the order of ``files``."""
        window = 2 * self.size
        with ThreadPoolExecutor(self.size, thread_name_prefix="ged-extraction") as executor:
            pending: deque[Future[ExtractionResult]] = deque()
            for path, mime_type in files:
                pending.append(executor.submit(self.extract, path, mime_type))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
