"""Signatures of SIP manifests and package digests: detached CAdES (ETSI EN 319 122-1) over CMS.

``keys`` makes and loads X.509 signing material, ``cms`` writes and reads CMS SignedData
(RFC 5652), ``verify`` checks a signature against trust anchors, ``tsa`` obtains RFC 3161
time-stamp tokens, and ``der`` is the small DER codec underneath.
"""

from kernel.signing.cms import DigestAlgorithm, sign_content, sign_digest
from kernel.signing.keys import (
    InvalidSigningMaterial,
    KeyAlgorithm,
    SigningError,
    SigningIdentity,
    generate_self_signed,
    load_certificates,
    load_identity_from_pem,
    load_signing_identity,
    write_self_signed,
)
from kernel.signing.tsa import (
    MalformedTimestampResponse,
    TimestampRefused,
    TimestampToken,
    TimestampUnavailable,
    request_timestamp,
    timestamp_signature,
    verify_token,
)
from kernel.signing.verify import (
    ProblemCode,
    SignatureProblem,
    VerificationResult,
    verify_content,
    verify_digest,
)

__all__ = [
    "DigestAlgorithm",
    "InvalidSigningMaterial",
    "KeyAlgorithm",
    "MalformedTimestampResponse",
    "ProblemCode",
    "SignatureProblem",
    "SigningError",
    "SigningIdentity",
    "TimestampRefused",
    "TimestampToken",
    "TimestampUnavailable",
    "VerificationResult",
    "generate_self_signed",
    "load_certificates",
    "load_identity_from_pem",
    "load_signing_identity",
    "request_timestamp",
    "sign_content",
    "sign_digest",
    "timestamp_signature",
    "verify_content",
    "verify_digest",
    "verify_token",
    "write_self_signed",
]
