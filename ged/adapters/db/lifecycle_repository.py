"""SQL queries of retention rules, bindings, holds, the lifecycle state and eliminations.

Everything runs on the unit of work's connection, in its transaction. Two statements carry the
concurrency guarantees of the lifecycle:

* ``lock_dossier`` takes the dossier's row lock (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite
  ``BEGIN IMMEDIATE`` already serialises writers): placing a hold and eliminating both take it
  before reading, so one of them sees the other's committed result.
* ``move_proposal`` is a conditional ``UPDATE … WHERE status = :expected``: of two concurrent
  approvals exactly one changes a row (PostgreSQL re-evaluates the condition after waiting for
  the first one's row lock), the other sees a row count of 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping

from ged.adapters.db import rows
from ged.adapters.db import tables as t
from ged.domain.lifecycle import (
    ACTION_PHASES,
    Binding,
    BindingTarget,
    DossierEvent,
    EliminationProposal,
    Hold,
    ItemStatus,
    LifecycleState,
    NoDueDate,
    Phase,
    ProposalItem,
    ProposalStatus,
    SortDecision,
    Tombstone,
)
from ged.domain.model import Dossier
from ged.domain.retention import (
    FinalAction,
    RetentionRule,
    RuleAlternative,
    StartEvent,
    StartEventKind,
)
from kernel.paging import Page
from kernel.retention import Duration, RuleCategory

CURRENT, SUPERSEDED, RETIRED = "current", "superseded", "retired"


class SqlLifecycleRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- retention rules ----------------------------------------------------------------------
    def current_rules(
        self, org_id: str, identifiers: Iterable[str] | None = None
    ) -> dict[str, RetentionRule]:
        """The current version of every rule, or of ``identifiers`` only."""
        c = t.retention_rules.c
        query = select(t.retention_rules).where(c.organisation_id == org_id, c.status == CURRENT)
        if identifiers is not None:
            query = query.where(c.identifier.in_(sorted(set(identifiers))))
        found = [_rule(r) for r in self.conn.execute(query.order_by(c.identifier)).mappings()]
        return {rule.identifier: rule for rule in found}

    def rule_heads(self, org_id: str) -> dict[str, tuple[RetentionRule, str]]:
        """The latest version of every rule ever defined, current or retired."""
        c = t.retention_rules.c
        query = select(t.retention_rules).where(c.organisation_id == org_id, c.status != SUPERSEDED)
        return {
            r["identifier"]: (_rule(r), r["status"]) for r in self.conn.execute(query).mappings()
        }

    def rule_versions(self, org_id: str, identifier: str) -> list[tuple[RetentionRule, str]]:
        c = t.retention_rules.c
        query = (
            select(t.retention_rules)
            .where(c.organisation_id == org_id, c.identifier == identifier)
            .order_by(c.version)
        )
        return [(_rule(r), r["status"]) for r in self.conn.execute(query).mappings()]

    def get_rule(
        self, org_id: str, identifier: str, version: int | None = None
    ) -> RetentionRule | None:
        c = t.retention_rules.c
        where = [c.organisation_id == org_id, c.identifier == identifier]
        where.append(c.status == CURRENT if version is None else c.version == version)
        row = self.conn.execute(select(t.retention_rules).where(*where)).mappings().first()
        return _rule(row) if row else None

    def add_rule_version(self, org_id: str, rule: RetentionRule, at: datetime, by: str) -> None:
        """Records ``rule`` as the current version; the previous current one is superseded."""
        c = t.retention_rules.c
        self.conn.execute(
            update(t.retention_rules)
            .where(c.organisation_id == org_id, c.identifier == rule.identifier)
            .where(c.status != SUPERSEDED)
            .values(status=SUPERSEDED)
        )
        values = {**_rule_values(rule), "organisation_id": org_id, "status": CURRENT}
        self.conn.execute(insert(t.retention_rules).values(**values, created_at=at, created_by=by))

    def retire_rule(self, org_id: str, identifier: str) -> None:
        c = t.retention_rules.c
        self.conn.execute(
            update(t.retention_rules)
            .where(c.organisation_id == org_id, c.identifier == identifier, c.status == CURRENT)
            .values(status=RETIRED)
        )

    def rules_in_use(self, org_id: str) -> set[str]:
        """Rules a binding or an active hold refers to: an import may not make them vanish."""
        bound = select(t.rule_bindings.c.rule_id).where(t.rule_bindings.c.organisation_id == org_id)
        held = select(t.holds.c.rule_id).where(
            t.holds.c.organisation_id == org_id,
            t.holds.c.rule_id.is_not(None),
            t.holds.c.lifted_at.is_(None),
        )
        return set(self.conn.execute(bound).scalars()) | set(self.conn.execute(held).scalars())

    # -- bindings -----------------------------------------------------------------------------
    def put_binding(self, binding: Binding) -> Binding | None:
        """Stores ``binding``, replacing the one of the same target and category; returns the
        replaced one."""
        previous = self._binding(
            binding.organisation_id, binding.target, binding.target_id, binding.category
        )
        if previous is not None:
            self.delete_binding(
                binding.organisation_id, binding.target, binding.target_id, binding.category
            )
        self.conn.execute(insert(t.rule_bindings).values(**_binding_values(binding)))
        return previous

    def _binding(
        self, org_id: str, target: BindingTarget, target_id: str, category: RuleCategory
    ) -> Binding | None:
        row = (
            self.conn.execute(
                select(t.rule_bindings).where(_binding_key(org_id, target, target_id, category))
            )
            .mappings()
            .first()
        )
        return _binding(row) if row else None

    def delete_binding(
        self, org_id: str, target: BindingTarget, target_id: str, category: RuleCategory
    ) -> bool:
        result = self.conn.execute(
            delete(t.rule_bindings).where(_binding_key(org_id, target, target_id, category))
        )
        return bool(result.rowcount)

    def list_bindings(
        self,
        org_id: str,
        target: BindingTarget | None = None,
        target_ids: Sequence[str] | None = None,
    ) -> list[Binding]:
        c = t.rule_bindings.c
        query = select(t.rule_bindings).where(c.organisation_id == org_id)
        if target is not None:
            query = query.where(c.target_kind == target.value)
        if target_ids is not None:
            query = query.where(c.target_id.in_(list(target_ids)))
        query = query.order_by(c.target_kind, c.target_id, c.category)
        return [_binding(r) for r in self.conn.execute(query).mappings()]

    # -- business events ----------------------------------------------------------------------
    def set_event(
        self, dossier_id: str, key: str, name: str, on: date, at: datetime, by: str
    ) -> None:
        c = t.dossier_events.c
        self.conn.execute(
            delete(t.dossier_events).where(c.dossier_id == dossier_id, c.event_key == key)
        )
        self.conn.execute(
            insert(t.dossier_events).values(
                dossier_id=dossier_id,
                event_key=key,
                name=name,
                occurred_on=on,
                recorded_at=at,
                recorded_by=by,
            )
        )

    def events_for(self, dossier_ids: Sequence[str]) -> dict[str, dict[str, date]]:
        c = t.dossier_events.c
        query = select(c.dossier_id, c.event_key, c.occurred_on).where(
            c.dossier_id.in_(list(dossier_ids))
        )
        found: dict[str, dict[str, date]] = {}
        for dossier_id, key, on in self.conn.execute(query):
            found.setdefault(dossier_id, {})[key] = on
        return found

    def events_of(self, dossier_id: str) -> list[DossierEvent]:
        c = t.dossier_events.c
        query = (
            select(t.dossier_events)
            .where(c.dossier_id == dossier_id)
            .order_by(c.occurred_on, c.event_key)
        )
        return [_event(r) for r in self.conn.execute(query).mappings()]

    # -- holds --------------------------------------------------------------------------------
    def add_hold(self, hold: Hold) -> None:
        self.conn.execute(insert(t.holds).values(**_hold_values(hold)))

    def get_hold(self, org_id: str, hold_id: str) -> Hold | None:
        c = t.holds.c
        query = select(t.holds).where(c.id == hold_id, c.organisation_id == org_id)
        row = self.conn.execute(query).mappings().first()
        return _hold(row) if row else None

    def lift_hold(self, hold_id: str, at: datetime, by: str, reason: str) -> bool:
        """False when the hold was already lifted (by a concurrent request)."""
        c = t.holds.c
        result = self.conn.execute(
            update(t.holds)
            .where(c.id == hold_id, c.lifted_at.is_(None))
            .values(lifted_at=at, lifted_by=by, lift_reason=reason)
        )
        return bool(result.rowcount)

    def holds_for(self, dossier_ids: Sequence[str]) -> dict[str, list[Hold]]:
        c = t.holds.c
        query = select(t.holds).where(c.dossier_id.in_(list(dossier_ids)), c.lifted_at.is_(None))
        found: dict[str, list[Hold]] = {}
        for row in self.conn.execute(query).mappings():
            found.setdefault(row["dossier_id"], []).append(_hold(row))
        return found

    def list_holds(
        self, org_id: str, dossier_id: str | None = None, include_lifted: bool = False
    ) -> list[Hold]:
        c = t.holds.c
        query = select(t.holds).where(c.organisation_id == org_id)
        if dossier_id is not None:
            query = query.where(c.dossier_id == dossier_id)
        if not include_lifted:
            query = query.where(c.lifted_at.is_(None))
        return [_hold(r) for r in self.conn.execute(query.order_by(c.placed_at, c.id)).mappings()]

    # -- dossiers and their lifecycle state ---------------------------------------------------
    def lock_dossier(self, dossier_id: str) -> Dossier | None:
        query = select(t.dossiers).where(t.dossiers.c.id == dossier_id).with_for_update()
        row = self.conn.execute(query).mappings().first()
        return rows.dossier(row) if row else None

    def dossier_batch(
        self, org_id: str, after_id: str, limit: int, service_ids: frozenset[str] | None = None
    ) -> list[Dossier]:
        """Dossiers the engine still computes (not transferred, permanent or eliminated), in
        identifier order after ``after_id``."""
        d, lc = t.dossiers.c, t.dossier_lifecycle.c
        query = (
            select(t.dossiers)
            .outerjoin(t.dossier_lifecycle, lc.dossier_id == d.id)
            .where(d.organisation_id == org_id, d.id > after_id)
            .where((lc.phase.is_(None)) | (lc.phase.not_in(ACTION_PHASES)))
        )
        if service_ids is not None:
            query = query.where(d.service_id.in_(sorted(service_ids)))
        query = query.order_by(d.id).limit(limit)
        return [rows.dossier(r) for r in self.conn.execute(query).mappings()]

    def last_document_dates(self, dossier_ids: Sequence[str]) -> dict[str, date]:
        """Per dossier, the latest document date: its own date when given, else the day it
        was filed."""
        c = t.documents.c
        ids = list(dossier_ids)
        dated = (
            select(c.dossier_id, func.max(c.created_on))
            .where(c.dossier_id.in_(ids), c.created_on.is_not(None))
            .group_by(c.dossier_id)
        )
        undated = (
            select(c.dossier_id, func.max(c.created_at))
            .where(c.dossier_id.in_(ids), c.created_on.is_(None))
            .group_by(c.dossier_id)
        )
        found: dict[str, date] = {}
        for dossier_id, on in self.conn.execute(dated):
            found[dossier_id] = on
        for dossier_id, at in self.conn.execute(undated):
            day = rows.as_utc(_datetime(at)).date()
            found[dossier_id] = max(found.get(dossier_id, day), day)
        return found

    def document_types(self, dossier_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        c = t.documents.c
        query = (
            select(c.dossier_id, c.document_type)
            .where(c.dossier_id.in_(list(dossier_ids)), c.document_type != "")
            .distinct()
        )
        found: dict[str, set[str]] = {}
        for dossier_id, kind in self.conn.execute(query):
            found.setdefault(dossier_id, set()).add(kind)
        return {k: frozenset(v) for k, v in found.items()}

    def get_state(self, dossier_id: str) -> LifecycleState | None:
        query = select(t.dossier_lifecycle).where(t.dossier_lifecycle.c.dossier_id == dossier_id)
        row = self.conn.execute(query).mappings().first()
        return _state(row) if row else None

    def states_for(self, dossier_ids: Sequence[str]) -> dict[str, LifecycleState]:
        c = t.dossier_lifecycle.c
        query = select(t.dossier_lifecycle).where(c.dossier_id.in_(list(dossier_ids)))
        return {r["dossier_id"]: _state(r) for r in self.conn.execute(query).mappings()}

    def save_state(self, state: LifecycleState, *, new: bool) -> None:
        values = _state_values(state)
        if new:
            self.conn.execute(insert(t.dossier_lifecycle).values(**values))
            return
        c = t.dossier_lifecycle.c
        self.conn.execute(
            update(t.dossier_lifecycle).where(c.dossier_id == state.dossier_id).values(**values)
        )

    def phase_counts(self, org_id: str, service_ids: frozenset[str] | None) -> dict[str, int]:
        c = t.dossier_lifecycle.c
        query = select(c.phase, func.count()).where(c.organisation_id == org_id)
        if service_ids is not None:
            query = query.where(c.service_id.in_(sorted(service_ids)))
        return {phase: int(n) for phase, n in self.conn.execute(query.group_by(c.phase))}

    def states_in_phase(
        self, org_id: str, phase: Phase, limit: int = 10_000, after_id: str = ""
    ) -> list[LifecycleState]:
        c = t.dossier_lifecycle.c
        query = (
            select(t.dossier_lifecycle)
            .where(c.organisation_id == org_id, c.phase == phase.value, c.dossier_id > after_id)
            .order_by(c.dossier_id)
            .limit(limit)
        )
        return [_state(r) for r in self.conn.execute(query).mappings()]

    # -- content of a dossier -----------------------------------------------------------------
    def dossier_content(self, dossier_id: str) -> list[dict[str, Any]]:
        """Each document (identifier, pk, title, type) with its versions' digests and sizes."""
        d, v = t.documents.c, t.versions.c
        docs = self.conn.execute(
            select(d.pk, d.id, d.title, d.document_type)
            .where(d.dossier_id == dossier_id)
            .order_by(d.pk)
        ).all()
        query = (
            select(v.document_id, v.number, v.sha256, t.blobs.c.sha512, v.size, v.filename)
            .join(t.blobs, t.blobs.c.sha256 == v.sha256)
            .join(t.documents, d.id == v.document_id)
            .where(d.dossier_id == dossier_id)
            .order_by(v.document_id, v.number)
        )
        versions: dict[str, list[dict[str, Any]]] = {}
        for doc_id, number, sha256, sha512, size, filename in self.conn.execute(query):
            versions.setdefault(doc_id, []).append(
                {
                    "number": number,
                    "sha256": sha256,
                    "sha512": sha512,
                    "size": size,
                    "filename": filename,
                }
            )
        return [
            {
                "id": doc_id,
                "pk": pk,
                "title": title,
                "document_type": kind,
                "versions": versions.get(doc_id, []),
            }
            for pk, doc_id, title, kind in docs
        ]

    def delete_dossier_content(self, dossier_id: str) -> None:
        """Removes documents, versions, extracted texts, signature reports, the relations
        between the documents and what imports recorded of them (circuit histories, délibération
        links); the search entries are the search index's business; the dossier row stays, as
        the tombstone's anchor."""
        doc_ids = select(t.documents.c.id).where(t.documents.c.dossier_id == dossier_id)
        relations = t.document_relations
        self.conn.execute(
            delete(relations).where(
                or_(relations.c.document_id.in_(doc_ids), relations.c.target_id.in_(doc_ids))
            )
        )
        reports = t.signature_reports
        self.conn.execute(delete(reports).where(reports.c.document_id.in_(doc_ids)))
        for table in (t.document_events, t.inbound_links):  # imported documents' history, links
            self.conn.execute(delete(table).where(table.c.document_id.in_(doc_ids)))
        self.conn.execute(delete(t.texts).where(t.texts.c.document_id.in_(doc_ids)))
        self.conn.execute(delete(t.versions).where(t.versions.c.document_id.in_(doc_ids)))
        self.conn.execute(delete(t.documents).where(t.documents.c.dossier_id == dossier_id))

    def add_tombstone(self, stone: Tombstone) -> None:
        self.conn.execute(insert(t.tombstones).values(**stone.__dict__))

    def get_tombstone(self, dossier_id: str) -> Tombstone | None:
        query = select(t.tombstones).where(t.tombstones.c.dossier_id == dossier_id)
        row = self.conn.execute(query).mappings().first()
        return _tombstone(row) if row else None

    def tombstones_of(self, proposal_id: str) -> list[Tombstone]:
        c = t.tombstones.c
        query = select(t.tombstones).where(c.proposal_id == proposal_id).order_by(c.dossier_id)
        return [_tombstone(r) for r in self.conn.execute(query).mappings()]

    # -- elimination proposals ----------------------------------------------------------------
    def add_proposal(self, proposal: EliminationProposal, items: Iterable[ProposalItem]) -> None:
        self.conn.execute(
            insert(t.elimination_proposals).values(
                **{**proposal.__dict__, "status": proposal.status.value}
            )
        )
        values = [_item_values(item) for item in items]
        if values:  # one round trip for every item
            self.conn.execute(insert(t.elimination_items), values)

    def get_proposal(self, org_id: str, proposal_id: str) -> EliminationProposal | None:
        c = t.elimination_proposals.c
        query = select(t.elimination_proposals).where(
            c.id == proposal_id, c.organisation_id == org_id
        )
        row = self.conn.execute(query).mappings().first()
        return _proposal(row) if row else None

    def list_proposals(
        self, org_id: str, status: ProposalStatus | None = None, page: Page | None = None
    ) -> list[EliminationProposal]:
        c = t.elimination_proposals.c
        query = select(t.elimination_proposals).where(c.organisation_id == org_id)
        if status is not None:
            query = query.where(c.status == status.value)
        query = query.order_by(c.created_at.desc(), c.id)
        if page is not None:
            query = query.limit(page.limit).offset(page.offset)
        return [_proposal(r) for r in self.conn.execute(query).mappings()]

    def items_of(self, proposal_id: str) -> list[ProposalItem]:
        c = t.elimination_items.c
        query = (
            select(t.elimination_items)
            .where(c.proposal_id == proposal_id)
            .order_by(c.reference, c.title, c.dossier_id)
        )
        return [_item(r) for r in self.conn.execute(query).mappings()]

    def dossiers_in_open_proposals(self, org_id: str) -> set[str]:
        p, i = t.elimination_proposals.c, t.elimination_items.c
        query = (
            select(i.dossier_id)
            .join(t.elimination_proposals, p.id == i.proposal_id)
            .where(p.organisation_id == org_id)
            .where(p.status.in_([ProposalStatus.PROPOSED.value, ProposalStatus.APPROVED.value]))
        )
        return set(self.conn.execute(query).scalars())

    def move_proposal(
        self,
        proposal_id: str,
        expected: ProposalStatus,
        new: ProposalStatus,
        **values: Any,
    ) -> bool:
        """Conditional transition: True only for the one request that finds ``expected``."""
        c = t.elimination_proposals.c
        result = self.conn.execute(
            update(t.elimination_proposals)
            .where(and_(c.id == proposal_id, c.status == expected.value))
            .values(status=new.value, **values)
        )
        return result.rowcount == 1

    def set_item(self, proposal_id: str, dossier_id: str, status: ItemStatus, outcome: str) -> None:
        c = t.elimination_items.c
        self.conn.execute(
            update(t.elimination_items)
            .where(c.proposal_id == proposal_id, c.dossier_id == dossier_id)
            .values(status=status.value, outcome=outcome)
        )


# -- row conversions ---------------------------------------------------------------------------
def _datetime(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _rule(row: RowMapping) -> RetentionRule:
    kind, name = row["start_event_kind"], row["start_event_name"]
    raw = row["duration"]
    alternative = None
    if row["alternative_duration"]:
        event = StartEvent(
            StartEventKind(row["alternative_event_kind"]), row["alternative_event_name"]
        )
        alternative = RuleAlternative(Duration.parse(row["alternative_duration"]), event)
    return RetentionRule(
        identifier=row["identifier"],
        category=RuleCategory(row["category"]),
        label=row["label"],
        duration=Duration.parse(raw) if raw else None,
        start_event=StartEvent(StartEventKind(kind), name) if kind else None,
        final_action=FinalAction(row["final_action"]) if row["final_action"] else None,
        legal_reference=row["legal_reference"],
        notes=row["notes"],
        version=row["version"],
        alternative=alternative,
    )


def _rule_values(rule: RetentionRule) -> dict[str, Any]:
    duration = rule.duration
    raw = None if duration is None else ("unlimited" if duration.unlimited else duration.to_iso())
    event = rule.start_event
    return {
        "identifier": rule.identifier,
        "version": rule.version,
        "category": rule.category.value,
        "label": rule.label,
        "duration": raw,
        "start_event_kind": event.kind.value if event else None,
        "start_event_name": event.name if event else None,
        "final_action": rule.final_action.value if rule.final_action else None,
        "legal_reference": rule.legal_reference,
        "notes": rule.notes,
        **_alternative_values(rule.alternative),
    }


def _alternative_values(alternative: RuleAlternative | None) -> dict[str, Any]:
    if alternative is None:
        return dict.fromkeys(_ALTERNATIVE_COLUMNS)
    event = alternative.start_event
    return {
        "alternative_duration": alternative.duration.to_iso(),
        "alternative_event_kind": event.kind.value,
        "alternative_event_name": event.name,
    }


_ALTERNATIVE_COLUMNS = ("alternative_duration", "alternative_event_kind", "alternative_event_name")


def _binding_key(org_id: str, target: BindingTarget, target_id: str, category: RuleCategory) -> Any:
    c = t.rule_bindings.c
    return and_(
        c.organisation_id == org_id,
        c.target_kind == target.value,
        c.target_id == target_id,
        c.category == category.value,
    )


def _binding(row: RowMapping) -> Binding:
    return Binding(
        organisation_id=row["organisation_id"],
        target=BindingTarget(row["target_kind"]),
        target_id=row["target_id"],
        category=RuleCategory(row["category"]),
        rule_id=row["rule_id"],
        justification=row["justification"],
        created_at=rows.as_utc(row["created_at"]),
        created_by=row["created_by"],
    )


def _binding_values(b: Binding) -> dict[str, Any]:
    return {
        "organisation_id": b.organisation_id,
        "target_kind": b.target.value,
        "target_id": b.target_id,
        "category": b.category.value,
        "rule_id": b.rule_id,
        "justification": b.justification,
        "created_at": b.created_at,
        "created_by": b.created_by,
    }


def _event(row: RowMapping) -> DossierEvent:
    return DossierEvent(
        dossier_id=row["dossier_id"],
        name=row["name"],
        on=row["occurred_on"],
        recorded_at=rows.as_utc(row["recorded_at"]),
        recorded_by=row["recorded_by"],
    )


def _hold(row: RowMapping) -> Hold:
    return Hold(
        id=row["id"],
        organisation_id=row["organisation_id"],
        dossier_id=row["dossier_id"],
        reason=row["reason"],
        placed_by=row["placed_by"],
        placed_at=rows.as_utc(row["placed_at"]),
        starts_on=row["starts_on"],
        ends_on=row["ends_on"],
        rule_id=row["rule_id"],
        rule_version=row["rule_version"],
        lifted_at=rows.optional_utc(row["lifted_at"]),
        lifted_by=row["lifted_by"],
        lift_reason=row["lift_reason"],
    )


def _hold_values(hold: Hold) -> dict[str, Any]:
    return dict(hold.__dict__)


def _state(row: RowMapping) -> LifecycleState:
    return LifecycleState(
        dossier_id=row["dossier_id"],
        organisation_id=row["organisation_id"],
        service_id=row["service_id"],
        phase=Phase(row["phase"]),
        since=row["since"],
        rule_id=row["rule_id"],
        rule_version=row["rule_version"],
        final_action=FinalAction(row["final_action"]) if row["final_action"] else None,
        due_on=row["due_on"],
        no_due_reason=NoDueDate(row["no_due_reason"]) if row["no_due_reason"] else None,
        sort_decision=SortDecision(row["sort_decision"]) if row["sort_decision"] else None,
        sorted_by=row["sorted_by"],
        transfer_reference=row["transfer_reference"],
        transfer_verified=bool(row["transfer_verified"]),
    )


def _state_values(s: LifecycleState) -> dict[str, Any]:
    return {
        **s.__dict__,
        "phase": s.phase.value,
        "final_action": s.final_action.value if s.final_action else None,
        "no_due_reason": s.no_due_reason.value if s.no_due_reason else None,
        "sort_decision": s.sort_decision.value if s.sort_decision else None,
    }


def _proposal(row: RowMapping) -> EliminationProposal:
    return EliminationProposal(
        id=row["id"],
        organisation_id=row["organisation_id"],
        status=ProposalStatus(row["status"]),
        created_by=row["created_by"],
        created_at=rows.as_utc(row["created_at"]),
        as_of=row["as_of"],
        decided_by=row["decided_by"],
        decided_at=rows.optional_utc(row["decided_at"]),
        decision_note=row["decision_note"],
        executed_by=row["executed_by"],
        executed_at=rows.optional_utc(row["executed_at"]),
    )


def _item(row: RowMapping) -> ProposalItem:
    return ProposalItem(
        proposal_id=row["proposal_id"],
        dossier_id=row["dossier_id"],
        service_id=row["service_id"],
        title=row["title"],
        reference=row["reference"],
        rule_id=row["rule_id"],
        rule_version=row["rule_version"],
        final_action=FinalAction(row["final_action"]),
        due_on=row["due_on"],
        status=ItemStatus(row["status"]),
        outcome=row["outcome"],
    )


def _item_values(item: ProposalItem) -> dict[str, Any]:
    return {
        **item.__dict__,
        "final_action": item.final_action.value,
        "status": item.status.value,
    }


def _tombstone(row: RowMapping) -> Tombstone:
    return Tombstone(
        dossier_id=row["dossier_id"],
        organisation_id=row["organisation_id"],
        kind=row["kind"],
        title=row["title"],
        reference=row["reference"],
        service_id=row["service_id"],
        rule_id=row["rule_id"],
        rule_version=row["rule_version"],
        proposal_id=row["proposal_id"],
        approved_by=row["approved_by"],
        approved_at=rows.optional_utc(row["approved_at"]),
        removed_by=row["removed_by"],
        removed_at=rows.as_utc(row["removed_at"]),
        documents=list(row["documents"] or []),
        digests=list(row["digests"] or []),
    )
