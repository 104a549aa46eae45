"""Signatures verified offline against the organisation's trust anchors, at an injected time:
PAdES, detached CAdES and XAdES, each valid, tampered, by an expired certificate with and
without a time-stamp, under an unknown root, and time-stamped. The samples are made here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ged.adapters.signatures.verify import verify_file
from ged.domain.signatures import SignatureCheck, SignatureStatus
from tests.fixtures import signatures as samples

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def pki() -> samples.Pki:
    return samples.make_pki(NOW)


def _verify(tmp_path: Path, pki: samples.Pki, kind: str, data: bytes, content: bytes | None = None, anchors: bytes | None = None) -> list[SignatureCheck]:  # fmt: skip
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    path = tmp_path / "signed"
    path.write_bytes(data)
    content_path = None
    if content is not None:
        content_path = tmp_path / "content"
        content_path.write_bytes(content)
    roots = [x509.load_pem_x509_certificate(anchors or pki.root.pem).public_bytes(Encoding.DER)]
    return verify_file(kind, str(path), roots, NOW, str(content_path) if content_path else None)


def _one(checks: list[SignatureCheck]) -> SignatureCheck:
    assert len(checks) == 1, checks
    return checks[0]


# -- PAdES -----------------------------------------------------------------------------------


def test_a_valid_pdf_signature(tmp_path: Path, pki: samples.Pki) -> None:
    check = _one(_verify(tmp_path, pki, "pdf", samples.signed_pdf(pki, pki.agent)))

    assert (check.format, check.status, check.reasons) == ("pades", SignatureStatus.VALID, ())
    assert check.signer is not None and "Agent signataire" in check.signer
    assert check.timestamp_time is None


def test_a_pdf_changed_after_signing_is_invalid(tmp_path: Path, pki: samples.Pki) -> None:
    signed = samples.signed_pdf(pki, pki.agent)

    check = _one(_verify(tmp_path, pki, "pdf", samples.tampered_pdf(signed)))

    assert check.status is SignatureStatus.INVALID
    assert "signature_altered" in check.reasons


def test_a_pdf_signed_under_an_unknown_root_is_indeterminate(
    tmp_path: Path, pki: samples.Pki
) -> None:
    check = _one(_verify(tmp_path, pki, "pdf", samples.signed_pdf(pki, pki.stranger)))

    assert (check.status, check.reasons) == (SignatureStatus.INDETERMINATE, ("untrusted_root",))


def test_a_timestamped_pdf_signature_shows_the_proven_time(
    tmp_path: Path, pki: samples.Pki
) -> None:
    stamped = NOW - timedelta(hours=2)

    check = _one(
        _verify(tmp_path, pki, "pdf", samples.signed_pdf(pki, pki.agent, stamped_at=stamped))
    )

    assert (check.status, check.timestamp_time) == (SignatureStatus.VALID, stamped)


def test_an_expired_certificate_is_valid_when_a_timestamp_proves_the_signature_older(
    tmp_path: Path, pki: samples.Pki
) -> None:
    stamped = NOW - timedelta(days=500)  # within the expired certificate's validity

    check = _one(
        _verify(
            tmp_path, pki, "pdf", samples.signed_pdf(pki, pki.expired_agent, stamped_at=stamped)
        )
    )

    assert (check.status, check.timestamp_time) == (SignatureStatus.VALID, stamped)


def test_an_expired_certificate_without_timestamp_is_indeterminate(
    tmp_path: Path, pki: samples.Pki
) -> None:
    check = _one(_verify(tmp_path, pki, "pdf", samples.signed_pdf(pki, pki.expired_agent)))

    assert check.status is SignatureStatus.INDETERMINATE
    assert check.reasons == ("certificate_expired_no_timestamp",)


def test_an_unsigned_pdf_has_no_signature(tmp_path: Path, pki: samples.Pki) -> None:
    from tests.fixtures.hostile_pdfs import text_pdf

    assert _verify(tmp_path, pki, "pdf", text_pdf(["pas de signature"])) == []


# -- detached CAdES --------------------------------------------------------------------------

CONTENT = b"%PDF-1.7 contenu du document signe"


def test_a_valid_detached_signature(tmp_path: Path, pki: samples.Pki) -> None:
    p7s = samples.detached_signature(pki, pki.agent, CONTENT)

    check = _one(_verify(tmp_path, pki, "p7s", p7s, CONTENT))

    assert (check.format, check.status) == ("cades", SignatureStatus.VALID)


def test_a_detached_signature_over_other_bytes_is_invalid(tmp_path: Path, pki: samples.Pki) -> None:
    p7s = samples.detached_signature(pki, pki.agent, CONTENT)

    check = _one(_verify(tmp_path, pki, "p7s", p7s, CONTENT + b" modifie"))

    assert (check.status, check.reasons[0]) == (SignatureStatus.INVALID, "signature_altered")


@pytest.mark.parametrize(
    ("signer", "stamped_days_ago", "status", "reasons"),
    [
        ("stranger", None, SignatureStatus.INDETERMINATE, ("untrusted_root",)),
        (
            "expired_agent",
            None,
            SignatureStatus.INDETERMINATE,
            ("certificate_expired_no_timestamp",),
        ),
        ("expired_agent", 500, SignatureStatus.VALID, ()),
        ("agent", 1, SignatureStatus.VALID, ()),
    ],
    ids=["untrusted-root", "expired-no-timestamp", "expired-timestamped", "timestamped"],
)
def test_detached_signatures_by_certificate_and_timestamp(
    tmp_path: Path, pki: samples.Pki, signer: str, stamped_days_ago: int | None,
    status: SignatureStatus, reasons: tuple[str, ...],
) -> None:  # fmt: skip
    stamped = NOW - timedelta(days=stamped_days_ago) if stamped_days_ago else None
    p7s = samples.detached_signature(pki, getattr(pki, signer), CONTENT, stamped_at=stamped)

    check = _one(_verify(tmp_path, pki, "p7s", p7s, CONTENT))

    assert (check.status, check.reasons, check.timestamp_time) == (status, reasons, stamped)


def test_an_unreadable_p7s_is_a_malformed_signature(tmp_path: Path, pki: samples.Pki) -> None:
    check = _one(_verify(tmp_path, pki, "p7s", b"pas du CMS", CONTENT))

    assert (check.status, check.reasons) == (
        SignatureStatus.INDETERMINATE,
        ("malformed_signature",),
    )


# -- XAdES -----------------------------------------------------------------------------------


def test_a_valid_xades_signature(tmp_path: Path, pki: samples.Pki) -> None:
    check = _one(_verify(tmp_path, pki, "xml", samples.signed_xml(pki, pki.agent)))

    assert (check.format, check.status, check.reasons) == ("xades", SignatureStatus.VALID, ())
    assert check.signing_time is not None


def test_a_changed_xml_document_is_invalid(tmp_path: Path, pki: samples.Pki) -> None:
    signed = samples.signed_xml(pki, pki.agent)

    check = _one(_verify(tmp_path, pki, "xml", samples.tampered_xml(signed)))

    assert (check.status, check.reasons) == (SignatureStatus.INVALID, ("signature_altered",))


@pytest.mark.parametrize(
    ("signer", "stamped_days_ago", "status", "reasons"),
    [
        ("stranger", None, SignatureStatus.INDETERMINATE, ("untrusted_root",)),
        (
            "expired_agent",
            None,
            SignatureStatus.INDETERMINATE,
            ("certificate_expired_no_timestamp",),
        ),
        ("expired_agent", 500, SignatureStatus.VALID, ()),
        ("agent", 1, SignatureStatus.VALID, ()),
    ],
    ids=["untrusted-root", "expired-no-timestamp", "expired-timestamped", "timestamped"],
)
def test_xades_signatures_by_certificate_and_timestamp(
    tmp_path: Path, pki: samples.Pki, signer: str, stamped_days_ago: int | None,
    status: SignatureStatus, reasons: tuple[str, ...],
) -> None:  # fmt: skip
    stamped = NOW - timedelta(days=stamped_days_ago) if stamped_days_ago else None
    signed = samples.signed_xml(pki, getattr(pki, signer), stamped_at=stamped)

    check = _one(_verify(tmp_path, pki, "xml", signed))

    assert (check.status, check.reasons, check.timestamp_time) == (status, reasons, stamped)


def test_an_xml_document_without_signature_has_none(tmp_path: Path, pki: samples.Pki) -> None:
    assert _verify(tmp_path, pki, "xml", samples.PES.encode()) == []


# -- in the sandbox --------------------------------------------------------------------------


def test_signatures_are_verified_in_a_sandbox_worker(tmp_path: Path, pki: samples.Pki) -> None:
    from ged.adapters.extraction import ExtractionPool
    from ged.adapters.signatures.sandboxed import SandboxedVerifier
    from ged.services.ports import TrustAnchors

    path = tmp_path / "signed.pdf"
    path.write_bytes(samples.signed_pdf(pki, pki.agent))
    anchors = TrustAnchors((pki.root.certificate.public_bytes(samples.DER),), "empreinte")
    with ExtractionPool(1, timeout_s=60) as pool:
        checks = SandboxedVerifier(pool)("pdf", path, anchors, NOW)

    assert [check.status for check in checks] == [SignatureStatus.VALID]


def test_a_verification_that_does_not_end_is_indeterminate(tmp_path: Path) -> None:
    from ged.adapters.extraction import ExtractionPool
    from ged.adapters.signatures import sandboxed
    from ged.services.ports import TrustAnchors

    path = tmp_path / "slow"
    path.write_bytes(b"x")
    with ExtractionPool(1, timeout_s=1) as pool:
        verifier = sandboxed.SandboxedVerifier(pool)
        sandboxed_call = pool.call
        pool.call = lambda function, *args, **kw: sandboxed_call(  # type: ignore[method-assign]
            "tests.fixtures.hostile_pdfs:sleeping_extractor", str(path), 10
        )
        checks = verifier("pdf", path, TrustAnchors(), NOW)

    assert [(c.status, c.reasons) for c in checks] == [
        (SignatureStatus.INDETERMINATE, ("verification_failed",))
    ]


def test_without_any_anchor_the_reason_says_so(tmp_path: Path, pki: samples.Pki) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(samples.signed_pdf(pki, pki.agent))

    check = _one(verify_file("pdf", str(path), [], NOW))

    assert (check.status, check.reasons) == (SignatureStatus.INDETERMINATE, ("no_trust_anchors",))
