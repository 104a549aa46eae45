"""RFC 3161 time-stamping: request a token from a TSA over HTTP and read the answer.

The request is a DER ``TimeStampReq`` (RFC 3161 §2.4.1) posted as
``application/timestamp-query`` (§3.4); the answer is a ``TimeStampResp`` (§2.4.2) whose token
is a CMS SignedData encapsulating a ``TSTInfo``. For a CAdES-T signature (ETSI EN 319 122-1 §5.3)
the token covers the SignerInfo signature value and is added as the unsigned attribute
id-aa-signatureTimeStampToken. The HTTP client is injected so tests play the TSA.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from kernel.signing import cms, der
from kernel.signing.keys import SigningError
from kernel.signing.verify import (
    ProblemCode,
    SignatureProblem,
    VerificationResult,
    verify_signed_data,
)

if TYPE_CHECKING:
    import httpx

QUERY_MEDIA_TYPE = "application/timestamp-query"
REPLY_MEDIA_TYPE = "application/timestamp-reply"
GRANTED, GRANTED_WITH_MODS = 0, 1
STATUS_NAMES = {
    0: "granted",
    1: "grantedWithMods",
    2: "rejection",
    3: "waiting",
    4: "revocationWarning",
    5: "revocationNotification",
}


class TimestampUnavailable(SigningError):
    """The TSA could not be reached or did not answer with a time-stamp reply."""


class TimestampRefused(SigningError):
    """The TSA answered with a status other than granted (RFC 3161 §2.4.2 PKIStatus)."""

    def __init__(self, status: int, text: str) -> None:
        self.status = status
        self.text = text
        name = STATUS_NAMES.get(status, str(status))
        super().__init__(f"horodatage refusé par l'autorité ({name}) : {text}".rstrip(" :"))


class MalformedTimestampResponse(SigningError):
    """The TSA's answer is not a readable TimeStampResp, or its token does not match the request."""


@dataclass(frozen=True)
class TimestampToken:
    """A time-stamp token (DER ContentInfo) and the TSTInfo fields read from it."""

    token: bytes
    gen_time: datetime
    serial_number: int
    policy: str
    hash_algorithm: cms.DigestAlgorithm
    imprint: bytes
    nonce: int | None


def build_request(
    imprint: bytes,
    *,
    algorithm: cms.DigestAlgorithm = cms.DigestAlgorithm.SHA256,
    nonce: int | None = None,
    policy: str | None = None,
) -> bytes:
    """DER TimeStampReq over a digest; certReq is set so the token carries the TSA certificate."""
    fields = [der.integer(1), _message_imprint(algorithm, imprint)]
    if policy is not None:
        fields.append(der.oid(policy))
    if nonce is not None:
        fields.append(der.integer(nonce))
    fields.append(der.boolean(True))
    return der.sequence(*fields)


def _message_imprint(algorithm: cms.DigestAlgorithm, imprint: bytes) -> bytes:
    return der.sequence(der.sequence(der.oid(algorithm.oid)), der.octet_string(imprint))


def request_timestamp(
    client: httpx.Client,
    url: str,
    data: bytes,
    *,
    algorithm: cms.DigestAlgorithm = cms.DigestAlgorithm.SHA256,
    policy: str | None = None,
) -> TimestampToken:
    """Ask the TSA at ``url`` for a token over ``data``; the reply must echo imprint and nonce."""
    imprint = cms.digest(data, algorithm)
    nonce = secrets.randbits(63)
    body = build_request(imprint, algorithm=algorithm, nonce=nonce, policy=policy)
    import httpx  # loaded with the first stamp: a server that never stamps needs none of it

    try:
        response = client.post(url, content=body, headers={"Content-Type": QUERY_MEDIA_TYPE})
    except httpx.HTTPError as exc:
        raise TimestampUnavailable(f"autorité d'horodatage injoignable : {url} ({exc})") from exc
    if response.status_code != 200:
        raise TimestampUnavailable(
            f"autorité d'horodatage en erreur HTTP {response.status_code} : {url}"
        )
    token = parse_response(response.content)
    if token.hash_algorithm is not algorithm or token.imprint != imprint or token.nonce != nonce:
        raise MalformedTimestampResponse(
            "le jeton d'horodatage ne correspond pas à la requête envoyée"
        )
    return token


def timestamp_signature(client: httpx.Client, url: str, signature: bytes) -> bytes:
    """Make a CAdES-T signature: time-stamp the signature value and embed the token."""
    token = request_timestamp(client, url, cms.signature_value(signature))
    return cms.add_unsigned_attribute(
        signature, cms.attribute(cms.ATTR_SIGNATURE_TIME_STAMP, token.token)
    )


def parse_response(data: bytes) -> TimestampToken:
    """Read a TimeStampResp: raise on a refusal, otherwise return its token."""
    try:
        fields = der.decode(data).expect(der.TAG_SEQUENCE).children()
        status_info = fields[0].expect(der.TAG_SEQUENCE).children()
        status = der.read_integer(status_info[0])
        text = _status_text(status_info[1:])
    except (ValueError, IndexError) as exc:
        raise MalformedTimestampResponse(f"réponse d'horodatage illisible : {exc}") from exc
    if status not in (GRANTED, GRANTED_WITH_MODS):
        raise TimestampRefused(status, text)
    if len(fields) != 2:
        raise MalformedTimestampResponse("réponse d'horodatage accordée mais sans jeton")
    return parse_token(fields[1].raw)


def _status_text(fields: list[der.Tlv]) -> str:
    if not fields or fields[0].tag != der.TAG_SEQUENCE:
        return ""
    return " ".join(item.value.decode("utf-8", errors="replace") for item in fields[0].children())


def parse_token(token: bytes) -> TimestampToken:
    """Read the TSTInfo (RFC 3161 §2.4.2) of a token without judging its signature."""
    try:
        signed = cms.parse_signed_data(token)
        if signed.content_type != cms.ID_CT_TST_INFO or signed.content is None:
            raise der.MalformedDer("le jeton n'encapsule pas de TSTInfo")
        return _tst_info(token, der.decode(signed.content).children())
    except (ValueError, IndexError) as exc:
        raise MalformedTimestampResponse(f"jeton d'horodatage illisible : {exc}") from exc


def _tst_info(token: bytes, fields: list[der.Tlv]) -> TimestampToken:
    hash_algorithm, imprint = fields[2].children()
    algorithm = cms.DigestAlgorithm.from_oid(der.read_oid(hash_algorithm.children()[0]))
    if algorithm is None:
        raise der.MalformedDer("algorithme d'empreinte du jeton non pris en charge")
    nonce = next((der.read_integer(f) for f in fields[5:] if f.tag == der.TAG_INTEGER), None)
    return TimestampToken(
        token=token,
        gen_time=der.read_time(fields[4]),
        serial_number=der.read_integer(fields[3]),
        policy=der.read_oid(fields[1]),
        hash_algorithm=algorithm,
        imprint=der.read_octet_string(imprint),
        nonce=nonce,
    )


def verify_token(
    token: bytes, data: bytes, tsa_anchors: Sequence[x509.Certificate]
) -> VerificationResult:
    """Check a token over ``data``: imprint, TSA signature and chain, ``timeStamping`` EKU.

    The TSA certificate is judged at the token's own ``genTime`` (RFC 3161 §2.4.2).
    """
    try:
        parsed = parse_token(token)
        signed = cms.parse_signed_data(token)
    except (MalformedTimestampResponse, ValueError) as exc:
        problem = SignatureProblem(ProblemCode.MALFORMED_SIGNATURE, str(exc))
        return VerificationResult((problem,))
    result = verify_signed_data(signed, tsa_anchors, at=parsed.gen_time)
    problems = list(result.problems)
    if cms.digest(data, parsed.hash_algorithm) != parsed.imprint:
        message = "le jeton d'horodatage porte sur d'autres données"
        problems.append(SignatureProblem(ProblemCode.CONTENT_MISMATCH, message))
    if result.signer is not None and not _is_timestamping_certificate(result.signer):
        message = "le certificat du signataire du jeton n'a pas l'usage timeStamping"
        problems.append(SignatureProblem(ProblemCode.UNTRUSTED_CHAIN, message))
    return VerificationResult(
        tuple(problems), result.signer, parsed.gen_time, result.chain, result.content
    )


def _is_timestamping_certificate(certificate: x509.Certificate) -> bool:
    # RFC 3161 §2.3: the TSA certificate has exactly the timeStamping extended key usage, critical.
    try:
        extension = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return False
    return extension.critical and list(extension.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
