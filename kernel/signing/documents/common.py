"""What the three formats share: the validation contexts and the reading of a CMS status.

Nothing is ever fetched (``allow_fetching=False``): revocation data counts only when the
signature carries it (PDF DSS, CMS ``crls``, XAdES ``RevocationValues``), and its absence is no
failure (``soft-fail``). A signer's certificate is judged at the time a trusted time-stamp proves
the signature existed (ETSI EN 319 102-1 §5.5, best signature time), otherwise now: an expired
certificate with no such proof leaves the signature indeterminate, never valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko_certvalidator import ValidationContext

from kernel.signing.documents.checks import SignatureCheck, SignatureFormat, SignatureStatus


@dataclass(frozen=True)
class Trust:
    """The trust anchors (DER certificates) and the time of the verification."""

    anchors: tuple[bytes, ...]
    moment: datetime


def context(
    trust: Trust,
    *,
    moment: datetime | None = None,
    certs: Sequence[Any] = (),
    crls: Sequence[Any] = (),
    ocsps: Sequence[Any] = (),
) -> ValidationContext:
    return ValidationContext(
        trust_roots=[x509.Certificate.load(der) for der in trust.anchors],
        moment=moment or trust.moment,
        allow_fetching=False,
        revocation_mode="soft-fail",
        other_certs=list(certs),
        crls=list(crls),
        ocsps=list(ocsps),
    )


_EXPIRED = {AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED}
_TRUST_REASONS = {
    AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND: "untrusted_root",
    AdESIndeterminate.REVOKED_NO_POE: "certificate_revoked",
    AdESIndeterminate.REVOKED_CA_NO_POE: "certificate_revoked",
    AdESIndeterminate.NOT_YET_VALID: "certificate_not_yet_valid",
    AdESIndeterminate.EXPIRED: "certificate_expired_no_timestamp",
    AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE: "certificate_not_usable",
    AdESIndeterminate.SIG_CONSTRAINTS_FAILURE: "certificate_not_usable",
}


def expired(status: Any) -> bool:
    """Whether the signer's path failed only because a certificate was out of its validity."""
    return status.trust_problem_indic in _EXPIRED or status.trust_problem_indic in (
        AdESIndeterminate.EXPIRED,
    )


def proven_time(status: Any) -> datetime | None:
    """The time a trusted, intact signature time-stamp proves, if any."""
    stamp = status.timestamp_validity
    if stamp is not None and stamp.intact and stamp.valid and stamp.trusted:
        found: datetime = stamp.timestamp
        return found
    return None


def check_of(status: Any, fmt: SignatureFormat, *, stamped_at: datetime | None) -> SignatureCheck:
    """The ``SignatureCheck`` of a pyHanko CMS status (PDF or detached)."""
    reasons = list(_timestamp_reasons(status))
    if not (status.intact and status.valid):
        verdict, reasons = SignatureStatus.INVALID, ["signature_altered", *reasons]
    elif "timestamp_altered" in reasons:
        verdict = SignatureStatus.INVALID
    elif status.trusted:
        verdict = SignatureStatus.VALID
    else:
        reason = _trust_reason(status, stamped_at)
        verdict = (
            SignatureStatus.INVALID
            if reason == "certificate_revoked"
            else SignatureStatus.INDETERMINATE
        )
        reasons.insert(0, reason)
    return SignatureCheck(
        format=fmt,
        status=verdict,
        reasons=tuple(reasons),
        signer=signer_name(status.signing_cert),
        signing_time=status.signer_reported_dt,
        timestamp_time=proven_time(status),
    )


def _trust_reason(status: Any, stamped_at: datetime | None) -> str:
    if expired(status):
        if stamped_at is None:
            return "certificate_expired_no_timestamp"
        return "certificate_expired_before_timestamp"
    return _TRUST_REASONS.get(status.trust_problem_indic, "certificate_chain_invalid")


def _timestamp_reasons(status: Any) -> list[str]:
    stamp = status.timestamp_validity
    if stamp is None:
        return []
    if not (stamp.intact and stamp.valid):
        return ["timestamp_altered"]
    return [] if stamp.trusted else ["timestamp_untrusted"]


def signer_name(certificate: Any) -> str | None:
    if certificate is None:
        return None
    name: str = certificate.subject.human_friendly
    return name[:1000]


def malformed(fmt: SignatureFormat) -> SignatureCheck:
    return SignatureCheck(fmt, SignatureStatus.INDETERMINATE, ("malformed_signature",))
