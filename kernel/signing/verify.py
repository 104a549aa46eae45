"""Verification of detached CAdES-BES signatures against configured trust anchors.

Implements the checks of RFC 5652 §5.6 (message digest, then the signature over the signed
attributes), the ESS signing-certificate-v2 binding (RFC 5035 §5.4) and a simple RFC 5280 path:
issuer/subject chaining with signature checks, CA basic constraints and validity dates at the
validation time. Revocation (CRL/OCSP) is not checked. Every problem found is reported with a
stable code, in the spirit of the ETSI EN 319 102-1 sub-indications, instead of stopping at the
first one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kernel.signing import cms, der

MAX_CHAIN_LENGTH = 8

# Gives the digest of the content received for an algorithm, or None when it is not known.
_DigestProvider: TypeAlias = Callable[["cms.DigestAlgorithm"], bytes | None]


class ProblemCode(enum.StrEnum):
    MALFORMED_SIGNATURE = "malformed_signature"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    CONTENT_MISMATCH = "content_mismatch"
    SIGNATURE_INVALID = "signature_invalid"
    SIGNING_CERTIFICATE_MISMATCH = "signing_certificate_mismatch"
    UNTRUSTED_CHAIN = "untrusted_chain"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"


@dataclass(frozen=True)
class SignatureProblem:
    code: ProblemCode
    message: str


@dataclass(frozen=True)
class VerificationResult:
    """Every problem found; the signature is valid only when there is none."""

    problems: tuple[SignatureProblem, ...]
    signer: x509.Certificate | None = None
    signing_time: datetime | None = None
    chain: tuple[x509.Certificate, ...] = field(default=())
    content: bytes | None = None

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> frozenset[ProblemCode]:
        return frozenset(problem.code for problem in self.problems)


def verify_content(
    signature: bytes,
    content: bytes,
    trust_anchors: Sequence[x509.Certificate],
    *,
    intermediates: Sequence[x509.Certificate] = (),
    at: datetime | None = None,
) -> VerificationResult:
    """Verify a detached signature over ``content`` (the manifest bytes received)."""
    return _verify(
        signature,
        lambda algorithm: cms.digest(content, algorithm),
        trust_anchors,
        intermediates,
        at,
    )


def verify_digest(
    signature: bytes,
    content_digest: bytes,
    trust_anchors: Sequence[x509.Certificate],
    *,
    algorithm: cms.DigestAlgorithm = cms.DigestAlgorithm.SHA256,
    intermediates: Sequence[x509.Certificate] = (),
    at: datetime | None = None,
) -> VerificationResult:
    """Verify a signature over content known by its digest (a package hashed while received)."""

    def known_digest(used: cms.DigestAlgorithm) -> bytes | None:
        return content_digest if used is algorithm else None

    return _verify(signature, known_digest, trust_anchors, intermediates, at)


def verify_signed_data(
    signed: cms.SignedData,
    trust_anchors: Sequence[x509.Certificate],
    *,
    at: datetime | None = None,
) -> VerificationResult:
    """Verify a SignedData that encapsulates its content (an RFC 3161 token and its TSTInfo)."""
    content = signed.content
    if content is None:
        return _failed(ProblemCode.MALFORMED_SIGNATURE, "contenu encapsulé absent")
    result = _check(signed, lambda algorithm: cms.digest(content, algorithm), trust_anchors, (), at)
    return VerificationResult(
        result.problems, result.signer, result.signing_time, result.chain, content
    )


def _verify(
    signature: bytes,
    digest_of: _DigestProvider,
    trust_anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate],
    at: datetime | None,
) -> VerificationResult:
    try:
        signed = cms.parse_signed_data(signature)
    except (ValueError, IndexError) as exc:
        return _failed(ProblemCode.MALFORMED_SIGNATURE, f"signature CMS illisible : {exc}")
    if signed.content is not None:
        return _failed(
            ProblemCode.MALFORMED_SIGNATURE, "signature attachée reçue, détachée attendue"
        )
    return _check(signed, digest_of, trust_anchors, intermediates, at)


def _check(
    signed: cms.SignedData,
    digest_of: _DigestProvider,
    trust_anchors: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate],
    at: datetime | None,
) -> VerificationResult:
    if len(signed.signer_infos) != 1:
        return _failed(ProblemCode.MALFORMED_SIGNATURE, "exactement un signataire attendu")
    signer_info = signed.signer_infos[0]
    signer = _find_signer(signer_info, signed.certificates)
    if signer is None:
        return _failed(ProblemCode.MALFORMED_SIGNATURE, "certificat du signataire absent")
    problems: list[SignatureProblem] = []
    try:
        signing_time = _signing_time(signer_info)
        problems += _check_attributes(signed, signer_info, signer, digest_of)
    except (ValueError, IndexError) as exc:
        return _failed(ProblemCode.MALFORMED_SIGNATURE, f"attributs signés illisibles : {exc}")
    problems += _check_signature(signer_info, signer)
    path, anchor, chain_problems = _build_chain(
        signer, [*signed.certificates, *intermediates], trust_anchors
    )
    problems += chain_problems
    # Trust anchors are configured, not judged (RFC 5280 §6.1.1 d): only the path is dated.
    problems += _check_validity(path, at or datetime.now(UTC))
    chain = (*path, anchor) if anchor is not None else tuple(path)
    return VerificationResult(tuple(problems), signer, signing_time, chain)


def _failed(code: ProblemCode, message: str) -> VerificationResult:
    return VerificationResult((SignatureProblem(code, message),))


def _find_signer(
    signer_info: cms.SignerInfo, certificates: list[x509.Certificate]
) -> x509.Certificate | None:
    for certificate in certificates:
        if signer_info.subject_key_identifier is not None:
            if _subject_key_identifier(certificate) == signer_info.subject_key_identifier:
                return certificate
        elif (
            certificate.serial_number == signer_info.serial_number
            and certificate.issuer.public_bytes() == signer_info.issuer
        ):
            return certificate
    return None


def _subject_key_identifier(certificate: x509.Certificate) -> bytes | None:
    try:
        return certificate.extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier
        ).value.digest
    except x509.ExtensionNotFound:
        return None


def _signing_time(signer_info: cms.SignerInfo) -> datetime | None:
    values = signer_info.attributes.get(cms.ATTR_SIGNING_TIME)
    return der.read_time(values[0]) if values else None


def _check_attributes(
    signed: cms.SignedData,
    signer_info: cms.SignerInfo,
    signer: x509.Certificate,
    digest_of: _DigestProvider,
) -> list[SignatureProblem]:
    attributes = signer_info.attributes
    content_type = attributes.get(cms.ATTR_CONTENT_TYPE)
    if not content_type or der.read_oid(content_type[0]) != signed.content_type:
        return [
            SignatureProblem(
                ProblemCode.MALFORMED_SIGNATURE, "attribut content-type absent ou incohérent"
            )
        ]
    message_digest = attributes.get(cms.ATTR_MESSAGE_DIGEST)
    if not message_digest:
        return [SignatureProblem(ProblemCode.MALFORMED_SIGNATURE, "attribut message-digest absent")]
    return [
        *_check_digest(signer_info, der.read_octet_string(message_digest[0]), digest_of),
        *_check_signing_certificate(attributes, signer),
    ]


def _check_digest(
    signer_info: cms.SignerInfo, signed_digest: bytes, digest_of: _DigestProvider
) -> list[SignatureProblem]:
    algorithm = cms.DigestAlgorithm.from_oid(signer_info.digest_algorithm)
    if algorithm is None:
        message = f"algorithme d'empreinte non pris en charge : {signer_info.digest_algorithm}"
        return [SignatureProblem(ProblemCode.UNSUPPORTED_ALGORITHM, message)]
    actual = digest_of(algorithm)
    if actual is None:
        message = f"l'empreinte {algorithm} du contenu reçu n'est pas connue"
        return [SignatureProblem(ProblemCode.UNSUPPORTED_ALGORITHM, message)]
    if actual != signed_digest:
        message = "le contenu reçu n'est pas celui qui a été signé (empreinte différente)"
        return [SignatureProblem(ProblemCode.CONTENT_MISMATCH, message)]
    return []


def _check_signing_certificate(
    attributes: dict[str, list[der.Tlv]], signer: x509.Certificate
) -> list[SignatureProblem]:
    values = attributes.get(cms.ATTR_SIGNING_CERTIFICATE_V2)
    if not values:
        return []
    first_id = values[0].children()[0].children()[0].children()
    hash_algorithm = cms.DigestAlgorithm.SHA256
    if first_id[0].tag == der.TAG_SEQUENCE:
        found = cms.DigestAlgorithm.from_oid(der.read_oid(first_id[0].children()[0]))
        if found is None:
            return [
                SignatureProblem(
                    ProblemCode.UNSUPPORTED_ALGORITHM, "empreinte ESS non prise en charge"
                )
            ]
        hash_algorithm, first_id = found, first_id[1:]
    expected = cms.digest(signer.public_bytes(serialization.Encoding.DER), hash_algorithm)
    if der.read_octet_string(first_id[0]) != expected:
        message = (
            "l'attribut signing-certificate-v2 désigne un autre certificat que celui du signataire"
        )
        return [SignatureProblem(ProblemCode.SIGNING_CERTIFICATE_MISMATCH, message)]
    return []


def _check_signature(
    signer_info: cms.SignerInfo, signer: x509.Certificate
) -> list[SignatureProblem]:
    key = signer.public_key()
    algorithm = _signature_hash(signer_info, key)
    if algorithm is None:
        message = f"algorithme de signature non pris en charge : {signer_info.signature_algorithm}"
        return [SignatureProblem(ProblemCode.UNSUPPORTED_ALGORITHM, message)]
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(
                signer_info.signature,
                signer_info.signed_attributes,
                padding.PKCS1v15(),
                algorithm.hash(),
            )
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(
                signer_info.signature, signer_info.signed_attributes, ec.ECDSA(algorithm.hash())
            )
    except InvalidSignature:
        message = "la signature ne correspond pas aux attributs signés et à la clé du signataire"
        return [SignatureProblem(ProblemCode.SIGNATURE_INVALID, message)]
    return []


def _signature_hash(signer_info: cms.SignerInfo, key: object) -> cms.DigestAlgorithm | None:
    """The digest the signature algorithm uses, or None if it does not fit the signer's key."""
    dotted = signer_info.signature_algorithm
    if isinstance(key, rsa.RSAPublicKey):
        if dotted == cms.RSA_ENCRYPTION:
            return cms.DigestAlgorithm.from_oid(signer_info.digest_algorithm)
        return _lookup(cms.RSA_WITH, dotted)
    if isinstance(key, ec.EllipticCurvePublicKey):
        if dotted == cms.EC_PUBLIC_KEY:
            return cms.DigestAlgorithm.from_oid(signer_info.digest_algorithm)
        return _lookup(cms.ECDSA_WITH, dotted)
    return None


def _lookup(table: dict[cms.DigestAlgorithm, str], dotted: str) -> cms.DigestAlgorithm | None:
    return next((algorithm for algorithm, value in table.items() if value == dotted), None)


def _build_chain(
    signer: x509.Certificate,
    pool: Sequence[x509.Certificate],
    trust_anchors: Sequence[x509.Certificate],
) -> tuple[list[x509.Certificate], x509.Certificate | None, list[SignatureProblem]]:
    """Walk issuers from the signer to a trust anchor: ``(path, anchor, problems)``.

    The path holds the signer and the intermediates; a signer that is itself a configured
    anchor (the self-signed embedded default) is its own path, with no separate anchor.
    """
    path = [signer]
    while len(path) <= MAX_CHAIN_LENGTH:
        current = path[-1]
        if current in trust_anchors:
            return path, None, []
        anchor = _issuer_among(current, trust_anchors)
        if anchor is not None:
            return path, anchor, []
        issuer = _issuer_among(current, [c for c in pool if c not in path])
        if issuer is None:
            break
        path.append(issuer)
    message = "aucune chaîne de certification ne mène à une autorité de confiance configurée"
    return path, None, [SignatureProblem(ProblemCode.UNTRUSTED_CHAIN, message)]


def _issuer_among(
    certificate: x509.Certificate, candidates: Sequence[x509.Certificate]
) -> x509.Certificate | None:
    for candidate in candidates:
        if candidate.subject != certificate.issuer or not _is_ca(candidate):
            continue
        try:
            certificate.verify_directly_issued_by(candidate)
        except (InvalidSignature, ValueError, TypeError):
            continue
        return candidate
    return None


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _check_validity(chain: Sequence[x509.Certificate], at: datetime) -> list[SignatureProblem]:
    problems: list[SignatureProblem] = []
    for certificate in chain:
        subject = certificate.subject.rfc4514_string()
        if at > certificate.not_valid_after_utc:
            message = f"certificat expiré le {certificate.not_valid_after_utc:%Y-%m-%d} : {subject}"
            problems.append(SignatureProblem(ProblemCode.CERTIFICATE_EXPIRED, message))
        if at < certificate.not_valid_before_utc:
            message = f"certificat valide seulement à partir du {certificate.not_valid_before_utc:%Y-%m-%d} : {subject}"
            problems.append(SignatureProblem(ProblemCode.CERTIFICATE_NOT_YET_VALID, message))
    return problems
