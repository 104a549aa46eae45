"""What the GED's fixity audit (``ged.adapters.fixity.audit``) found: stable snake_case
codes, a count for every code, JSON-serialisable for ``gedsae audit --json`` and monitoring."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from kernel.blobstore.fixity import CopyState


class AuditCode(StrEnum):
    COPY_OK = "copy_ok"
    COPY_MISSING = "copy_missing"
    COPY_ALTERED = "copy_altered"
    COPY_UNREADABLE = "copy_unreadable"
    COPY_REPAIRED = "copy_repaired"
    REPLICA_COPY_ADDED = "replica_copy_added"
    REPAIR_FAILED = "repair_failed"
    CONTENT_DAMAGED = "content_damaged"
    DAMAGE_CLEARED = "damage_cleared"
    UNREFERENCED_BLOB = "unreferenced_blob"
    STORE_UNREADABLE = "store_unreadable"
    TEMP_FILE_REMOVED = "temp_file_removed"


STATE_CODES: Final = {
    CopyState.OK: AuditCode.COPY_OK,
    CopyState.MISSING: AuditCode.COPY_MISSING,
    CopyState.ALTERED: AuditCode.COPY_ALTERED,
    CopyState.UNREADABLE: AuditCode.COPY_UNREADABLE,
}
# Counted, not listed: one per healthy copy, one per blob newly copied to the replica.
_QUIET: Final = frozenset({AuditCode.COPY_OK, AuditCode.REPLICA_COPY_ADDED})
# Nothing left for an operator once the audit is over.
_SETTLED: Final = frozenset(
    {AuditCode.COPY_REPAIRED, AuditCode.DAMAGE_CLEARED, AuditCode.TEMP_FILE_REMOVED}
)


@dataclass(frozen=True)
class AuditFinding:
    code: AuditCode
    message: str
    sha256: str | None = None
    store: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "code": str(self.code),
            "sha256": self.sha256,
            "store": self.store,
            "message": self.message,
        }


@dataclass
class AuditReport:
    blobs_checked: int = 0
    findings: list[AuditFinding] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False  # the server stopped before every blob was checked

    def add(self, code: AuditCode, message: str, sha256: str | None, store: str | None) -> None:
        self.counts[str(code)] += 1
        if code not in _QUIET:
            self.findings.append(AuditFinding(code, message, sha256, store))

    @property
    def clean(self) -> bool:
        """Nothing left for an operator: every bad copy found was repaired."""
        repaired = {(f.sha256, f.store) for f in self.findings if f.code is AuditCode.COPY_REPAIRED}
        return not self.interrupted and all(
            f.code in _SETTLED
            or (
                f.code in (AuditCode.COPY_MISSING, AuditCode.COPY_ALTERED)
                and (f.sha256, f.store) in repaired
            )
            for f in self.findings
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "blobs_checked": self.blobs_checked,
            "clean": self.clean,
            "interrupted": self.interrupted,
            "counts": {str(code): self.counts.get(str(code), 0) for code in AuditCode},
            "findings": [finding.to_dict() for finding in self.findings],
        }


def copy_message(state: CopyState) -> str:
    return {
        CopyState.OK: "Copie conforme",
        CopyState.MISSING: "Copie absente",
        CopyState.ALTERED: "Copie altérée : empreintes ou taille différentes de celles enregistrées",
        CopyState.UNREADABLE: "Copie illisible : stockage indisponible",
    }[state]
