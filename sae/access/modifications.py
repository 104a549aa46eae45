"""An archivist changes an archive's description or rules (SEDA 2.x ``ArchiveModificationNotification``):
the catalogue is amended (and re-indexed), the producer's notification put in its mailbox
(docs/exchanges.md; the GED records it in the history of the dossiers concerned) and the log
entry appended, in ONE transaction. A rule must be one the tenant's referential holds, in the
right category, when it has one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from kernel.errors import InvalidError, IssueList
from kernel.oplog import LogSpec
from kernel.retention import RuleCategory
from sae.access.communicability import rule_durations
from sae.access.mailbox import producer_of
from sae.model import CatalogueUnit, MailboxMessage, RuleRef, UnitRules
from sae.ports import Database, UnitOfWork
from seda.messages import build_message
from seda.modification import ArchiveModificationNotification

FINAL_ACTIONS: Final = {"Keep": "conservation définitive", "Destroy": "destruction"}


class ModificationInvalid(InvalidError):
    code = "modification_invalid"
    title = "Modification d'archive invalide"


@dataclass(frozen=True)
class ArchiveChanges:
    """What an archivist changes; ``None`` leaves it as it is."""

    title: str | None = None
    description: str | None = None
    appraisal: RuleRef | None = None
    final_action: str | None = None
    access: RuleRef | None = None


def modify_archive(
    db: Database, tenant: str, archivist: str, archive_id: str, changes: ArchiveChanges,
    now: datetime,
) -> CatalogueUnit:  # fmt: skip
    """The unit amended and its producer notified; 422 listing every problem, or when nothing
    would change."""
    with db.unit_of_work(tenant) as uow:
        before = uow.catalogue.detail(archive_id).unit  # another tenant's: not found
        after = _applied(before, changes)
        _check(uow, before, after, changes)
        uow.catalogue.amend(after)
        said = _said(before, after)
        notice = _notify(uow, after, said, now)
        uow.log.append(
            LogSpec(archivist, "archive.modified", "archive", archive_id, tenant,
                    {"changes": said, "notification": notice})
        )  # fmt: skip
        uow.commit()
    return after


def _applied(unit: CatalogueUnit, changes: ArchiveChanges) -> CatalogueUnit:
    rules = unit.rules
    if changes.appraisal is not None or changes.final_action is not None:
        appraisal = (changes.appraisal,) if changes.appraisal else rules.appraisal
        action = changes.final_action or rules.final_action
        rules = replace(rules, appraisal=appraisal, final_action=action, inherited=False)
    if changes.access is not None:
        rules = replace(rules, access=(changes.access,), inherited=False)
    return replace(
        unit,
        title=unit.title if changes.title is None else changes.title.strip(),
        description=unit.description if changes.description is None else changes.description,
        titles=(),
        rules=rules,
    )


def _check(
    uow: UnitOfWork, before: CatalogueUnit, after: CatalogueUnit, changes: ArchiveChanges
) -> None:
    issues = IssueList()
    if not after.title:
        issues.add("title_missing", "L'intitulé ne peut pas être vide", path="title")
    if changes.final_action is not None and changes.final_action not in FINAL_ACTIONS:
        issues.add("final_action_unknown", "Sort final : Keep ou Destroy", path="final_action")
    known = {
        category: rule_durations(uow.setup.files(), category)
        for category in (RuleCategory.APPRAISAL, RuleCategory.ACCESS)
    }
    for category, rule, path in (
        (RuleCategory.APPRAISAL, changes.appraisal, "appraisal"),
        (RuleCategory.ACCESS, changes.access, "access"),
    ):
        if rule is not None and any(known.values()) and rule.rule_id not in known[category]:
            message = f"Règle {rule.rule_id} absente du référentiel ({category.label_fr.lower()})"
            issues.add("unknown_rule", message, path=path)
    if not issues.issues and _said(before, after) == []:
        issues.add("nothing_changed", "Aucune modification demandée")
    issues.raise_if_any("Modification refusée", ModificationInvalid)


def _said(before: CatalogueUnit, after: CatalogueUnit) -> list[str]:
    """What changed, in French, as the notification's comments."""
    said = []
    if before.title != after.title:
        said.append(f"Intitulé : « {before.title} » devient « {after.title} »")
    if before.description != after.description:
        said.append("Description modifiée")
    if before.rules.appraisal != after.rules.appraisal or (
        before.rules.final_action != after.rules.final_action
    ):
        said.append(
            f"DUA et sort final : {_appraisal(before.rules)} devient {_appraisal(after.rules)}"
        )
    if before.rules.access != after.rules.access:
        said.append(
            f"Communicabilité : {_refs(before.rules.access)} devient {_refs(after.rules.access)}"
        )
    return said


def _appraisal(rules: UnitRules) -> str:
    action = FINAL_ACTIONS.get(rules.final_action or "", "sort final non précisé")
    return f"{_refs(rules.appraisal)} ({action})"


def _refs(refs: tuple[RuleRef, ...]) -> str:
    if not refs:
        return "aucune règle"
    return ", ".join(
        r.rule_id + (f" à compter du {r.start_date.isoformat()}" if r.start_date else "")
        for r in refs
    )


def _notify(uow: UnitOfWork, unit: CatalogueUnit, said: list[str], now: datetime) -> str:
    mid = f"MOD-{uuid.uuid4()}"
    producer, version = producer_of(uow, unit)
    notice = ArchiveModificationNotification(
        mid, now, uow.tenant, producer, (unit.archive_id,), tuple(said)
    )
    data = build_message(version, notice)
    uow.mailbox.post(MailboxMessage(str(uuid.uuid4()), type(notice).__name__, mid, data, now))
    return mid
