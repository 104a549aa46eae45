"""Operation log of the archival repository: a hash chain in the repository's own database.

NF Z42-013 and ISO 14641 ask an archiving system to keep a log of its operations (receipt,
checks, decisions, audits and repairs) whose integrity can be proven. The chain is the kernel's
(``kernel.oplog``: SHA-256 over a canonical JSON form of each entry and of the previous entry's
hash, so editing, deleting, inserting or reordering an entry breaks it there); the entries are
kept by the ``OperationLog`` port, beside the transfers.

An entry is appended in the SAME unit of work as the change it records (``uow.log.append``): a
decision without its entry, or an entry without its decision, is never committed. Deleting the
last entries leaves a chain that still verifies; that is caught only against the sealed
checkpoints of ``sae.journal.checkpoints``.
"""

from __future__ import annotations

from kernel.oplog import LogEntry, LogSpec, VerifyReport, verify_chain
from sae.ports import Database
from sae.storage.audit import AuditReport


def record(db: Database, spec: LogSpec) -> LogEntry:
    """An entry that goes with no other change of the database (an audit, a revocation)."""
    with db.unit_of_work() as uow:
        entry = uow.log.append(spec)
        uow.commit()
    return entry


def log_audit(db: Database, report: AuditReport, *, actor: str = "audit") -> LogEntry:
    """One entry per fixity audit: its counts and every finding (repairs, quarantines...)."""
    return record(
        db,
        LogSpec(
            actor=actor,
            action="audit.completed",
            object_type="storage_offers",
            object_id="all",
            organisation_id=None,
            details=report.to_dict(),
        ),
    )


def verify(db: Database) -> VerifyReport:
    """Walk the whole chain; names the first broken entry."""
    with db.reading() as uow:
        return verify_chain(uow.log.entries())
