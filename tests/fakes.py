"""Fakes for the ports that are slow or external in unit and service tests."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ged.services.ports import ExtractedText, FormatFacts


class FixedClock:
    """A clock the tests move by hand: time travel without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 15, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def fake_identify(path: Path, *, filename: str | None = None) -> FormatFacts:
    head = path.read_bytes()[:8]
    if head.startswith(b"%PDF"):
        return FormatFacts("fmt/276", "Acrobat PDF 1.7", "application/pdf")
    mime = mimetypes.guess_type(filename or path.name)[0] or "text/plain"
    return FormatFacts("x-fmt/111" if mime == "text/plain" else None, "Plain Text File", mime)


def fake_extract(path: Path, mime_type: str | None, *, parts: Path | None = None) -> ExtractedText:
    """Plain text read as UTF-8; 'hostile' content fails like the sandbox would report it."""
    data = path.read_bytes()
    if b"HOSTILE" in data:
        return ExtractedText("failed", "", "timeout")
    if (mime_type or "").startswith("text/"):
        return ExtractedText("done", data.decode("utf-8", "replace"))
    return ExtractedText("unsupported", "")
