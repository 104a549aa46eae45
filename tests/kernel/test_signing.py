"""Detached CAdES signatures of SIP manifests, their verification and RFC 3161 time-stamps."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import given
from hypothesis import strategies as st

from kernel.signing import (
    DigestAlgorithm,
    InvalidSigningMaterial,
    KeyAlgorithm,
    MalformedTimestampResponse,
    ProblemCode,
    SigningIdentity,
    TimestampRefused,
    TimestampUnavailable,
    cms,
    der,
    generate_self_signed,
    load_identity_from_pem,
    load_signing_identity,
    request_timestamp,
    sign_content,
    sign_digest,
    timestamp_signature,
    tsa,
    verify_content,
    verify_digest,
    verify_token,
)
from kernel.signing.keys import private_key_pem

MANIFEST = (
    b'<?xml version="1.0"?><ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1"/>'
)
NOW = datetime.now(UTC)


# --- a small PKI built in memory --------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_certificate(
    common_name: str,
    *,
    issuer: Issued | None = None,
    ca: bool = False,
    not_before: datetime = NOW - timedelta(days=1),
    not_after: datetime = NOW + timedelta(days=365),
    serial: int | None = None,
    key: ec.EllipticCurvePrivateKey | None = None,
    extended_key_usage: x509.ObjectIdentifier | None = None,
) -> Issued:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.certificate.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if extended_key_usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([extended_key_usage]), critical=True)
    certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    return Issued(key, certificate)


def identity(leaf: Issued, *chain: Issued) -> SigningIdentity:
    return SigningIdentity(leaf.key, leaf.certificate, tuple(c.certificate for c in chain))


@pytest.fixture(scope="module")
def root() -> Issued:
    return make_certificate("Racine de test", ca=True)


@pytest.fixture(scope="module")
def signer(root: Issued) -> Issued:
    return make_certificate("Service d'archives", issuer=root)


# --- key material ----------------------------------------------------------------------------


def test_generated_default_is_a_self_signed_p256_signing_certificate() -> None:
    key_pem, certificate_pem = generate_self_signed("gedsae", "Mairie de Test", 30)

    default = load_identity_from_pem(key_pem, certificate_pem)

    certificate = default.certificate
    assert isinstance(default.private_key, ec.EllipticCurvePrivateKey)
    assert default.private_key.curve.name == "secp256r1"
    assert certificate.subject == certificate.issuer
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Mairie de Test"
    )
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc > timedelta(days=30)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign


def test_self_signed_default_verifies_when_it_is_its_own_trust_anchor() -> None:
    default = load_identity_from_pem(*generate_self_signed("gedsae", "Mairie de Test", 30))

    result = verify_content(sign_content(MANIFEST, default), MANIFEST, [default.certificate])

    assert result.valid, result.problems
    assert result.chain == (default.certificate,)


def test_rsa_3072_default_round_trips() -> None:
    default = load_identity_from_pem(
        *generate_self_signed("gedsae", "Mairie", 1, algorithm=KeyAlgorithm.RSA_3072)
    )

    result = verify_content(sign_content(MANIFEST, default), MANIFEST, [default.certificate])

    assert default.certificate.public_key().key_size == 3072  # type: ignore[union-attr]
    assert result.valid, result.problems


def test_real_key_and_chain_are_loaded_from_pem_files(tmp_path: Path, root: Issued) -> None:
    intermediate = make_certificate("AC intermédiaire", issuer=root, ca=True)
    leaf = make_certificate("Signataire", issuer=intermediate)
    (tmp_path / "key.pem").write_bytes(private_key_pem(leaf.key, b"secret"))
    (tmp_path / "cert.pem").write_bytes(leaf.certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "chain.pem").write_bytes(
        intermediate.certificate.public_bytes(serialization.Encoding.PEM)
    )

    loaded = load_signing_identity(
        tmp_path / "key.pem", tmp_path / "cert.pem", tmp_path / "chain.pem", password=b"secret"
    )
    result = verify_content(sign_content(MANIFEST, loaded), MANIFEST, [root.certificate])

    assert loaded.chain == (intermediate.certificate,)
    assert result.valid, result.problems


def test_key_that_does_not_match_the_certificate_is_refused(tmp_path: Path, signer: Issued) -> None:
    (tmp_path / "key.pem").write_bytes(private_key_pem(ec.generate_private_key(ec.SECP256R1())))
    (tmp_path / "cert.pem").write_bytes(signer.certificate.public_bytes(serialization.Encoding.PEM))

    with pytest.raises(InvalidSigningMaterial, match="ne correspond pas"):
        load_signing_identity(tmp_path / "key.pem", tmp_path / "cert.pem")


def test_unreadable_key_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "key.pem").write_bytes(b"not a key")

    with pytest.raises(InvalidSigningMaterial, match="illisible"):
        load_signing_identity(tmp_path / "key.pem", tmp_path / "missing.pem")


# --- signing and verification ----------------------------------------------------------------


def test_signature_round_trip_reports_signer_and_signing_time(root: Issued, signer: Issued) -> None:
    at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)

    signature = sign_content(MANIFEST, identity(signer), signing_time=at)
    result = verify_content(signature, MANIFEST, [root.certificate])

    assert result.valid, result.problems
    assert result.signer == signer.certificate
    assert result.signing_time == at
    assert result.chain == (signer.certificate, root.certificate)


def test_signature_carries_the_cades_bes_signed_attributes(signer: Issued) -> None:
    signature = sign_content(MANIFEST, identity(signer))

    signer_info = cms.parse_signed_data(signature).signer_infos[0]

    assert set(signer_info.attributes) == {
        cms.ATTR_CONTENT_TYPE,
        cms.ATTR_MESSAGE_DIGEST,
        cms.ATTR_SIGNING_TIME,
        cms.ATTR_SIGNING_CERTIFICATE_V2,
    }
    assert cms.parse_signed_data(signature).content is None


def test_tampered_content_is_a_content_mismatch(root: Issued, signer: Issued) -> None:
    signature = sign_content(MANIFEST, identity(signer))

    result = verify_content(signature, MANIFEST.replace(b"2.1", b"2.2"), [root.certificate])

    assert result.codes == {ProblemCode.CONTENT_MISMATCH}


def test_tampered_signature_value_is_invalid(root: Issued, signer: Issued) -> None:
    signature = sign_content(MANIFEST, identity(signer))
    value = cms.signature_value(signature)
    flipped = bytes([value[-1] ^ 0x01])
    tampered = signature.replace(value, value[:-1] + flipped)

    result = verify_content(tampered, MANIFEST, [root.certificate])

    assert result.codes == {ProblemCode.SIGNATURE_INVALID}


def test_signature_by_another_key_for_the_embedded_certificate_is_invalid(
    root: Issued, signer: Issued
) -> None:
    impostor = SigningIdentity(ec.generate_private_key(ec.SECP256R1()), signer.certificate)

    result = verify_content(sign_content(MANIFEST, impostor), MANIFEST, [root.certificate])

    assert result.codes == {ProblemCode.SIGNATURE_INVALID}


def test_certificate_from_another_ca_is_untrusted(root: Issued) -> None:
    other_root = make_certificate("Autre racine", ca=True)
    stranger = make_certificate("Inconnu", issuer=other_root)

    result = verify_content(
        sign_content(MANIFEST, identity(stranger)), MANIFEST, [root.certificate]
    )

    assert result.codes == {ProblemCode.UNTRUSTED_CHAIN}


def test_certificate_whose_issuer_is_not_a_ca_is_untrusted(root: Issued, signer: Issued) -> None:
    # The signer is a trusted end-entity; a certificate it issued must not chain through it.
    child = make_certificate("Sous-signataire", issuer=signer)

    result = verify_content(
        sign_content(MANIFEST, identity(child, signer)), MANIFEST, [root.certificate]
    )

    assert result.codes == {ProblemCode.UNTRUSTED_CHAIN}


def test_expired_certificate_is_reported(root: Issued) -> None:
    expired = make_certificate(
        "Ancien",
        issuer=root,
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
    )

    result = verify_content(sign_content(MANIFEST, identity(expired)), MANIFEST, [root.certificate])

    assert result.codes == {ProblemCode.CERTIFICATE_EXPIRED}


def test_expired_certificate_is_valid_at_a_proven_earlier_time(root: Issued) -> None:
    expired = make_certificate(
        "Ancien",
        issuer=root,
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
    )
    signature = sign_content(MANIFEST, identity(expired))

    result = verify_content(signature, MANIFEST, [root.certificate], at=NOW - timedelta(days=2))

    assert result.valid, result.problems


def test_certificate_not_yet_valid_is_reported(root: Issued) -> None:
    future = make_certificate(
        "Futur", issuer=root, not_before=NOW + timedelta(days=1), not_after=NOW + timedelta(days=9)
    )

    result = verify_content(sign_content(MANIFEST, identity(future)), MANIFEST, [root.certificate])

    assert result.codes == {ProblemCode.CERTIFICATE_NOT_YET_VALID}


def test_every_problem_is_listed_at_once(root: Issued) -> None:
    other_root = make_certificate("Autre racine", ca=True)
    expired = make_certificate(
        "Ancien",
        issuer=other_root,
        not_before=NOW - timedelta(days=9),
        not_after=NOW - timedelta(days=1),
    )

    result = verify_content(sign_content(MANIFEST, identity(expired)), b"autre", [root.certificate])

    assert result.codes == {
        ProblemCode.CONTENT_MISMATCH,
        ProblemCode.UNTRUSTED_CHAIN,
        ProblemCode.CERTIFICATE_EXPIRED,
    }


def test_chain_with_an_intermediate_embedded_in_the_signature(root: Issued) -> None:
    intermediate = make_certificate("AC intermédiaire", issuer=root, ca=True)
    leaf = make_certificate("Signataire", issuer=intermediate)

    signature = sign_content(MANIFEST, identity(leaf, intermediate))
    result = verify_content(signature, MANIFEST, [root.certificate])

    assert result.valid, result.problems
    assert result.chain == (leaf.certificate, intermediate.certificate, root.certificate)


def test_intermediate_can_come_from_configuration_instead(root: Issued) -> None:
    intermediate = make_certificate("AC intermédiaire", issuer=root, ca=True)
    leaf = make_certificate("Signataire", issuer=intermediate)
    signature = sign_content(MANIFEST, identity(leaf))

    without = verify_content(signature, MANIFEST, [root.certificate])
    with_configured = verify_content(
        signature, MANIFEST, [root.certificate], intermediates=[intermediate.certificate]
    )

    assert without.codes == {ProblemCode.UNTRUSTED_CHAIN}
    assert with_configured.valid, with_configured.problems


def test_expired_intermediate_is_reported(root: Issued) -> None:
    intermediate = make_certificate(
        "AC périmée",
        issuer=root,
        ca=True,
        not_before=NOW - timedelta(days=9),
        not_after=NOW - timedelta(hours=1),
    )
    leaf = make_certificate("Signataire", issuer=intermediate)

    result = verify_content(
        sign_content(MANIFEST, identity(leaf, intermediate)), MANIFEST, [root.certificate]
    )

    assert result.codes == {ProblemCode.CERTIFICATE_EXPIRED}


def test_package_digest_signature(root: Issued, signer: Issued) -> None:
    package_digest = cms.digest(b"PK\x03\x04 the whole zip", DigestAlgorithm.SHA512)

    signature = sign_digest(package_digest, identity(signer), algorithm=DigestAlgorithm.SHA512)

    good = verify_digest(
        signature, package_digest, [root.certificate], algorithm=DigestAlgorithm.SHA512
    )
    bad = verify_digest(signature, bytes(64), [root.certificate], algorithm=DigestAlgorithm.SHA512)
    other_algorithm = verify_digest(signature, package_digest[:32], [root.certificate])
    assert good.valid, good.problems
    assert bad.codes == {ProblemCode.CONTENT_MISMATCH}
    assert other_algorithm.codes == {ProblemCode.UNSUPPORTED_ALGORITHM}


def test_digest_of_the_wrong_length_is_refused(signer: Issued) -> None:
    with pytest.raises(ValueError, match="sha256"):
        sign_digest(b"short", identity(signer))


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x30\x80\x00\x00", b"not DER at all", b"\x30\x03\x06\x01\x2a", b"\x30\x00"],
)
def test_unreadable_signature_is_malformed(garbage: bytes, root: Issued) -> None:
    result = verify_content(garbage, MANIFEST, [root.certificate])

    assert result.codes == {ProblemCode.MALFORMED_SIGNATURE}


def test_truncated_signature_is_malformed(root: Issued, signer: Issued) -> None:
    signature = sign_content(MANIFEST, identity(signer))

    result = verify_content(signature[:-10], MANIFEST, [root.certificate])

    assert result.codes == {ProblemCode.MALFORMED_SIGNATURE}


def test_substituted_certificate_with_the_same_key_is_detected(root: Issued) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    genuine = make_certificate("Signataire", issuer=root, key=key, serial=1000)
    substitute = make_certificate("Signataire", issuer=root, key=key, serial=1001)
    attributes = [
        cms.attribute(cms.ATTR_CONTENT_TYPE, der.oid(cms.ID_DATA)),
        cms.attribute(cms.ATTR_MESSAGE_DIGEST, der.octet_string(cms.digest(MANIFEST))),
        cms.attribute(
            cms.ATTR_SIGNING_CERTIFICATE_V2, cms.signing_certificate_v2(genuine.certificate)
        ),
    ]
    signature = key.sign(der.set_of(*attributes), ec.ECDSA(hashes.SHA256()))
    signer_info = der.sequence(
        der.integer(1),
        cms.issuer_and_serial(substitute.certificate),
        der.sequence(der.oid(DigestAlgorithm.SHA256.oid)),
        der.set_of(*attributes, tag=0xA0),
        der.sequence(der.oid(cms.ECDSA_WITH[DigestAlgorithm.SHA256])),
        der.octet_string(signature),
    )
    signed_data = der.sequence(
        der.integer(1),
        der.set_of(der.sequence(der.oid(DigestAlgorithm.SHA256.oid))),
        der.sequence(der.oid(cms.ID_DATA)),
        der.set_of(substitute.certificate.public_bytes(serialization.Encoding.DER), tag=0xA0),
        der.set_of(signer_info),
    )
    forged = der.sequence(der.oid(cms.ID_SIGNED_DATA), der.explicit(0, signed_data))

    result = verify_content(forged, MANIFEST, [root.certificate])

    assert result.codes == {ProblemCode.SIGNING_CERTIFICATE_MISMATCH}


def test_signature_made_by_cryptography_pkcs7_builder_is_verified(
    root: Issued, signer: Issued
) -> None:
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    signature = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(MANIFEST)
        .add_signer(signer.certificate, signer.key, hashes.SHA256())
        .sign(serialization.Encoding.DER, options)
    )

    assert verify_content(signature, MANIFEST, [root.certificate]).valid
    assert verify_content(signature, b"x", [root.certificate]).codes == {
        ProblemCode.CONTENT_MISMATCH
    }


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl absent")
def test_openssl_verifies_our_signature(tmp_path: Path, root: Issued) -> None:
    intermediate = make_certificate("AC intermédiaire", issuer=root, ca=True)
    leaf = make_certificate("Signataire", issuer=intermediate)
    (tmp_path / "manifest.xml").write_bytes(MANIFEST)
    (tmp_path / "manifest.p7s").write_bytes(sign_content(MANIFEST, identity(leaf, intermediate)))
    (tmp_path / "root.pem").write_bytes(root.certificate.public_bytes(serialization.Encoding.PEM))

    command = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-purpose", "any"]
    files = [
        "-in",
        "manifest.p7s",
        "-content",
        "manifest.xml",
        "-CAfile",
        "root.pem",
        "-out",
        "/dev/null",
    ]
    completed = subprocess.run(command + files, cwd=tmp_path, capture_output=True, check=False)

    assert completed.returncode == 0, completed.stderr.decode()


# --- DER codec -------------------------------------------------------------------------------


@given(st.integers(min_value=-(2**200), max_value=2**200))
def test_der_integers_round_trip(number: int) -> None:
    assert der.read_integer(der.decode(der.integer(number))) == number


@given(st.lists(st.integers(min_value=0, max_value=2**40), min_size=1, max_size=8))
def test_der_oids_round_trip(tail: list[int]) -> None:
    dotted = ".".join(str(arc) for arc in [1, 2, *tail])

    assert der.read_oid(der.decode(der.oid(dotted))) == dotted


@pytest.mark.parametrize(
    "encoding",
    [b"\x04\x80abc\x00\x00", b"\x04\x81\x03abc", b"\x04\x03abcd", b"\x04\x05abc", b"\x1f\x01\x00"],
    ids=["indefinite", "non-minimal", "trailing", "truncated", "high-tag"],
)
def test_der_refuses_ber_leniencies(encoding: bytes) -> None:
    with pytest.raises(der.MalformedDer):
        der.decode(encoding)


def test_utc_time_uses_the_rfc_5280_century_rule() -> None:
    assert der.read_time(der.Tlv(der.TAG_UTC_TIME, b"500101000000Z", b"")).year == 1950
    assert der.read_time(der.Tlv(der.TAG_UTC_TIME, b"491231235959Z", b"")).year == 2049


# --- RFC 3161 --------------------------------------------------------------------------------

TSA_URL = "https://tsa.example.test/tsr"
# The TSA stamps on the same clock as the certificates it is checked against (never a fixed date).
GEN_TIME = NOW.replace(microsecond=0)


@dataclass
class FakeTsa:
    """Plays an RFC 3161 TSA: answers each request with a token signed by its own certificate."""

    identity: SigningIdentity
    status: int = 0
    status_text: str = ""
    nonce_offset: int = 0
    requests: list[bytes] | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.requests is not None:
            self.requests.append(request.content)
        assert request.headers["Content-Type"] == tsa.QUERY_MEDIA_TYPE
        fields = der.decode(request.content).children()
        status = der.sequence(der.integer(self.status), self._text())
        if self.status not in (0, 1):
            body = der.sequence(status)
        else:
            body = der.sequence(status, self._token(fields[1].raw, der.read_integer(fields[2])))
        return httpx.Response(200, content=body, headers={"Content-Type": tsa.REPLY_MEDIA_TYPE})

    def _text(self) -> bytes:
        if not self.status_text:
            return b""
        return der.sequence(der.encode(der.TAG_UTF8_STRING, self.status_text.encode()))

    def _token(self, message_imprint: bytes, nonce: int) -> bytes:
        tst_info = der.sequence(
            der.integer(1),
            der.oid("1.2.3.4.1"),
            message_imprint,
            der.integer(42),
            der.generalized_time(GEN_TIME),
            der.integer(nonce + self.nonce_offset),
        )
        return cms.sign_encapsulated(
            tst_info, cms.ID_CT_TST_INFO, self.identity, signing_time=GEN_TIME
        )


@pytest.fixture(scope="module")
def tsa_issued(root: Issued) -> Issued:
    return make_certificate(
        "Horodatage",
        issuer=root,
        not_before=GEN_TIME - timedelta(days=1),
        not_after=GEN_TIME + timedelta(days=1),
        extended_key_usage=ExtendedKeyUsageOID.TIME_STAMPING,
    )


def _client(fake: FakeTsa) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(fake.handle))


def test_timestamp_request_encoding_and_token(tsa_issued: Issued) -> None:
    fake = FakeTsa(identity(tsa_issued), requests=[])

    with _client(fake) as client:
        token = request_timestamp(client, TSA_URL, b"signature value")

    assert fake.requests is not None
    request = der.decode(fake.requests[0]).children()
    assert der.read_integer(request[0]) == 1
    assert request[1].children()[1].value == cms.digest(b"signature value")
    assert request[-1].raw == der.boolean(True)
    assert token.gen_time == GEN_TIME
    assert token.serial_number == 42
    assert token.imprint == cms.digest(b"signature value")


def test_timestamp_token_verifies_against_the_tsa_anchor(root: Issued, tsa_issued: Issued) -> None:
    with _client(FakeTsa(identity(tsa_issued))) as client:
        token = request_timestamp(client, TSA_URL, b"data")

    good = verify_token(token.token, b"data", [root.certificate])
    other_data = verify_token(token.token, b"other", [root.certificate])
    other_anchor = verify_token(token.token, b"data", [make_certificate("X", ca=True).certificate])

    assert good.valid, good.problems
    assert good.signing_time == GEN_TIME
    assert other_data.codes == {ProblemCode.CONTENT_MISMATCH}
    assert other_anchor.codes == {ProblemCode.UNTRUSTED_CHAIN}


def test_token_from_a_certificate_without_timestamping_usage_is_untrusted(
    root: Issued, signer: Issued
) -> None:
    with _client(FakeTsa(identity(signer))) as client:
        token = request_timestamp(client, TSA_URL, b"data")

    result = verify_token(token.token, b"data", [root.certificate])

    assert result.codes == {ProblemCode.UNTRUSTED_CHAIN}


def test_cades_t_embeds_the_token_over_the_signature_value(
    root: Issued, signer: Issued, tsa_issued: Issued
) -> None:
    signature = sign_content(MANIFEST, identity(signer))

    with _client(FakeTsa(identity(tsa_issued))) as client:
        stamped = timestamp_signature(client, TSA_URL, signature)

    signer_info = cms.parse_signed_data(stamped).signer_infos[0]
    (unsigned,) = signer_info.unsigned_attributes
    attribute_type, values = der.decode(unsigned).children()
    token = values.children()[0].raw
    assert der.read_oid(attribute_type) == cms.ATTR_SIGNATURE_TIME_STAMP
    assert verify_content(stamped, MANIFEST, [root.certificate]).valid
    assert verify_token(token, cms.signature_value(signature), [root.certificate]).valid


def test_refused_timestamp_raises_with_the_tsa_text(tsa_issued: Issued) -> None:
    fake = FakeTsa(identity(tsa_issued), status=2, status_text="politique inconnue")

    with (
        _client(fake) as client,
        pytest.raises(TimestampRefused, match="politique inconnue") as info,
    ):
        request_timestamp(client, TSA_URL, b"data")

    assert info.value.status == 2


def test_token_with_another_nonce_is_refused(tsa_issued: Issued) -> None:
    fake = FakeTsa(identity(tsa_issued), nonce_offset=1)

    with _client(fake) as client, pytest.raises(MalformedTimestampResponse, match="requête"):
        request_timestamp(client, TSA_URL, b"data")


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(503), TimestampUnavailable),
        (httpx.Response(200, content=b"<html>proxy</html>"), MalformedTimestampResponse),
        (
            httpx.Response(200, content=der.sequence(der.sequence(der.integer(0)))),
            MalformedTimestampResponse,
        ),
    ],
    ids=["http-error", "not-der", "granted-without-token"],
)
def test_bad_tsa_answers_raise(response: httpx.Response, error: type[Exception]) -> None:
    transport = httpx.MockTransport(lambda request: response)

    with httpx.Client(transport=transport) as client, pytest.raises(error):
        request_timestamp(client, TSA_URL, b"data")


def test_unreachable_tsa_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connexion refusée", request=request)

    transport = httpx.MockTransport(refuse)

    with (
        httpx.Client(transport=transport) as client,
        pytest.raises(TimestampUnavailable, match="injoignable"),
    ):
        request_timestamp(client, TSA_URL, b"data")
