"""The signatures of the transferred documents, verified again by the repository at ingest.

The sender declares, for each signed document, its validation report as a JSON file of the SIP
(``kernel.signing.report_file``: a BinaryDataObject whose Filename ends with ``REPORT_SUFFIX``,
naming the signed object). For each one the repository verifies the signed object itself
(``kernel.signing.documents``, in a sandbox worker), offline, against the roots the tenant
trusts for them (``gedsae-sae signature-anchors``, apart from the GEDs' certificates that sign
manifests), at the time of the check, and compares its verdict (ETSI EN 319 102-1 §5 indications)
with the declared status. The verdicts are recorded on the transfer and in the
``transfer.checked`` log entry; the archivist sees them at review (« Vérification de
signature »).

A discrepancy does not refuse the transfer by itself: it is a warning, and the archivist
decides, as in Vitam and As@lae, where the ingest reports on the signatures and the archivist
judges the evidential value of what is kept. A declared ``valid`` that the repository finds
``invalid`` (an object changed after it was signed) is said so in plain words, never accepted
silently. A detached CAdES signature (``.p7s``) is verified over the object when the package
holds it; signatures the repository cannot verify (a format it does not read, a ``.p7s`` left
out, no verifier configured) are reported ``unchecked``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from kernel.signing.documents.checks import SignatureCheck, summarise
from kernel.signing.documents.sandboxed import DocumentVerifier
from kernel.signing.report_file import (
    MAX_REPORT_BYTES,
    REPORT_SUFFIX,
    DeclaredReport,
    DeclaredSignature,
    load_report,
)
from sae.ingest.manifest import ManifestFacts
from sae.model import CheckIssue, SignatureVerdict
from sae.presentation import SIGNATURE_STATUSES as LABELS
from seda.package import Package

UNCHECKED: Final = "unchecked"
_KINDS: Final = {".pdf": "pdf", ".xml": "xml"}


def recheck_signatures(
    package: Package,
    facts: ManifestFacts,
    anchors: Sequence[x509.Certificate],
    verify: DocumentVerifier | None,
    at: datetime,
) -> tuple[list[CheckIssue], list[SignatureVerdict]]:
    """Every declared report's object verified again: the warnings, and the verdicts."""
    issues: list[CheckIssue] = []
    verdicts: list[SignatureVerdict] = []
    ders = [cert.public_bytes(Encoding.DER) for cert in anchors]
    for uri, name in facts.objects.values():
        if not name.endswith(REPORT_SUFFIX) or uri not in package.entries:
            continue
        declared = _declared(package, uri, issues)
        target = facts.objects.get(declared.document.object) if declared else None
        if declared is None or target is None or target[0] not in package.entries:
            if declared is not None:
                message = f"Rapport de signature {uri} : objet {declared.document.object} absent"
                issues.append(CheckIssue("signature_report_orphan", "warning", message, path=uri))
            continue
        verdict = _verdict(package, facts, declared, target, ders, verify, at)
        verdicts.append(verdict)
        if not verdict.agrees and verdict.found != UNCHECKED:
            issues.append(_discrepancy(verdict, target[0]))
    return issues, verdicts


def _declared(package: Package, uri: str, issues: list[CheckIssue]) -> DeclaredReport | None:
    try:
        if package.entries[uri] > MAX_REPORT_BYTES:
            raise ValueError("rapport de signature trop volumineux")
        return load_report(b"".join(package.chunks(uri)))
    except ValueError as exc:
        message = f"Rapport de signature {uri} illisible : {exc}"
        issues.append(CheckIssue("signature_report_unreadable", "warning", message, path=uri))
        return None


def _verdict(
    package: Package,
    facts: ManifestFacts,
    declared: DeclaredReport,
    target: tuple[str, str],
    anchors: Sequence[bytes],
    verify: DocumentVerifier | None,
    at: datetime,
) -> SignatureVerdict:
    """The signatures the object carries and the detached ones the package holds, verified; the
    declared status compared is that of the same signatures."""
    uri, filename = target
    kind = _KINDS.get(PurePosixPath(filename or uri).suffix.lower())
    embedded = [s for s in declared.signatures if not _detached(s)]
    detached = [s for s in declared.signatures if _detached(s) and _member(facts, package, s)]
    covered = [*(embedded if kind else []), *detached]
    object_id = declared.document.object
    if verify is None or not covered:
        return SignatureVerdict(object_id, filename, declared.status, UNCHECKED)
    expected = summarise_declared([s.status for s in covered])
    checks: list[SignatureCheck] = []
    with tempfile.TemporaryDirectory(prefix="gedsae-signature-") as folder:
        path = _extract(package, uri, Path(folder) / f"object.{kind or 'bin'}")
        if kind and embedded:
            checks += verify(kind, path, anchors, at)
        for n, signature in enumerate(detached):
            member = _member(facts, package, signature) or ""
            p7s = _extract(package, member, Path(folder) / f"signature-{n}.p7s")
            checks += verify("p7s", p7s, anchors, at, path)
    found = summarise(checks).value
    reasons = tuple(dict.fromkeys(r for c in checks for r in c.reasons))
    signer = next((c.signer for c in checks if c.signer), None)
    return SignatureVerdict(object_id, filename, expected, found, reasons, signer)


def _detached(signature: DeclaredSignature) -> bool:
    return signature.format == "cades" or signature.detached_signature_unit is not None


def _member(facts: ManifestFacts, package: Package, signature: DeclaredSignature) -> str | None:
    """The package member of a detached signature's object, if the package holds it."""
    found = facts.objects.get(signature.detached_signature_object or "")
    return found[0] if found and found[0] in package.entries else None


def _extract(package: Package, member: str, path: Path) -> Path:
    with path.open("wb") as out:
        for chunk in package.chunks(member):
            out.write(chunk)
    return path


def summarise_declared(statuses: Sequence[str]) -> str:
    """The sum of the declared statuses, as ``kernel.signing.documents.checks.summarise``."""
    for status in ("invalid", "indeterminate"):
        if status in statuses:
            return status
    return "valid" if statuses else "none"


def _discrepancy(verdict: SignatureVerdict, uri: str) -> CheckIssue:
    reasons = f" ({', '.join(verdict.reasons)})" if verdict.reasons else ""
    if verdict.declared == "valid" and verdict.found == "invalid":
        message = (
            f"Vérification de signature : {verdict.filename} est déclaré signé valablement, mais "
            f"le dépôt trouve la signature invalide{reasons} : l'objet a pu être modifié après "
            "la signature. À l'archiviste de décider."
        )
    else:
        message = (
            f"Vérification de signature : {verdict.filename} déclaré « "
            f"{LABELS.get(verdict.declared, verdict.declared)} », le dépôt trouve « "
            f"{LABELS.get(verdict.found, verdict.found)} »{reasons}."
        )
    return CheckIssue("signature_discrepancy", "warning", message, path=uri)
