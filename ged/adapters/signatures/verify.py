"""The sandboxed entry point of the GED: the signatures of one file, whatever its kind, as the
GED's domain reports them (``kernel.signing.documents.verify`` does the work).

Runs inside an extraction worker (``ExtractionPool.call``), under its memory and time limits:
pyHanko and libxml2 read hostile files there, never in the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ged.domain.signatures import SignatureCheck, SignatureFormat, SignatureStatus
from kernel.signing.documents import checks
from kernel.signing.documents.verify import verify_file as verify_document

PDF, XML, DETACHED = "pdf", "xml", "p7s"


def verify_file(
    kind: str,
    path: str,
    anchors: Sequence[bytes],
    moment: datetime,
    content_path: str | None = None,
) -> list[SignatureCheck]:
    """The signatures of ``path`` (a PDF, an XML document, or a ``.p7s`` over ``content_path``)."""
    return [_domain(c) for c in verify_document(kind, path, anchors, moment, content_path)]


def _domain(check: checks.SignatureCheck) -> SignatureCheck:
    return SignatureCheck(
        SignatureFormat(check.format.value),
        SignatureStatus(check.status.value),
        check.reasons,
        check.signer,
        check.signing_time,
        check.timestamp_time,
    )
