"""Operation log of the archival repository: one hash chain per tenant, in the repository's own
database.

NF Z42-013 and ISO 14641 ask an archiving system to keep a log of its operations (receipt,
checks, decisions, audits and repairs) whose integrity can be proven. The chain is the kernel's
(``kernel.oplog``: SHA-256 over a canonical JSON form of each entry and of the previous entry's
hash, so editing, deleting, inserting or reordering an entry breaks it there); the entries are
kept by the ``OperationLog`` port, beside the transfers.

An entry is appended in the SAME unit of work as the change it records (``uow.log.append``): a
decision without its entry, or an entry without its decision, is never committed. Deleting the
last entries leaves a chain that still verifies; that is caught only against the sealed
checkpoints of ``sae.journal.checkpoints``.

Why one chain per tenant rather than one for the platform: a tenant's transaction sees only its
own rows (row-level security), so it could not read another tenant's head to chain after it;
each archival service can verify, seal and be handed its own journal without seeing another's
entries; and tenants append in parallel (each chain has its own lock), where one chain would
put every tenant's every write in one queue. The platform's own acts on a tenant (its creation,
its first tokens) are entries of that tenant's chain.
"""

from __future__ import annotations

from typing import Final

from kernel.oplog import LogEntry, LogSpec, VerifyReport, verify_chain
from kernel.paging import Page
from sae.ports import Database
from sae.storage.audit import AuditReport

AUDITED: Final = "audit.completed"


def record(db: Database, tenant: str, spec: LogSpec) -> LogEntry:
    """An entry that goes with no other change of the database (an audit, a revocation)."""
    with db.unit_of_work(tenant) as uow:
        entry = uow.log.append(spec)
        uow.commit()
    return entry


def log_audit(db: Database, tenant: str, report: AuditReport, *, actor: str = "audit") -> LogEntry:
    """One entry per fixity audit of the tenant's storage: its counts and every finding."""
    return record(
        db,
        tenant,
        LogSpec(
            actor=actor,
            action=AUDITED,
            object_type="storage_offers",
            object_id="all",
            organisation_id=tenant,
            details=report.to_dict(),
        ),
    )


def verify(db: Database, tenant: str) -> VerifyReport:
    """Walk the tenant's whole chain; names the first broken entry."""
    with db.reading(tenant) as uow:
        return verify_chain(uow.log.entries())


def entries(db: Database, tenant: str, after: int, page: Page) -> list[LogEntry]:
    """A page of the tenant's log after ``seq`` ``after``, in order."""
    with db.reading(tenant) as uow:
        found = uow.log.entries(after)
        return [entry for _, entry in zip(range(page.limit), found, strict=False)]


def entry(db: Database, tenant: str, entry_hash: str) -> LogEntry | None:
    with db.reading(tenant) as uow:
        return uow.log.entry(entry_hash)


def audits(db: Database, tenant: str, page: Page) -> list[LogEntry]:
    """The tenant's recorded audits, latest first."""
    with db.reading(tenant) as uow:
        return uow.log.with_action(AUDITED, page)
