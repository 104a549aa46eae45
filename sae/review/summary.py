"""What an archivist sees of a transfer: its state, its checks and its decision (JSON-ready)."""

from __future__ import annotations

from typing import Any, Final

from sae.model import CheckIssue, SignatureVerdict, Transfer
from sae.presentation import SIGNATURE_STATUSES as LABELS

SIGNATURE_CHECK: Final = "Vérification de signature"


def transfer_summary(transfer: Transfer) -> dict[str, Any]:
    return {
        "transfer_id": transfer.id,
        "message_identifier": transfer.message_identifier,
        "transferring_agency": transfer.transferring_agency,
        "state": transfer.state.value,
        "received_at": transfer.received_at.isoformat(),
        "seda_version": transfer.seda_version,
        "checks_passed": transfer.checks_passed,
        "issues": [issue_summary(i) for i in transfer.issues],
        "comment": transfer.comment,
        "decided_by": transfer.decided_by,
        "signer": transfer.signer,
        "signature_checks": [signature_check(v) for v in transfer.signature_checks],
        "archive_identifiers": [
            {"unit": unit, "archive_identifier": archive}
            for unit, archive in transfer.archive_identifiers
        ],
    }


def issue_summary(issue: CheckIssue) -> dict[str, Any]:
    return {
        "code": issue.code,
        "severity": issue.severity,
        "message": issue.message,
        "line": issue.line,
        "path": issue.path,
    }


def signature_check(verdict: SignatureVerdict) -> dict[str, Any]:
    """One signed document verified again at ingest: the declared status, the one found here,
    and a French sentence for the archivist."""
    declared = LABELS.get(verdict.declared, verdict.declared)
    found = LABELS.get(verdict.found, verdict.found)
    agreement = "concorde" if verdict.agrees else "écart"
    return {
        "label": SIGNATURE_CHECK,
        "object_id": verdict.object_id,
        "filename": verdict.filename,
        "declared": verdict.declared,
        "found": verdict.found,
        "agrees": verdict.agrees,
        "reasons": list(verdict.reasons),
        "signer": verdict.signer,
        "message": f"{SIGNATURE_CHECK} : {verdict.filename} : déclarée {declared}, "
        f"trouvée {found} par le dépôt ({agreement})",
    }
