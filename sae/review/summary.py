"""What an archivist sees of a transfer: its state, its checks and its decision (JSON-ready)."""

from __future__ import annotations

from typing import Any

from sae.model import CheckIssue, Transfer


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
