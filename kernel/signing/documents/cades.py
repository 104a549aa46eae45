"""Detached CAdES (ETSI EN 319 122-1; CMS, RFC 5652 §5): a ``.p7s`` over another document, DER
or PEM-armoured, with the certificates and CRLs its ``SignedData`` carries."""

from __future__ import annotations

import base64
import re
from typing import Any

from asn1crypto import cms
from pyhanko.sign.validation import async_validate_detached_cms

from kernel.signing.documents.checks import SignatureCheck, SignatureFormat
from kernel.signing.documents.common import (
    Trust,
    check_of,
    context,
    expired,
    malformed,
    proven_time,
)

MAX_SIGNATURE_BYTES = 16 * 1024**2
_PEM = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----(.*?)-----END [A-Z0-9 ]+-----", re.S)


def verify_detached(signature_path: str, content_path: str, trust: Trust) -> list[SignatureCheck]:
    signed_data = _signed_data(signature_path)
    if signed_data is None:
        return [malformed(SignatureFormat.CADES)]
    crls = [choice.chosen for choice in signed_data["crls"] or () if choice.name == "crl"]
    now = context(trust, crls=crls)
    status = _validate(content_path, signed_data, now, now)
    stamped_at = proven_time(status)
    if expired(status) and stamped_at is not None:
        status = _validate(
            content_path, signed_data, context(trust, moment=stamped_at, crls=crls), now
        )
    return [check_of(status, SignatureFormat.CADES, stamped_at=stamped_at)]


def _validate(content_path: str, signed_data: Any, signer: Any, stamps: Any) -> Any:
    import asyncio

    with open(content_path, "rb") as content:  # noqa: PTH123
        return asyncio.run(
            async_validate_detached_cms(
                content, signed_data, signer_validation_context=signer, ts_validation_context=stamps
            )
        )


def _signed_data(path: str) -> Any:
    with open(path, "rb") as stream:  # noqa: PTH123
        raw = stream.read(MAX_SIGNATURE_BYTES + 1)
    if len(raw) > MAX_SIGNATURE_BYTES:
        return None
    armoured = _PEM.search(raw)
    if armoured is not None:
        raw = base64.b64decode(armoured.group(1))
    try:
        info = cms.ContentInfo.load(raw, strict=True)
        if info["content_type"].native != "signed_data":
            return None
        signed_data = info["content"]
        signed_data.native  # parses everything now: lazy errors would surface later  # noqa: B018
    except (ValueError, TypeError, KeyError):
        return None
    return signed_data
