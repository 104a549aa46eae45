"""The signature verifier the services get: each verification runs in an extraction worker."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from ged.adapters.extraction.pool import ExtractionPool
from ged.domain.signatures import SignatureCheck, SignatureFormat, SignatureStatus
from ged.services.ports import TrustAnchors

log = logging.getLogger("gedsae.signatures")
VERIFY = "ged.adapters.signatures.verify:verify_file"
FORMATS = {"pdf": SignatureFormat.PADES, "xml": SignatureFormat.XADES, "p7s": SignatureFormat.CADES}


class SandboxedVerifier:
    def __init__(self, pool: ExtractionPool) -> None:
        self.pool = pool

    def __call__(
        self,
        kind: str,
        path: Path,
        anchors: TrustAnchors,
        moment: datetime,
        content: Path | None = None,
    ) -> list[SignatureCheck]:
        arguments = (
            kind,
            str(path),
            anchors.certificates,
            moment,
            str(content) if content else None,
        )
        outcome = self.pool.call(VERIFY, *arguments)
        if outcome.error is not None:
            log.warning(
                "signature verification of %s failed: %s %s", path, outcome.error, outcome.detail
            )
            failed = ("verification_failed",)
            return [SignatureCheck(FORMATS[kind], SignatureStatus.INDETERMINATE, failed)]
        return list(outcome.value)
