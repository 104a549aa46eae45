"""The repository's comparison of the signatures a SIP declares with those it finds itself,
with a scripted verifier (the real one runs in ``tests/integration``), and the report file's
format read back."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kernel.signing.documents.checks import SignatureCheck, SignatureFormat, SignatureStatus
from kernel.signing.report_file import (
    REPORT_SUFFIX,
    DeclaredReport,
    DeclaredSignature,
    SignedDocument,
    dump_report,
    load_report,
)
from sae.ingest.manifest import ManifestFacts
from sae.ingest.signed_documents import UNCHECKED, recheck_signatures
from sae.model import CheckIssue, SignatureVerdict
from seda.package import open_package

AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
PDF = "content/BDO_1.pdf"
REPORT = "content/BDO_1_SR.json"
P7S = "content/BDO_2.p7s"


def declared(
    status: str = "valid", *, detached: str | None = None, detached_object: str | None = None
) -> DeclaredReport:
    fmt = "cades" if detached else "pades"
    signature = DeclaredSignature(
        fmt, status, signer="Agent", detached_signature_unit=detached,
        detached_signature_object=detached_object,
    )  # fmt: skip
    return DeclaredReport(
        SignedDocument("AU_1", "BDO_1", "arrete.pdf", "ab" * 64), status, AT.isoformat(), "fp",
        (signature,),
    )  # fmt: skip


class Verifier:
    """Answers the same checks for every file, and notes what it was asked."""

    def __init__(self, *checks: SignatureCheck) -> None:
        self.checks = list(checks)
        self.asked: list[tuple[str, bytes]] = []

    def __call__(
        self,
        kind: str,
        path: Path,
        anchors: Sequence[bytes],
        moment: datetime,
        content: Path | None = None,
    ) -> list[SignatureCheck]:
        self.asked.append((kind, path.read_bytes()))
        if content is not None:
            self.asked.append(("over", content.read_bytes()))
        return self.checks


def recheck(
    tmp_path: Path, report: bytes, verify: Verifier | None
) -> tuple[list[CheckIssue], list[SignatureVerdict]]:
    sip = tmp_path / "sip.zip"
    with zipfile.ZipFile(sip, "w") as archive:
        archive.writestr(PDF, b"%PDF signed")
        archive.writestr(REPORT, report)
        archive.writestr(P7S, b"CMS")
    facts = ManifestFacts(
        objects={
            "BDO_1": (PDF, "arrete.pdf"),
            "BDO_1_SR": (REPORT, "arrete.pdf" + REPORT_SUFFIX),
            "BDO_2": (P7S, "arrete.pdf.p7s"),
        }
    )
    with open_package(sip) as package:
        return recheck_signatures(package, facts, [], verify, AT)


def test_a_signature_found_as_declared_agrees_without_warning(tmp_path: Path) -> None:
    verify = Verifier(SignatureCheck(SignatureFormat.PADES, SignatureStatus.VALID, signer="Agent"))

    issues, (verdict,) = recheck(tmp_path, dump_report(declared()), verify)

    assert issues == [] and verdict.agrees and verdict.signer == "Agent"
    assert verify.asked == [("pdf", b"%PDF signed")]


def test_a_declared_valid_signature_found_invalid_is_a_warning_saying_the_object_changed(
    tmp_path: Path,
) -> None:
    altered = SignatureCheck(SignatureFormat.PADES, SignatureStatus.INVALID, ("signature_altered",))

    (issue,), (verdict,) = recheck(tmp_path, dump_report(declared()), Verifier(altered))

    assert (verdict.declared, verdict.found, verdict.reasons) == (
        "valid",
        "invalid",
        ("signature_altered",),
    )
    assert (issue.code, issue.severity, issue.blocking) == (
        "signature_discrepancy",
        "warning",
        False,
    )
    assert "modifié après la signature" in issue.message and "archiviste" in issue.message


def test_detached_signatures_and_a_repository_without_verifier_are_unchecked_not_warned(
    tmp_path: Path,
) -> None:
    verify = Verifier()
    issues, (detached,) = recheck(tmp_path, dump_report(declared(detached="AU_2")), verify)
    more, (unverified,) = recheck(tmp_path, dump_report(declared()), None)

    assert (detached.found, unverified.found) == (UNCHECKED, UNCHECKED)
    assert issues == more == [] and verify.asked == []


def test_a_detached_signature_the_package_holds_is_verified_over_the_signed_object(
    tmp_path: Path,
) -> None:
    verify = Verifier(SignatureCheck(SignatureFormat.CADES, SignatureStatus.VALID))
    report = declared(detached="AU_2", detached_object="BDO_2")

    issues, (verdict,) = recheck(tmp_path, dump_report(report), verify)

    assert issues == [] and (verdict.declared, verdict.found) == ("valid", "valid")
    assert verify.asked == [("p7s", b"CMS"), ("over", b"%PDF signed")]


def test_an_unreadable_report_is_a_warning(tmp_path: Path) -> None:
    (issue,), verdicts = recheck(tmp_path, b'{"format": "autre"}', Verifier())

    assert (issue.code, issue.severity, verdicts) == ("signature_report_unreadable", "warning", [])


def test_a_report_file_reads_back_to_the_same_values() -> None:
    report = declared("indeterminate", detached="AU_3")

    assert load_report(dump_report(report)) == report


@pytest.mark.parametrize(
    "data", [b"[]", b'{"format": "gedsae/signature-report/1"}', b"\xff", b'{"format": 1}']
)
def test_a_file_that_is_not_a_report_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        load_report(data)
