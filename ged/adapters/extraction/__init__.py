"""Text extraction in worker processes bounded in time and memory (PDF, plain text, markup).

``ExtractionPool`` (the kernel's ``SandboxPool`` that also extracts text) keeps long-lived
workers for bulk work; ``extract_text`` is the one-shot form. Both return an
``ExtractionResult`` (the ``ExtractedText`` port) and never raise for anything a file does:
hostile files end as ``failed`` with a stable ``error`` code.
"""

from ged.adapters.extraction.pool import (
    BUILTIN_EXTRACTORS,
    DEFAULT_MAX_CHARS,
    ExtractionPool,
    extract_text,
    extractor_for,
)
from ged.adapters.extraction.results import MESSAGES, ExtractionResult, ExtractorOutput
from kernel.sandbox.failures import (
    EncryptedDocument,
    ExtractionError,
    FailureReason,
    MalformedDocument,
    UnreadableFile,
)
from kernel.sandbox.pool import PoolClosed, SandboxUnavailable

__all__ = [
    "BUILTIN_EXTRACTORS",
    "DEFAULT_MAX_CHARS",
    "MESSAGES",
    "EncryptedDocument",
    "ExtractionError",
    "ExtractionPool",
    "ExtractionResult",
    "ExtractorOutput",
    "FailureReason",
    "MalformedDocument",
    "PoolClosed",
    "SandboxUnavailable",
    "UnreadableFile",
    "extract_text",
    "extractor_for",
]
