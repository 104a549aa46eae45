"""The signatures of a document, verified in a sandbox worker (``kernel.sandbox``): what the
repository's ingest is given. pyHanko and libxml2 read the transferred files there, never in
the server; a worker that fails or times out makes the verification ``indeterminate``
(``verification_failed``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from kernel.sandbox.pool import SandboxPool
from kernel.signing.documents.checks import SignatureCheck, SignatureFormat, SignatureStatus

log = logging.getLogger("gedsae.signatures")
VERIFY = "kernel.signing.documents.verify:verify_file"
FORMATS = {"pdf": SignatureFormat.PADES, "xml": SignatureFormat.XADES, "p7s": SignatureFormat.CADES}


class DocumentVerifier(Protocol):
    def __call__(
        self,
        kind: str,
        path: Path,
        anchors: Sequence[bytes],
        moment: datetime,
        content: Path | None = None,
    ) -> list[SignatureCheck]:
        """The signatures of ``path`` (``kind``: ``pdf``, ``xml``, or ``p7s`` over
        ``content``), against ``anchors`` (DER certificates) at ``moment``."""
        ...


def sandboxed_verifier(pool: SandboxPool) -> DocumentVerifier:
    def verify(
        kind: str,
        path: Path,
        anchors: Sequence[bytes],
        moment: datetime,
        content: Path | None = None,
    ) -> list[SignatureCheck]:
        signed = str(content) if content is not None else None
        outcome = pool.call(VERIFY, kind, str(path), tuple(anchors), moment, signed)
        if outcome.error is not None:
            log.warning("signature verification of %s failed: %s", path, outcome.error)
            failed = ("verification_failed",)
            return [SignatureCheck(FORMATS[kind], SignatureStatus.INDETERMINATE, failed)]
        return list(outcome.value)

    return verify
