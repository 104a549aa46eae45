"""Derogations to the communicability delays (Code du patrimoine, article L213-3): an archivist
lets one requesting agency have an archive, and everything below it, before its delay is over —
saying why and until which day. A derogation is withdrawn, never deleted; each grant and
withdrawal is in the operation log, with the derogation, in ONE transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from kernel.errors import InvalidError, IssueList
from kernel.oplog import LogSpec
from kernel.paging import Page
from sae.model import Derogation
from sae.ports import Database, UnitOfWork


class DerogationInvalid(InvalidError):
    code = "derogation_invalid"
    title = "Dérogation invalide"


@dataclass(frozen=True)
class DerogationAsked:
    """What an archivist fills in; checked by ``grant_derogation`` (every problem at once)."""

    archive_id: str
    requester: str | None
    reason: str | None
    until: date | None


def grant_derogation(
    db: Database, tenant: str, archivist: str, asked: DerogationAsked, now: datetime
) -> Derogation:
    """The derogation recorded; 404 when the tenant holds no such archive."""
    with db.unit_of_work(tenant) as uow:
        uow.catalogue.detail(asked.archive_id)  # another tenant's archive: not found
        derogation = Derogation(
            str(uuid.uuid4()), asked.archive_id, *_checked(asked, now.date()), archivist, now
        )
        uow.derogations.add(derogation)
        _log(uow, archivist, "derogation.granted", derogation)
        uow.commit()
    return derogation


def revoke_derogation(
    db: Database, tenant: str, archivist: str, derogation_id: str, now: datetime
) -> Derogation:
    with db.unit_of_work(tenant) as uow:
        before = uow.derogations.get(derogation_id)
        after = uow.derogations.revoke(derogation_id, now)
        if before.revoked_at is None:
            _log(uow, archivist, "derogation.revoked", after)
        uow.commit()
    return after


def list_derogations(db: Database, tenant: str, page: Page) -> list[Derogation]:
    with db.reading(tenant) as uow:
        return uow.derogations.listing(page)


def _checked(asked: DerogationAsked, today: date) -> tuple[str, str, date]:
    issues = IssueList()
    requester, reason = (asked.requester or "").strip(), (asked.reason or "").strip()
    if not requester:
        issues.add("requester_missing", "Le service demandeur est obligatoire", path="requester")
    if not reason:
        issues.add("reason_missing", "Le motif de la dérogation est obligatoire", path="reason")
    if asked.until is None:
        issues.add("until_missing", "La date de fin de la dérogation est obligatoire", path="until")
    elif asked.until < today:
        issues.add("until_past", "La date de fin de la dérogation est déjà passée", path="until")
    if issues.issues or asked.until is None:
        raise DerogationInvalid("Dérogation refusée", issues=issues.issues)
    return requester, reason, asked.until


def _log(uow: UnitOfWork, archivist: str, action: str, derogation: Derogation) -> None:
    uow.log.append(
        LogSpec(
            actor=archivist,
            action=action,
            object_type="derogation",
            object_id=derogation.id,
            organisation_id=uow.tenant,
            details={
                "archive_id": derogation.archive_id,
                "requester": derogation.requester,
                "reason": derogation.reason,
                "until": derogation.until.isoformat(),
            },
        )
    )
