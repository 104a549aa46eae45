"""The instance's signing key for SIPs (CAdES, ETSI EN 319 122-1), on top of ``kernel.signing``.

``gedsae init`` makes a self-signed ECDSA P-256 pair under ``$GEDSAE_HOME/signing`` for the
embedded default (private key readable by its owner only); a real key and its chain are
configured by path (``signing_key``, ``signing_certificate``, ``signing_chain``, the key's
password from ``signing_key_password_file``). With ``tsa_url`` set, every signature carries an
RFC 3161 time-stamp token over its signature value.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from ged.config import Settings
from ged.services.transfer_setup import PackageSigner
from kernel.signing import (
    SigningIdentity,
    load_signing_identity,
    sign_digest,
    timestamp_signature,
    write_self_signed,
)


def ensure_signing_key(settings: Settings, organisation: str) -> Path | None:
    """Make the embedded default's self-signed pair if no key exists; the certificate's path
    when one was made (to hand to the repository as a trust anchor)."""
    key, certificate = settings.signing_key_path, settings.signing_certificate_path
    if key.exists() or settings.signing_key:
        return None
    write_self_signed(key, certificate, f"gedsae {organisation}", organisation)
    return certificate


def load_signer(
    settings: Settings, http: Callable[[], httpx.Client] | None = None
) -> PackageSigner | None:
    """The configured signer, or None when the instance has no key (not initialised yet).
    ``http`` makes the client that asks the TSA (default: verified TLS, 30 s)."""
    key, certificate = settings.signing_key_path, settings.signing_certificate_path
    if not key.exists():
        return None
    identity = load_signing_identity(
        key,
        certificate,
        Path(settings.signing_chain) if settings.signing_chain else None,
        password=settings.signing_key_password.encode() or None,
    )
    subject = identity.certificate.subject.rfc4514_string()
    return PackageSigner(
        subject, _signing_function(identity, settings.tsa_url, http or _tsa_client)
    )


def _tsa_client() -> httpx.Client:
    return httpx.Client(timeout=30.0)


def _signing_function(
    identity: SigningIdentity, tsa_url: str, http: Callable[[], httpx.Client]
) -> PackageSigner.Sign:
    def sign(digest: bytes) -> bytes:
        signature = sign_digest(digest, identity)
        if not tsa_url:
            return signature
        with http() as client:
            return timestamp_signature(client, tsa_url, signature)

    return sign
