"""The result of verifying one signature of a document (ETSI EN 319 102-1 §5 indications:
TOTAL-PASSED, TOTAL-FAILED, INDETERMINATE, here ``valid``, ``invalid``, ``indeterminate``),
with its reasons as stable codes. The GED keeps its own copy of these in its domain
(``ged.domain.signatures``), the repository reads them as they are."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


class SignatureStatus(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"
    NONE = "none"


class SignatureFormat(enum.StrEnum):
    PADES = "pades"  # ETSI EN 319 142: CMS inside a PDF
    CADES = "cades"  # ETSI EN 319 122: detached CMS (.p7s)
    XADES = "xades"  # ETSI EN 319 132: XML-DSig enveloped in the XML document


@dataclass(frozen=True)
class SignatureCheck:
    format: SignatureFormat
    status: SignatureStatus
    reasons: tuple[str, ...] = ()
    signer: str | None = None
    signing_time: datetime | None = None  # claimed by the signer (not a proof)
    timestamp_time: datetime | None = None  # proven by a trusted time-stamp token


def summarise(checks: Sequence[SignatureCheck]) -> SignatureStatus:
    """``none`` without signature, ``invalid`` if one is, else ``indeterminate`` if one is,
    else ``valid``."""
    if not checks:
        return SignatureStatus.NONE
    found = {check.status for check in checks}
    for status in (SignatureStatus.INVALID, SignatureStatus.INDETERMINATE):
        if status in found:
            return status
    return SignatureStatus.VALID
