"""XAdES enveloped in an XML document (ETSI EN 319 132-1; XML-DSig 1.1), such as a signed PES.

signxml checks the XML signature itself: canonicalisation, every reference's digest, the
signature value, and XAdES' signed ``SigningCertificate(V2)`` digest. It neither handles
``SignatureTimeStamp`` nor revocation, and it judges the certificate at one instant, so it is
given the signer's certificate to check the cryptography only; the certificate path is then
validated by pyhanko-certvalidator against the organisation's anchors, with the embedded
``RevocationValues``, at the time the signature's time-stamp proves (RFC 3161 token over the
canonicalised ``ds:SignatureValue``, ETSI EN 319 132-1 §5.3) or now.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from datetime import datetime
from typing import Any

from asn1crypto import cms, crl, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from lxml import etree
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InvalidCertificateError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
)
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.xades.xades import XAdESSignatureConfiguration, XAdESVerifier

from kernel.signing.documents.checks import SignatureCheck, SignatureFormat, SignatureStatus
from kernel.signing.documents.common import Trust, context, malformed

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
NS = {"ds": DS, "xades": XADES}
MAX_XML_BYTES = 256 * 1024**2
_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"


def verify_xml(path: str, trust: Trust) -> list[SignatureCheck]:
    root = _parse(path)
    if root is None:
        return []
    signature = root.find(".//ds:Signature", NS)
    if signature is None:
        return []
    if signature.find(".//xades:QualifyingProperties", NS) is None:
        return []  # plain XML-DSig without XAdES properties: not a signature we verify
    certs = _certificates(signature)
    if not certs:
        return [malformed(SignatureFormat.XADES)]
    signer = _cryptographic_signer(root, certs)
    if signer is None:
        return [
            SignatureCheck(SignatureFormat.XADES, SignatureStatus.INVALID, ("signature_altered",))
        ]
    return [_judge(signature, signer, certs, trust)]


def _parse(path: str) -> Any:
    with open(path, "rb") as stream:  # noqa: PTH123
        raw = stream.read(MAX_XML_BYTES + 1)
    if len(raw) > MAX_XML_BYTES or b"<!DOCTYPE" in raw[:4096]:
        return None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(raw, parser)
    except etree.XMLSyntaxError:
        return None


def _certificates(signature: Any) -> list[x509.Certificate]:
    found = []
    for element in signature.iterfind("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS):
        try:
            found.append(x509.load_der_x509_certificate(base64.b64decode(element.text or "")))
        except ValueError:
            continue
    return found


def _cryptographic_signer(root: Any, certs: list[x509.Certificate]) -> x509.Certificate | None:
    """The certificate whose key made a signature whose references all match, if any."""
    for cert in certs:
        # Any instant inside the certificate's validity: its time is judged by certvalidator.
        config = XAdESSignatureConfiguration(
            verification_time=cert.not_valid_before_utc, expect_references=False
        )
        try:
            XAdESVerifier().verify(root, x509_cert=cert, expect_config=config)
        except (InvalidSignature, InvalidInput, ValueError):
            continue
        return cert
    return None


def _judge(
    signature: Any, signer: x509.Certificate, certs: list[x509.Certificate], trust: Trust
) -> SignatureCheck:
    stamped_at, stamp_reasons = _timestamp(signature, trust)
    if "timestamp_altered" in stamp_reasons:
        return _check(SignatureStatus.INVALID, ("timestamp_altered",), signer, signature, None)
    verdict, reason = _path(signer, certs, signature, trust, stamped_at)
    if reason == "certificate_expired_no_timestamp" and stamped_at is not None:
        reason = "certificate_expired_before_timestamp"
    reasons = tuple(r for r in (reason, *stamp_reasons) if r)
    return _check(verdict, reasons, signer, signature, stamped_at)


def _path(
    signer: x509.Certificate,
    certs: list[x509.Certificate],
    signature: Any,
    trust: Trust,
    stamped_at: datetime | None,
) -> tuple[SignatureStatus, str | None]:
    crls, ocsps = _revocation_values(signature)
    validation = context(trust, moment=stamped_at, crls=crls, ocsps=ocsps)
    validator = CertificateValidator(
        _asn1(signer), [_asn1(c) for c in certs if c != signer], validation_context=validation
    )
    try:
        asyncio.run(validator.async_validate_usage({"digital_signature"}))  # type: ignore[no-untyped-call]
    except RevokedError:
        return SignatureStatus.INVALID, "certificate_revoked"
    except ExpiredError:
        return SignatureStatus.INDETERMINATE, "certificate_expired_no_timestamp"
    except NotYetValidError:
        return SignatureStatus.INDETERMINATE, "certificate_not_yet_valid"
    except PathBuildingError:
        return SignatureStatus.INDETERMINATE, "untrusted_root"
    except InvalidCertificateError:
        return SignatureStatus.INDETERMINATE, "certificate_not_usable"
    except PathValidationError:
        return SignatureStatus.INDETERMINATE, "certificate_chain_invalid"
    return SignatureStatus.VALID, None


def _timestamp(signature: Any, trust: Trust) -> tuple[datetime | None, tuple[str, ...]]:
    """The time a trusted SignatureTimeStamp proves, and what was wrong with it if anything."""
    stamp = signature.find(".//xades:SignatureTimeStamp", NS)
    if stamp is None:
        return None, ()
    token = stamp.find("xades:EncapsulatedTimeStamp", NS)
    value = signature.find("ds:SignatureValue", NS)
    if token is None or value is None:
        return None, ("timestamp_altered",)
    method = stamp.find("ds:CanonicalizationMethod", NS)
    imprint = _canonical(value, method.get("Algorithm") if method is not None else _C14N)
    try:
        info = cms.ContentInfo.load(base64.b64decode(token.text or ""))
        found = asyncio.run(
            validate_tst_signed_data(
                info["content"],
                context(trust),
                lambda algorithm: hashlib.new(algorithm, imprint).digest(),
            )
        )
        status = TimestampSignatureStatus(**found)
    except Exception:  # a token pyHanko cannot read
        return None, ("timestamp_altered",)
    if not (status.intact and status.valid):
        return None, ("timestamp_altered",)
    if not status.trusted:
        return None, ("timestamp_untrusted",)
    return status.timestamp, ()


def _canonical(element: Any, algorithm: str) -> bytes:
    exclusive = "exc-c14n" in algorithm
    comments = algorithm.endswith("#WithComments")
    data: bytes = etree.tostring(
        element, method="c14n", exclusive=exclusive, with_comments=comments
    )
    return data


def _revocation_values(signature: Any) -> tuple[list[Any], list[Any]]:
    crls, ocsps = [], []
    for element in signature.iterfind(
        ".//xades:RevocationValues/xades:CRLValues/xades:EncapsulatedCRLValue", NS
    ):
        crls.append(crl.CertificateList.load(base64.b64decode(element.text or "")))
    for element in signature.iterfind(
        ".//xades:RevocationValues/xades:OCSPValues/xades:EncapsulatedOCSPValue", NS
    ):
        ocsps.append(ocsp.OCSPResponse.load(base64.b64decode(element.text or "")))
    return crls, ocsps


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    from cryptography.hazmat.primitives.serialization import Encoding

    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _check(
    verdict: SignatureStatus,
    reasons: tuple[str, ...],
    signer: x509.Certificate,
    signature: Any,
    stamped_at: datetime | None,
) -> SignatureCheck:
    claimed = signature.find(".//xades:SigningTime", NS)
    return SignatureCheck(
        format=SignatureFormat.XADES,
        status=verdict,
        reasons=reasons,
        signer=signer.subject.rfc4514_string()[:1000],
        signing_time=_datetime(claimed.text if claimed is not None else None),
        timestamp_time=stamped_at,
    )


def _datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
