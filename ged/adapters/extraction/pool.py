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

from ged.adapters.extraction.jobs import BatchResults, ExtractionBatch, ExtractionJob
from ged.adapters.extraction.results import ExtractionResult
from kernel.sandbox.pool import SandboxPool
from kernel.sandbox.worker import CallOutcome

DEFAULT_MAX_CHARS = 2_000_000
PDF = "ged.adapters.extraction.pdf:extract_pdf"
PDF_TEXT = "ged.adapters.extraction.pdf:extract_pdf_text"
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
# For a caller that keeps the text only (the GED records the text, its status and error): a PDF's
# structure is not read.
TEXT_ONLY: Mapping[str, str] = {"application/pdf": PDF_TEXT}
# Files this small go to a worker in groups, one message per group (no more files, no more
# bytes than this per group): a message costs its round trip and a thread hand-off each way.
GROUP_FILES = 8
GROUP_BYTES = 1 << 20
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
        timeout = self.timeout_s if timeout_s is None else timeout_s
        job = self._job(path, mime_type, timeout, max_chars, parts)
        return job if isinstance(job, ExtractionResult) else self._run(job, timeout)

    def extract_many(self, files: Iterable[tuple[Path, str | None]]) -> Iterator[ExtractionResult]:
        """Extract many files with every worker busy; results come in the order of ``files``.

        Small files go to a worker several at a time (``GROUP_FILES``, ``GROUP_BYTES``): one
        message and one answer for the group. When the group's worker dies or times out, each
        of its files is extracted again alone, so only the file at fault fails. A group has the
        time of one file (``timeout_s``): small files take milliseconds, and a group that takes
        longer is redone file by file, each with that time."""
        window = 2 * self.size
        with ThreadPoolExecutor(self.size, thread_name_prefix="ged-extraction") as executor:
            pending: deque[Future[list[ExtractionResult]]] = deque()
            for unit in self._units(files):
                pending.append(executor.submit(self._run_unit, unit))
                if len(pending) >= window:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()

    def _units(
        self, files: Iterable[tuple[Path, str | None]]
    ) -> Iterator[list[ExtractionJob | ExtractionResult]]:
        """The files as units of work, in order: a result known without a worker, a large
        file's job alone, or a group of small files' jobs."""
        group: list[ExtractionJob | ExtractionResult] = []
        size = 0
        for path, mime_type in files:
            job = self._job(path, mime_type, self.timeout_s, None, None)
            length = _size(path) if isinstance(job, ExtractionJob) else None
            alone = length is None or length > GROUP_BYTES
            if group and (alone or len(group) >= GROUP_FILES or size + (length or 0) > GROUP_BYTES):
                yield group  # in order: the group of the files before this one goes first
                group, size = [], 0
            if alone:
                yield [job]
                continue
            group.append(job)
            size += length or 0
        if group:
            yield group

    def _run_unit(self, unit: list[ExtractionJob | ExtractionResult]) -> list[ExtractionResult]:
        jobs = [job for job in unit if isinstance(job, ExtractionJob)]
        if len(jobs) <= 1:
            return [job if isinstance(job, ExtractionResult) else self._run(job) for job in unit]
        outcome = self.run(ExtractionBatch(tuple(jobs)), self.timeout_s)
        if isinstance(outcome, BatchResults):
            return list(outcome.results)
        return [self._run(job) for job in jobs]  # the worker died or timed out: one by one

    def _job(
        self,
        path: Path,
        mime_type: str | None,
        timeout: float,
        max_chars: int | None,
        parts: Path | None,
    ) -> ExtractionJob | ExtractionResult:
        """The job extracting ``path``, or the result when no extractor reads its type."""
        if mime_type is None:
            from ged.adapters.formats import guess_mime_type

            mime_type = guess_mime_type(path)
        reference = extractor_for(mime_type, self._extractors)
        if reference is None:
            return ExtractionResult.unsupported(mime_type)
        return ExtractionJob(
            path=str(path),
            extractor=reference,
            max_chars=self.max_chars if max_chars is None else max_chars,
            cpu_seconds=math.ceil(timeout),
            options=(("parts", str(parts)),) if parts and reference in _SPLITS_PARTS else (),
        )

    def _run(self, job: ExtractionJob, timeout_s: float | None = None) -> ExtractionResult:
        result = self.run(job, self.timeout_s if timeout_s is None else timeout_s)
        if isinstance(result, CallOutcome):  # the worker died or timed out
            return ExtractionResult.failed(result.error or "crashed", result.detail)
        assert isinstance(result, ExtractionResult)
        return result


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:  # the extractor will say why it cannot read it
        return None
