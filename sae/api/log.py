"""``/log``: an archivist reads the tenant's operation log (entries in order, one by its hash)
and verifies it against its sealed checkpoints (``scan=true`` also looks for checkpoints on the
offers that the index lost); ``/audits``: the tenant's recorded fixity audits.

An entry is known outside the log by its hash: another tenant's entry (or audit) answers 404,
exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from kernel.errors import NotFoundError
from kernel.oplog import LogEntry
from kernel.paging import MAX_LIMIT, MAX_OFFSET, MAX_SQL_INTEGER, Page
from sae.api.deps import API, Archivist, Db, Opened
from sae.journal import log as journal
from sae.journal.verification import verify_with_checkpoints

router = APIRouter(prefix=API)


class LogEntryNotFound(NotFoundError):
    code = "log_entry_not_found"
    title = "Entrée du journal introuvable"


class AuditNotFound(NotFoundError):
    code = "audit_not_found"
    title = "Audit introuvable"


@router.get("/log/verify")
def verify(who: Archivist, opened: Opened, db: Db, scan: bool = False) -> dict[str, Any]:
    sealing = opened.config.sealing
    report = verify_with_checkpoints(
        db,
        who.organisation,
        opened.storage.offers(who.organisation),
        sealing.anchors() if sealing else (),
        intermediates=sealing.intermediates if sealing else (),
        tsa_anchors=sealing.tsa_anchors if sealing else (),
        scan_offers=scan,
    )
    return report.to_dict()


@router.get("/log/entries")
def entries(
    who: Archivist,
    db: Db,
    after: Annotated[int, Query(ge=0, le=MAX_SQL_INTEGER)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = MAX_LIMIT,
) -> list[dict[str, Any]]:
    return [entry_to_dict(e) for e in journal.entries(db, who.organisation, after, Page(limit))]


@router.get("/log/entries/{entry_hash}")
def entry(entry_hash: str, who: Archivist, db: Db) -> dict[str, Any]:
    found = journal.entry(db, who.organisation, entry_hash)
    if found is None:
        raise LogEntryNotFound(f"Entrée {entry_hash} introuvable")
    return entry_to_dict(found)


@router.get("/audits")
def audits(
    who: Archivist,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    found = journal.audits(db, who.organisation, Page(limit, offset))
    return [audit_to_dict(e) for e in found]


@router.get("/audits/{audit_id}")
def audit(audit_id: str, who: Archivist, db: Db) -> dict[str, Any]:
    """An audit is known by the hash of its log entry."""
    found = journal.entry(db, who.organisation, audit_id)
    if found is None or found.action != journal.AUDITED:
        raise AuditNotFound(f"Audit {audit_id} introuvable")
    return audit_to_dict(found)


def entry_to_dict(entry: LogEntry) -> dict[str, Any]:
    return {**entry.__dict__, "at": entry.at.isoformat()}


def audit_to_dict(entry: LogEntry) -> dict[str, Any]:
    return {
        "audit_id": entry.hash,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        **entry.details,
    }
