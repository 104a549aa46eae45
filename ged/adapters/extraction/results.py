"""What a text extraction returns.

The result extends the ``ExtractedText`` port (``ged.services.ports``) with what the archivist
may want to know about the file (encryption, PDF/A claim, document information dictionary of
ISO 32000-1 §14.3.3). The failure codes (``kernel.sandbox.failures``, where an extractor finds
the exceptions that say why it gave up) are stored with the version and shown to users through
the French messages below.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ged.domain.model import ExtractionStatus
from ged.services.ports import EmbeddedFile, ExtractedText
from kernel.sandbox.failures import FailureReason

MESSAGES: Mapping[str, str] = {
    "timeout": "L'extraction du texte a dépassé le délai imparti.",
    "memory": "L'extraction du texte a dépassé la mémoire autorisée.",
    "encrypted": "Le document est protégé par un mot de passe : son texte ne peut pas être lu.",
    "malformed": "Le fichier est endommagé ou ne respecte pas son format.",
    "crashed": "Le processus d'extraction du texte s'est arrêté brutalement.",
    "unreadable": "Le fichier n'a pas pu être lu.",
    "error": "Erreur inattendue pendant l'extraction du texte.",
    "unsupported_format": "Le texte de ce format de fichier n'est pas extrait.",
}


@dataclass(frozen=True)
class ExtractionResult(ExtractedText):
    """The outcome of one extraction; ``error`` holds the stable failure code.

    ``text`` is empty unless ``status`` is ``done``; ``detail`` is the technical cause (library
    message, signal) meant for logs, not for end users (see ``message``).
    """

    status: ExtractionStatus
    text: str = ""
    error: FailureReason | None = None
    detail: str = ""
    truncated: bool = False
    encoding: str | None = None
    page_count: int | None = None
    encrypted: bool = False
    pdfa: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """A French sentence for end users ("" when the extraction succeeded)."""
        return MESSAGES[self.error] if self.error else ""

    @classmethod
    def failed(cls, reason: FailureReason, detail: str = "") -> ExtractionResult:
        return cls(status=ExtractionStatus.FAILED, error=reason, detail=detail)

    @classmethod
    def unsupported(cls, mime_type: str) -> ExtractionResult:
        return cls(
            status=ExtractionStatus.UNSUPPORTED,
            error="unsupported_format",
            detail=f"no extractor for {mime_type or 'an unknown type'}",
        )

    @classmethod
    def done(cls, output: ExtractorOutput) -> ExtractionResult:
        return cls(
            status=ExtractionStatus.DONE,
            text=output.text,
            truncated=output.truncated,
            encoding=output.encoding,
            page_count=output.page_count,
            encrypted=output.encrypted,
            pdfa=output.pdfa,
            metadata=dict(output.metadata),
            warnings=output.warnings,
            attachments=output.attachments,
        )


@dataclass(frozen=True)
class ExtractorOutput:
    """What an extractor returns when it could read the file (run inside a worker process)."""

    text: str
    truncated: bool = False
    encoding: str | None = None
    page_count: int | None = None
    encrypted: bool = False
    pdfa: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    attachments: tuple[EmbeddedFile, ...] = ()
