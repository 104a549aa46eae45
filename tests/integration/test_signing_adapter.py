"""The instance's signing key: made once by ``gedsae init``, signs package digests, asks the
configured TSA for an RFC 3161 token (a scripted TSA answering real tokens)."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import httpx
from cryptography import x509

from ged.adapters.signing import ensure_signing_key, load_signer
from ged.config import Settings
from kernel.signing import SigningIdentity, cms, load_certificates, tsa, verify_digest
from sae.journal.checkpoints import timestamp_token
from tests.sae.test_checkpoints import TSA_URL, FakeTsa, tsa_pki  # noqa: F401 (fixture)

DIGEST = hashlib.sha256(b"paquet").digest()


def test_init_makes_one_private_key_and_signs_digests(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert load_signer(settings) is None  # not initialised: no signer, no error
    certificate = ensure_signing_key(settings, "Département de test")
    assert certificate is not None and certificate.exists()
    mode = stat.S_IMODE(settings.signing_key_path.stat().st_mode)
    assert mode == 0o600
    before = settings.signing_key_path.read_bytes()
    assert ensure_signing_key(settings, "Département de test") is None  # never replaced
    assert settings.signing_key_path.read_bytes() == before
    signer = load_signer(settings)
    assert signer is not None and "Département de test" in signer.subject
    anchors = load_certificates(certificate)
    signature = signer.sign_digest(DIGEST)
    assert verify_digest(signature, DIGEST, anchors).valid
    assert not verify_digest(signature, hashlib.sha256(b"autre").digest(), anchors).valid
    assert timestamp_token(signature) is None  # no TSA configured


def test_configured_tsa_stamps_every_signature(
    tmp_path: Path,
    tsa_pki: tuple[x509.Certificate, SigningIdentity],  # noqa: F811 (the imported fixture)
) -> None:
    root, tsa_identity = tsa_pki
    fake = FakeTsa(tsa_identity)
    settings = Settings(home=tmp_path, tsa_url=TSA_URL)
    ensure_signing_key(settings, "Département de test")
    signer = load_signer(settings, lambda: httpx.Client(transport=httpx.MockTransport(fake.handle)))
    assert signer is not None
    signature = signer.sign_digest(DIGEST)
    token = timestamp_token(signature)
    assert token is not None and fake.requests == 1
    assert tsa.verify_token(token, cms.signature_value(signature), [root]).valid
    assert verify_digest(
        signature, DIGEST, load_certificates(settings.signing_certificate_path)
    ).valid
