"""Text extraction in worker processes bounded in time and memory (PDF, plain text, markup).

``ExtractionPool`` keeps long-lived workers for bulk work; ``extract_text`` is the one-shot form.
Both return an ``ExtractionResult`` (the ``ExtractedText`` port) and never raise for anything a
file does: hostile files end as ``failed`` with a stable ``error`` code.
"""

from ged.adapters.extraction.pool import (
    BUILTIN_EXTRACTORS,
    DEFAULT_MAX_CHARS,
    ExtractionPool,
    ExtractionUnavailable,
    PoolClosed,
    extract_text,
    extractor_for,
)
from ged.adapters.extraction.results import (
    MESSAGES,
    EncryptedDocument,
    ExtractionError,
    ExtractionResult,
    ExtractorOutput,
    FailureReason,
    MalformedDocument,
    UnreadableFile,
)

__all__ = [
    "BUILTIN_EXTRACTORS",
    "DEFAULT_MAX_CHARS",
    "MESSAGES",
    "EncryptedDocument",
    "ExtractionError",
    "ExtractionPool",
    "ExtractionResult",
    "ExtractionUnavailable",
    "ExtractorOutput",
    "FailureReason",
    "MalformedDocument",
    "PoolClosed",
    "UnreadableFile",
    "extract_text",
    "extractor_for",
]
