"""PAdES: every signature embedded in a PDF (ISO 32000-2 §12.8, ETSI EN 319 142-1), with the
revocation data of the document security store (DSS, ISO 32000-2 §12.8.4.3)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore

from kernel.signing.documents.checks import SignatureCheck, SignatureFormat, SignatureStatus
from kernel.signing.documents.common import Trust, check_of, context, expired, proven_time


def verify_pdf(path: str, trust: Trust) -> list[SignatureCheck]:
    with open(path, "rb") as stream:  # noqa: PTH123 (the worker's path is a str)
        reader = PdfFileReader(stream, strict=False)
        signatures = reader.embedded_regular_signatures
        if not signatures:
            return []
        revocation = _dss(reader)
        return [_verify(signature, trust, revocation) for signature in signatures]


def _dss(reader: PdfFileReader) -> dict[str, Any]:
    try:
        store = DocumentSecurityStore.read_dss(reader)
    except Exception:  # no DSS, or one pyHanko cannot read: no embedded revocation data
        return {}
    return {"certs": list(store.certs.values()), "crls": store.crls, "ocsps": store.ocsps}


def _verify(signature: Any, trust: Trust, revocation: dict[str, Any]) -> SignatureCheck:
    now = context(trust, **revocation)
    status = validate_pdf_signature(signature, now, ts_validation_context=now)
    stamped_at = proven_time(status)
    if expired(status) and stamped_at is not None:
        then = context(trust, moment=stamped_at, **revocation)
        status = validate_pdf_signature(signature, then, ts_validation_context=now)
    check = check_of(status, SignatureFormat.PADES, stamped_at=stamped_at)
    if check.status is SignatureStatus.VALID and status.docmdp_ok is False:
        return replace(check, status=SignatureStatus.INVALID, reasons=("modified_after_signing",))
    return check
