"""Detached CAdES-BES signatures: CMS SignedData (RFC 5652 §5) with ESS signing-certificate-v2.

CAdES-BES (ETSI EN 319 122-1 §5.2) is a CMS SignedData whose signed attributes carry the content
type, the message digest, the signing time and the signing-certificate-v2 attribute (RFC 5035),
which binds the signer's certificate so that it cannot be swapped for another one with the same
key. The content is detached: the signature sits beside the SIP manifest (or covers a package
digest computed while streaming) and never embeds it.

``cryptography``'s ``PKCS7SignatureBuilder`` cannot add the ESS attribute, so the structure is
built here with the small DER codec of ``der.py``; the private-key operation stays in
``cryptography``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kernel.signing import der
from kernel.signing.keys import SigningIdentity

ID_DATA = "1.2.840.113549.1.7.1"
ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
ID_CT_TST_INFO = "1.2.840.113549.1.9.16.1.4"
ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"
ATTR_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"
ATTR_SIGNATURE_TIME_STAMP = "1.2.840.113549.1.9.16.2.14"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"


class DigestAlgorithm(enum.StrEnum):
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"

    @property
    def oid(self) -> str:
        return _DIGEST_OIDS[self]

    def hash(self) -> hashes.HashAlgorithm:
        return _DIGEST_HASHES[self]()

    @classmethod
    def from_oid(cls, dotted: str) -> DigestAlgorithm | None:
        return next(
            (algorithm for algorithm, value in _DIGEST_OIDS.items() if value == dotted), None
        )


_DIGEST_OIDS = {
    DigestAlgorithm.SHA256: "2.16.840.1.101.3.4.2.1",
    DigestAlgorithm.SHA384: "2.16.840.1.101.3.4.2.2",
    DigestAlgorithm.SHA512: "2.16.840.1.101.3.4.2.3",
}
_DIGEST_HASHES: dict[DigestAlgorithm, type[hashes.HashAlgorithm]] = {
    DigestAlgorithm.SHA256: hashes.SHA256,
    DigestAlgorithm.SHA384: hashes.SHA384,
    DigestAlgorithm.SHA512: hashes.SHA512,
}
RSA_WITH = {
    DigestAlgorithm.SHA256: "1.2.840.113549.1.1.11",
    DigestAlgorithm.SHA384: "1.2.840.113549.1.1.12",
    DigestAlgorithm.SHA512: "1.2.840.113549.1.1.13",
}
ECDSA_WITH = {
    DigestAlgorithm.SHA256: "1.2.840.10045.4.3.2",
    DigestAlgorithm.SHA384: "1.2.840.10045.4.3.3",
    DigestAlgorithm.SHA512: "1.2.840.10045.4.3.4",
}


def digest(data: bytes, algorithm: DigestAlgorithm = DigestAlgorithm.SHA256) -> bytes:
    hasher = hashes.Hash(algorithm.hash())
    hasher.update(data)
    return hasher.finalize()


def sign_content(
    content: bytes,
    identity: SigningIdentity,
    *,
    signing_time: datetime | None = None,
    algorithm: DigestAlgorithm = DigestAlgorithm.SHA256,
) -> bytes:
    """Return a DER detached CAdES-BES signature over ``content`` (for instance the SIP manifest)."""
    return sign_digest(
        digest(content, algorithm), identity, signing_time=signing_time, algorithm=algorithm
    )


def sign_digest(
    content_digest: bytes,
    identity: SigningIdentity,
    *,
    signing_time: datetime | None = None,
    algorithm: DigestAlgorithm = DigestAlgorithm.SHA256,
) -> bytes:
    """Sign content known only by its digest (a package hashed while it was streamed)."""
    if len(content_digest) != algorithm.hash().digest_size:
        raise ValueError(f"une empreinte {algorithm} attendue, {len(content_digest)} octets reçus")
    return _signed_data(content_digest, identity, signing_time, algorithm, ID_DATA, None)


def sign_encapsulated(
    content: bytes,
    content_type: str,
    identity: SigningIdentity,
    *,
    signing_time: datetime | None = None,
    algorithm: DigestAlgorithm = DigestAlgorithm.SHA256,
) -> bytes:
    """Sign and embed ``content`` of type ``content_type``: the shape of an RFC 3161 token."""
    return _signed_data(
        digest(content, algorithm), identity, signing_time, algorithm, content_type, content
    )


def _signed_data(
    content_digest: bytes,
    identity: SigningIdentity,
    signing_time: datetime | None,
    algorithm: DigestAlgorithm,
    content_type: str,
    content: bytes | None,
) -> bytes:
    attributes = [
        attribute(ATTR_CONTENT_TYPE, der.oid(content_type)),
        attribute(ATTR_SIGNING_TIME, der.utc_time(signing_time or datetime.now(UTC))),
        attribute(ATTR_MESSAGE_DIGEST, der.octet_string(content_digest)),
        attribute(ATTR_SIGNING_CERTIFICATE_V2, signing_certificate_v2(identity.certificate)),
    ]
    signature = _sign(identity, der.set_of(*attributes), algorithm)
    signer_info = der.sequence(
        der.integer(1),
        issuer_and_serial(identity.certificate),
        _algorithm_identifier(algorithm.oid),
        der.set_of(*attributes, tag=der.CONTEXT | der.CONSTRUCTED | 0),
        _signature_algorithm(identity.private_key, algorithm),
        der.octet_string(signature),
    )
    encapsulated = [der.oid(content_type)]
    if content is not None:
        encapsulated.append(der.explicit(0, der.octet_string(content)))
    certificates = [
        certificate.public_bytes(serialization.Encoding.DER)
        for certificate in (identity.certificate, *identity.chain)
    ]
    signed_data = der.sequence(
        # RFC 5652 §5.1: version 3 when the encapsulated content is not id-data.
        der.integer(1 if content_type == ID_DATA else 3),
        der.set_of(_algorithm_identifier(algorithm.oid)),
        der.sequence(*encapsulated),
        der.set_of(*certificates, tag=der.CONTEXT | der.CONSTRUCTED | 0),
        der.set_of(signer_info),
    )
    return der.sequence(der.oid(ID_SIGNED_DATA), der.explicit(0, signed_data))


def attribute(attribute_type: str, *values: bytes) -> bytes:
    return der.sequence(der.oid(attribute_type), der.set_of(*values))


def signing_certificate_v2(certificate: x509.Certificate) -> bytes:
    """ESS SigningCertificateV2 (RFC 5035 §3): SHA-256 of the certificate, then issuer and serial."""
    cert_der = certificate.public_bytes(serialization.Encoding.DER)
    # hashAlgorithm DEFAULT sha256 must be omitted in DER (X.690 §11.5).
    ess_cert_id = der.sequence(der.octet_string(digest(cert_der)), _issuer_serial(certificate))
    return der.sequence(der.sequence(ess_cert_id))


def _issuer_serial(certificate: x509.Certificate) -> bytes:
    directory_name = der.explicit(4, certificate.issuer.public_bytes())
    return der.sequence(der.sequence(directory_name), der.integer(certificate.serial_number))


def issuer_and_serial(certificate: x509.Certificate) -> bytes:
    return der.sequence(certificate.issuer.public_bytes(), der.integer(certificate.serial_number))


def _algorithm_identifier(dotted: str, parameters: bytes = b"") -> bytes:
    # RFC 5754 §2: the SHA-2 digest identifiers carry no parameters.
    return der.sequence(der.oid(dotted), parameters)


def _signature_algorithm(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, algorithm: DigestAlgorithm
) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        # RFC 4055 §5: the RSA PKCS #1 v1.5 identifiers carry an explicit NULL.
        return _algorithm_identifier(RSA_WITH[algorithm], der.null())
    return _algorithm_identifier(ECDSA_WITH[algorithm])


def _sign(identity: SigningIdentity, data: bytes, algorithm: DigestAlgorithm) -> bytes:
    key = identity.private_key
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), algorithm.hash())
    return key.sign(data, ec.ECDSA(algorithm.hash()))


@dataclass(frozen=True)
class SignerInfo:
    """The fields of one RFC 5652 §5.3 SignerInfo that verification needs."""

    raw: der.Tlv
    issuer: bytes | None
    serial_number: int | None
    subject_key_identifier: bytes | None
    digest_algorithm: str
    signed_attributes: bytes
    attributes: dict[str, list[der.Tlv]]
    signature_algorithm: str
    signature: bytes
    unsigned_attributes: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class SignedData:
    """An RFC 5652 §5.1 SignedData with its certificates decoded."""

    content_type: str
    content: bytes | None
    certificates: list[x509.Certificate]
    signer_infos: list[SignerInfo]


def parse_signed_data(data: bytes) -> SignedData:
    """Parse a DER ContentInfo holding SignedData; raises ``der.MalformedDer`` on anything else."""
    content_info = der.decode(data).expect(der.TAG_SEQUENCE).children()
    if len(content_info) != 2 or der.read_oid(content_info[0]) != ID_SIGNED_DATA:
        raise der.MalformedDer("ce n'est pas un ContentInfo SignedData")
    fields = content_info[1].expect(der.CONTEXT | der.CONSTRUCTED | 0).children()
    signed_data = _single(fields).expect(der.TAG_SEQUENCE).children()
    if len(signed_data) < 4:
        raise der.MalformedDer("SignedData incomplet")
    content_type, content = _encapsulated_content(signed_data[2])
    certificates: list[x509.Certificate] = []
    for element in signed_data[3:-1]:
        if element.tag == der.CONTEXT | der.CONSTRUCTED | 0:
            certificates.extend(_certificate(child) for child in element.children())
    signer_infos = [_signer_info(child) for child in signed_data[-1].expect(der.TAG_SET).children()]
    return SignedData(content_type, content, certificates, signer_infos)


def _single(elements: list[der.Tlv]) -> der.Tlv:
    if len(elements) != 1:
        raise der.MalformedDer("un seul élément attendu")
    return elements[0]


def _encapsulated_content(element: der.Tlv) -> tuple[str, bytes | None]:
    fields = element.expect(der.TAG_SEQUENCE).children()
    content_type = der.read_oid(fields[0])
    if len(fields) == 1:
        return content_type, None
    wrapped = _single(fields[1].expect(der.CONTEXT | der.CONSTRUCTED | 0).children())
    return content_type, der.read_octet_string(wrapped)


def _certificate(element: der.Tlv) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(element.raw)
    except ValueError as exc:
        raise der.MalformedDer(f"certificat illisible dans la signature : {exc}") from exc


def _signer_info(element: der.Tlv) -> SignerInfo:
    fields = element.expect(der.TAG_SEQUENCE).children()
    if len(fields) < 5:
        raise der.MalformedDer("SignerInfo incomplet")
    issuer, serial, key_id = _signer_identifier(fields[1])
    signed = fields[3]
    if signed.tag != der.CONTEXT | der.CONSTRUCTED | 0:
        raise der.MalformedDer("attributs signés absents (exigés par CAdES)")
    unsigned = fields[6].children() if len(fields) > 6 else []
    return SignerInfo(
        raw=element,
        issuer=issuer,
        serial_number=serial,
        subject_key_identifier=key_id,
        digest_algorithm=der.read_oid(fields[2].children()[0]),
        # RFC 5652 §5.4: the signature covers the attributes re-tagged as an explicit SET OF.
        signed_attributes=der.encode(der.TAG_SET, signed.value),
        attributes=_attributes(signed.children()),
        signature_algorithm=der.read_oid(fields[4].children()[0]),
        signature=der.read_octet_string(fields[5]),
        unsigned_attributes=[child.raw for child in unsigned],
    )


def _signer_identifier(element: der.Tlv) -> tuple[bytes | None, int | None, bytes | None]:
    if element.tag == der.CONTEXT | 0:
        return None, None, element.value
    issuer, serial = element.expect(der.TAG_SEQUENCE).children()
    return issuer.raw, der.read_integer(serial), None


def _attributes(elements: list[der.Tlv]) -> dict[str, list[der.Tlv]]:
    attributes: dict[str, list[der.Tlv]] = {}
    for element in elements:
        attribute_type, values = element.expect(der.TAG_SEQUENCE).children()
        name = der.read_oid(attribute_type)
        if name in attributes:
            raise der.MalformedDer(f"attribut signé en double : {name}")
        attributes[name] = values.expect(der.TAG_SET).children()
    return attributes


def signature_value(signature: bytes) -> bytes:
    """The SignerInfo signature value, which a CAdES-T timestamp covers (EN 319 122-1 §5.3)."""
    return _only_signer(parse_signed_data(signature)).signature


def add_unsigned_attribute(signature: bytes, new_attribute: bytes) -> bytes:
    """Return the signature with one more unsigned attribute (for instance a timestamp token)."""
    content_info = der.decode(signature).children()
    signed_data = content_info[1].children()[0].children()
    signer = _only_signer_tlv(signed_data[-1])
    fields = signer.children()
    unsigned = [child.raw for child in fields[6].children()] if len(fields) > 6 else []
    new_signer = der.sequence(
        *(child.raw for child in fields[:6]),
        der.set_of(*unsigned, new_attribute, tag=der.CONTEXT | der.CONSTRUCTED | 1),
    )
    new_signed_data = der.sequence(
        *(child.raw for child in signed_data[:-1]), der.set_of(new_signer)
    )
    return der.sequence(content_info[0].raw, der.explicit(0, new_signed_data))


def _only_signer(signed_data: SignedData) -> SignerInfo:
    if len(signed_data.signer_infos) != 1:
        raise der.MalformedDer("un seul signataire attendu")
    return signed_data.signer_infos[0]


def _only_signer_tlv(signer_infos: der.Tlv) -> der.Tlv:
    return _single(signer_infos.expect(der.TAG_SET).children())
