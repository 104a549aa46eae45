"""The sandboxed entry point: the signatures of one file, whatever its kind (kernel types).

Runs inside an extraction worker (``ExtractionPool.call``), under its memory and time limits:
pyHanko and libxml2 read hostile files there, never in the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from kernel.signing.documents.cades import verify_detached
from kernel.signing.documents.checks import SignatureCheck, SignatureFormat
from kernel.signing.documents.common import Trust, malformed
from kernel.signing.documents.pades import verify_pdf
from kernel.signing.documents.xades import verify_xml

PDF, XML, DETACHED = "pdf", "xml", "p7s"


def verify_file(
    kind: str,
    path: str,
    anchors: Sequence[bytes],
    moment: datetime,
    content_path: str | None = None,
) -> list[SignatureCheck]:
    """The signatures of ``path`` (a PDF, an XML document, or a ``.p7s`` over ``content_path``)."""
    trust = Trust(tuple(anchors), moment)
    if kind == PDF:
        checks = _pdf(path, trust)
    elif kind == XML:
        checks = verify_xml(path, trust)
    elif kind == DETACHED and content_path is not None:
        checks = verify_detached(path, content_path, trust)
    else:
        raise ValueError(f"unknown signature kind {kind!r}")
    return checks if anchors else [_without_anchors(check) for check in checks]


def _without_anchors(check: SignatureCheck) -> SignatureCheck:
    """With no anchor at all, the root is unknown because nothing is trusted: say that."""
    reasons = tuple("no_trust_anchors" if r == "untrusted_root" else r for r in check.reasons)
    return replace(check, reasons=reasons)


def _pdf(path: str, trust: Trust) -> list[SignatureCheck]:
    from pyhanko.pdf_utils.misc import PdfReadError

    try:
        return verify_pdf(path, trust)
    except (PdfReadError, ValueError, KeyError, TypeError):
        # Unreadable by pyHanko: signed or not cannot be told, unless it says it is.
        with open(path, "rb") as stream:  # noqa: PTH123
            signed = b"/ByteRange" in stream.read(64 * 1024**2)
        return [malformed(SignatureFormat.PADES)] if signed else []
