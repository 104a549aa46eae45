"""Reports of the verification of electronic signatures (ETSI EN 319 102-1 §5: indications
TOTAL-PASSED, TOTAL-FAILED, INDETERMINATE, here ``valid``, ``invalid``, ``indeterminate``).

A version's report lists every signature found in it (PAdES, XAdES) or made over it (a detached
CAdES ``.p7s``) and sums them up: ``none`` when there is none, ``invalid`` if one is invalid,
else ``indeterminate`` if one could not be decided, else ``valid``. Each signature carries its
reasons as stable codes, shown to people through the French messages of ``REASONS``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


class SignatureStatus(enum.StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    INDETERMINATE = "indeterminate"
    NONE = "none"


class SignatureFormat(enum.StrEnum):
    PADES = "pades"  # ETSI EN 319 142: CMS inside a PDF
    CADES = "cades"  # ETSI EN 319 122: detached CMS (.p7s)
    XADES = "xades"  # ETSI EN 319 132: XML-DSig enveloped in the XML document


REASONS: Mapping[str, str] = {
    "signature_altered": "Le document ou la signature a été modifié après la signature.",
    "modified_after_signing": "Le PDF a été modifié après la signature d'une façon non autorisée.",
    "untrusted_root": "Le certificat du signataire ne remonte à aucune autorité de confiance configurée.",
    "no_trust_anchors": "Aucune autorité de confiance n'est configurée pour l'organisation.",
    "certificate_expired_no_timestamp": "Le certificat du signataire a expiré et aucun horodatage ne prouve que la signature lui est antérieure.",
    "certificate_expired_before_timestamp": "Le certificat du signataire avait déjà expiré à la date de l'horodatage.",
    "certificate_not_yet_valid": "Le certificat du signataire n'était pas encore valide.",
    "certificate_revoked": "Le certificat du signataire a été révoqué.",
    "certificate_not_usable": "Le certificat du signataire n'autorise pas la signature.",
    "certificate_chain_invalid": "La chaîne de certification du signataire n'a pas pu être validée.",
    "timestamp_altered": "L'horodatage ne correspond pas à la signature.",
    "timestamp_untrusted": "L'autorité d'horodatage n'est pas reconnue : l'horodatage est ignoré.",
    "signed_document_missing": "Le document signé par cette signature détachée est introuvable dans le dossier.",
    "malformed_signature": "La signature est illisible ou ne respecte pas son format.",
    "verification_failed": "La vérification de la signature n'a pas pu aboutir (délai ou mémoire dépassés).",
}


@dataclass(frozen=True)
class SignatureCheck:
    """One signature's verification; ``source`` is the detached signature's document, if any."""

    format: SignatureFormat
    status: SignatureStatus
    reasons: tuple[str, ...] = ()
    signer: str | None = None
    signing_time: datetime | None = None  # claimed by the signer (not a proof)
    timestamp_time: datetime | None = None  # proven by a trusted time-stamp token
    source: str | None = None

    def messages(self) -> list[str]:
        return [REASONS.get(code, code) for code in self.reasons]


@dataclass(frozen=True)
class SignatureReport:
    """A version's signatures as last verified, with the trust anchors' fingerprint then."""

    status: SignatureStatus
    signatures: tuple[SignatureCheck, ...]
    checked_at: datetime
    anchors: str

    @classmethod
    def of(
        cls, signatures: Sequence[SignatureCheck], checked_at: datetime, anchors: str
    ) -> SignatureReport:
        return cls(summarise(signatures), tuple(signatures), checked_at, anchors)

    @property
    def main(self) -> SignatureCheck | None:
        """The signature shown first: the first one found in the worst state."""
        order = (SignatureStatus.INVALID, SignatureStatus.INDETERMINATE, SignatureStatus.VALID)
        for status in order:
            for check in self.signatures:
                if check.status is status:
                    return check
        return None


def summarise(signatures: Sequence[SignatureCheck]) -> SignatureStatus:
    if not signatures:
        return SignatureStatus.NONE
    found = {check.status for check in signatures}
    for status in (SignatureStatus.INVALID, SignatureStatus.INDETERMINATE):
        if status in found:
            return status
    return SignatureStatus.VALID
