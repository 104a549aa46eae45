"""The manifest's detached signature, verified at ingest (ETSI EN 319 122-1 CAdES-BES over CMS
SignedData, RFC 5652).

``seda.sip.write_sip`` puts ``<manifest>.p7s`` beside the manifest. It is verified by
``kernel.signing.verify_digest`` over the digest of the manifest bytes received, against the
configured trust anchors: content, signature value, chain, and validity dates at the time of the
check (no time-stamp is read, so a certificate that has expired since the signing is refused).
A signature from a key no anchor vouches for is refused too: a repository receiving signed
packages configures the anchors it trusts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography import x509

from kernel.signing import DigestAlgorithm, ProblemCode, verify_digest
from kernel.signing.cms import parse_signed_data
from sae.model import CheckIssue
from seda.package import Package
from seda.sip import SIGNATURE_SUFFIX

MAX_SIGNATURE_BYTES: Final = 1024 * 1024  # a CAdES signature with its chain is a few kB
_SIGNATURE_CODES: Final = {
    ProblemCode.MALFORMED_SIGNATURE: "signature_malformed",
    ProblemCode.UNSUPPORTED_ALGORITHM: "signature_unsupported",
    ProblemCode.CONTENT_MISMATCH: "signature_content_mismatch",
    ProblemCode.SIGNATURE_INVALID: "signature_invalid",
    ProblemCode.SIGNING_CERTIFICATE_MISMATCH: "signature_certificate_mismatch",
    ProblemCode.UNTRUSTED_CHAIN: "signature_untrusted",
    ProblemCode.CERTIFICATE_EXPIRED: "signature_expired",
    ProblemCode.CERTIFICATE_NOT_YET_VALID: "signature_not_yet_valid",
}


@dataclass(frozen=True)
class SignatureCheck:
    issues: tuple[CheckIssue, ...] = ()
    signer: str | None = None  # subject (RFC 4514) of the signer's certificate, once verified


def signature_issues(
    package: Package,
    manifest: str,
    trust_anchors: Sequence[x509.Certificate],
    *,
    required: bool,
    manifest_digest: Callable[[str], bytes],
    at: datetime | None = None,
) -> SignatureCheck:
    """Verify ``<manifest>.p7s`` when the package holds it; ``signature_missing`` if required.

    ``manifest_digest(algorithm)`` gives the manifest's digest (hashlib name): the caller shares
    it with the check of the digest announced at submission, so the manifest is hashed once."""
    name = manifest + SIGNATURE_SUFFIX
    if name not in package.entries:
        if not required:
            return SignatureCheck()
        message = f"Signature {name} absente : l'accord de versement exige un bordereau signé"
        return SignatureCheck((CheckIssue("signature_missing", "error", message, path=name),))
    if package.entries[name] > MAX_SIGNATURE_BYTES:
        message = f"Signature {name} de plus de {MAX_SIGNATURE_BYTES} octets"
        return SignatureCheck((CheckIssue("signature_malformed", "error", message, path=name),))
    signature = b"".join(package.chunks(name))
    algorithm = _signed_digest_algorithm(signature)
    digest = manifest_digest(algorithm.value)
    result = verify_digest(signature, digest, trust_anchors, algorithm=algorithm, at=at)
    issues = tuple(
        CheckIssue(_SIGNATURE_CODES[p.code], "error", f"Signature {name} : {p.message}", path=name)
        for p in result.problems
    )
    signer = result.signer if result.valid else None
    return SignatureCheck(issues, None if signer is None else signer.subject.rfc4514_string())


def _signed_digest_algorithm(signature: bytes) -> DigestAlgorithm:
    """The digest the signer used; SHA-256 (what seda.sip signs) when the signature is unreadable,
    which verify_digest then reports."""
    try:
        signers = parse_signed_data(signature).signer_infos
    except (ValueError, IndexError):
        return DigestAlgorithm.SHA256
    found = DigestAlgorithm.from_oid(signers[0].digest_algorithm) if len(signers) == 1 else None
    return found or DigestAlgorithm.SHA256
