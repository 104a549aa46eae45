"""How work on an untrusted file ends when it does not succeed, inside or outside the sandbox.

The failure codes are stable snake_case: the GED stores them with a version's text status, and
both services show them to people through French messages. An extractor or a renderer says why
it gave up on a file by raising one of the ``ExtractionError`` subclasses; the worker turns
them, and the ways a worker can die (``timeout``, ``memory``, ``crashed``), into the code.
"""

from __future__ import annotations

from typing import ClassVar, Literal

FailureReason = Literal[
    "timeout",
    "memory",
    "encrypted",
    "malformed",
    "crashed",
    "unreadable",
    "error",
    "unsupported_format",
]


class ExtractionError(Exception):
    """Base of the situations in which work on a file gives up on it."""

    reason: ClassVar[FailureReason] = "error"


class EncryptedDocument(ExtractionError):
    """The document needs a password to be read; we never guess passwords."""

    reason = "encrypted"


class MalformedDocument(ExtractionError):
    """The bytes do not follow the format they claim."""

    reason = "malformed"


class UnreadableFile(ExtractionError):
    """The file could not be opened or read (missing, permissions, I/O error)."""

    reason = "unreadable"
