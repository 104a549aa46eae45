"""A version's signature report sums up its signatures (ETSI EN 319 102-1 indications)."""

from __future__ import annotations

from datetime import UTC, datetime

from ged.domain.signatures import (
    REASONS,
    SignatureCheck,
    SignatureFormat,
    SignatureReport,
    SignatureStatus,
)

AT = datetime(2026, 1, 15, tzinfo=UTC)


def check(status: SignatureStatus, *reasons: str) -> SignatureCheck:
    return SignatureCheck(SignatureFormat.PADES, status, reasons)


def test_a_version_without_signature_reports_none() -> None:
    assert SignatureReport.of([], AT, "x").status is SignatureStatus.NONE


def test_one_invalid_signature_makes_the_version_invalid() -> None:
    report = SignatureReport.of(
        [check(SignatureStatus.VALID), check(SignatureStatus.INVALID, "signature_altered")], AT, "x"
    )

    assert report.status is SignatureStatus.INVALID
    assert report.main == check(SignatureStatus.INVALID, "signature_altered")


def test_an_undecided_signature_makes_valid_ones_indeterminate() -> None:
    signatures = [
        check(SignatureStatus.VALID),
        check(SignatureStatus.INDETERMINATE, "untrusted_root"),
    ]

    assert SignatureReport.of(signatures, AT, "x").status is SignatureStatus.INDETERMINATE


def test_every_reason_has_a_french_message() -> None:
    assert check(SignatureStatus.INVALID, "signature_altered").messages() == [
        REASONS["signature_altered"]
    ]
    assert all(message.endswith(".") for message in REASONS.values())
