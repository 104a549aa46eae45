"""What the journal page shows an archivist (NF Z42-013: the log, its seals and the fixity
audits): the head of the chain, the latest sealed checkpoint, the latest audit of the copies
and the latest operations, all of one tenant's chain. Everything is read backwards from the head, a bounded
number of entries (``window``): the log is never read whole to draw a page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from kernel.oplog import LogEntry
from sae.model import SealedCheckpoint
from sae.ports import Database

AUDIT: Final = "audit.completed"


@dataclass(frozen=True)
class JournalOverview:
    entries: int  # seq of the head: how many operations the log holds
    latest_seal: SealedCheckpoint | None
    last_audit: LogEntry | None  # within the window; None: none that recent
    recent: list[LogEntry]  # the tenant's, newest first
    window: int


def overview(
    db: Database, organisation: str, recent: int = 20, window: int = 1000
) -> JournalOverview:
    with db.reading(organisation) as uow:
        head, _ = uow.log.head()
        found: list[LogEntry] = []
        audit = None
        for seq in range(head, max(head - window, 0), -1):
            entry = uow.log.entry_at(seq)
            if entry is None:
                continue
            if audit is None and entry.action == AUDIT:
                audit = entry
            if len(found) < recent:
                found.append(entry)
            if audit is not None and len(found) >= recent:
                break
        return JournalOverview(head, uow.checkpoints.latest(), audit, found, window)
