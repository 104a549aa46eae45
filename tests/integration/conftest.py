"""Fixtures shared by the integration tests of transfers and exchanges."""

from __future__ import annotations

import pytest

from ged.services.transfer_setup import PackageSigner
from kernel.signing import generate_self_signed, load_identity_from_pem, sign_digest


@pytest.fixture(scope="module")
def signer() -> PackageSigner:
    """The instance's signing key, self-signed for the tests."""
    key_pem, certificate_pem = generate_self_signed("gedsae test", "Département de test", 30)
    identity = load_identity_from_pem(key_pem, certificate_pem)
    subject = identity.certificate.subject.rfc4514_string()
    return PackageSigner(subject, lambda digest: sign_digest(digest, identity))
