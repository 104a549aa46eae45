"""X.509 signing material: the self-signed default key pair and real keys and chains loaded from PEM.

Certificates follow RFC 5280; keys are written as PKCS #8 PEM (RFC 5958). The embedded default
uses ECDSA P-256 (see ``KeyAlgorithm``); RSA 3072 is offered for targets whose tools still expect RSA.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
SELF_SIGNED_DAYS = 3 * 365  # the embedded default's pair, made by ``init`` (GED and repository)


class SigningError(Exception):
    """Base class of the signing and signature-verification failures raised by this package."""


class InvalidSigningMaterial(SigningError):
    """A configured key, certificate or chain cannot be used for signing."""


class KeyAlgorithm(enum.StrEnum):
    """Key types for a generated key pair.

    ECDSA P-256 is the default: ANSSI's RGS B1 and ETSI TS 119 312 accept it at the same
    128-bit security level as RSA 3072, it is generated in milliseconds (RSA 3072 takes up to
    seconds) and every CMS verifier we target (OpenSSL, EU DSS, Java) reads it.
    """

    ECDSA_P256 = "ecdsa-p256"
    RSA_3072 = "rsa-3072"


@dataclass(frozen=True)
class SigningIdentity:
    """A private key, its certificate and the intermediates up to (not including) the root."""

    private_key: SigningKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


def generate_self_signed(
    common_name: str,
    organisation: str,
    valid_days: int,
    *,
    algorithm: KeyAlgorithm = KeyAlgorithm.ECDSA_P256,
    password: bytes | None = None,
    now: datetime | None = None,
) -> tuple[bytes, bytes]:
    """Return ``(private_key_pem, certificate_pem)`` for a new self-signed signing certificate."""
    key = generate_key(algorithm)
    start = now or datetime.now(UTC)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    certificate = (
        _signing_certificate_builder(name, name, key.public_key(), start, valid_days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return private_key_pem(key, password), certificate.public_bytes(serialization.Encoding.PEM)


def write_self_signed(key: Path, certificate: Path, common_name: str, organisation: str) -> None:
    """A new self-signed pair as PEM files; the private key is created readable by its owner
    only, and never over an existing one."""
    key.parent.mkdir(parents=True, exist_ok=True)
    key_pem, certificate_pem = generate_self_signed(common_name, organisation, SELF_SIGNED_DAYS)
    descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)
    certificate.write_bytes(certificate_pem)


def generate_key(algorithm: KeyAlgorithm) -> SigningKey:
    if algorithm is KeyAlgorithm.RSA_3072:
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: SigningKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _signing_certificate_builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    start: datetime,
    valid_days: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - timedelta(minutes=5))
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(_SIGNING_KEY_USAGE, critical=True)
    )


# digitalSignature + contentCommitment (non-repudiation): what a CAdES signer certificate carries.
_SIGNING_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def load_signing_identity(
    key_path: Path,
    certificate_path: Path,
    chain_path: Path | None = None,
    *,
    password: bytes | None = None,
) -> SigningIdentity:
    """Load a key and its certificate; intermediates come after the leaf or from ``chain_path``."""
    key = _load_private_key(key_path, password)
    certificates = load_certificates(certificate_path)
    leaf, chain = certificates[0], list(certificates[1:])
    if chain_path is not None:
        chain.extend(load_certificates(chain_path))
    if leaf.public_key() != key.public_key():
        raise InvalidSigningMaterial(
            f"la clé {key_path} ne correspond pas au certificat {certificate_path}"
        )
    return SigningIdentity(key, leaf, tuple(chain))


def load_identity_from_pem(key_pem: bytes, certificate_pem: bytes) -> SigningIdentity:
    """Build an identity from PEM bytes held in memory (the embedded default, tests)."""
    key = _parse_private_key(key_pem, None, "<mémoire>")
    certificates = x509.load_pem_x509_certificates(certificate_pem)
    return SigningIdentity(key, certificates[0], tuple(certificates[1:]))


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Read every certificate of a PEM file (a leaf and its chain, or a set of trust anchors)."""
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InvalidSigningMaterial(f"certificats illisibles dans {path} : {exc}") from exc


def _load_private_key(path: Path, password: bytes | None) -> SigningKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidSigningMaterial(f"clé privée illisible : {path} ({exc})") from exc
    return _parse_private_key(data, password, str(path))


def _parse_private_key(data: bytes, password: bytes | None, origin: str) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise InvalidSigningMaterial(f"clé privée illisible : {origin} ({exc})") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidSigningMaterial(f"type de clé non pris en charge pour CAdES : {origin}")
    return key
