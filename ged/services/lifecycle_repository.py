"""The port of the lifecycle's persistence: rules, bindings, holds, states, eliminations.

Implemented by ``ged.adapters.db.lifecycle_repository.SqlLifecycleRepository``; mypy checks that
the adapter satisfies it (``SqlUnitOfWork.lifecycle``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from ged.domain.lifecycle import (
    Binding,
    BindingTarget,
    DossierEvent,
    EliminationProposal,
    Hold,
    ItemStatus,
    LifecycleState,
    Phase,
    ProposalItem,
    ProposalStatus,
    Tombstone,
)
from ged.domain.model import Dossier
from ged.domain.retention import RetentionRule
from kernel.paging import Page
from kernel.retention import RuleCategory


class LifecycleRepository(Protocol):
    def current_rules(
        self, org_id: str, identifiers: Iterable[str] | None = None
    ) -> dict[str, RetentionRule]: ...

    def rule_heads(self, org_id: str) -> dict[str, tuple[RetentionRule, str]]: ...

    def rule_versions(self, org_id: str, identifier: str) -> list[tuple[RetentionRule, str]]: ...

    def get_rule(
        self, org_id: str, identifier: str, version: int | None = None
    ) -> RetentionRule | None: ...

    def add_rule_version(self, org_id: str, rule: RetentionRule, at: datetime, by: str) -> None: ...

    def retire_rule(self, org_id: str, identifier: str) -> None: ...

    def rules_in_use(self, org_id: str) -> set[str]: ...

    def put_binding(self, binding: Binding) -> Binding | None: ...

    def delete_binding(
        self, org_id: str, target: BindingTarget, target_id: str, category: RuleCategory
    ) -> bool: ...

    def list_bindings(
        self,
        org_id: str,
        target: BindingTarget | None = None,
        target_ids: Sequence[str] | None = None,
    ) -> list[Binding]: ...

    def set_event(
        self, dossier_id: str, key: str, name: str, on: date, at: datetime, by: str
    ) -> None: ...

    def events_for(self, dossier_ids: Sequence[str]) -> dict[str, dict[str, date]]: ...

    def events_of(self, dossier_id: str) -> list[DossierEvent]: ...

    def add_hold(self, hold: Hold) -> None: ...

    def get_hold(self, org_id: str, hold_id: str) -> Hold | None: ...

    def lift_hold(self, hold_id: str, at: datetime, by: str, reason: str) -> bool: ...

    def holds_for(self, dossier_ids: Sequence[str]) -> dict[str, list[Hold]]: ...

    def list_holds(
        self, org_id: str, dossier_id: str | None = None, include_lifted: bool = False
    ) -> list[Hold]: ...

    def lock_dossier(self, dossier_id: str) -> Dossier | None: ...

    def dossier_batch(
        self, org_id: str, after_id: str, limit: int, service_ids: frozenset[str] | None = None
    ) -> list[Dossier]: ...

    def last_document_dates(self, dossier_ids: Sequence[str]) -> dict[str, date]: ...

    def document_types(self, dossier_ids: Sequence[str]) -> dict[str, frozenset[str]]: ...

    def get_state(self, dossier_id: str) -> LifecycleState | None: ...

    def states_for(self, dossier_ids: Sequence[str]) -> dict[str, LifecycleState]: ...

    def save_state(self, state: LifecycleState, *, new: bool) -> None: ...

    def phase_counts(self, org_id: str, service_ids: frozenset[str] | None) -> dict[str, int]: ...

    def states_in_phase(
        self, org_id: str, phase: Phase, limit: int = 10000, after_id: str = ""
    ) -> list[LifecycleState]: ...

    def dossier_content(self, dossier_id: str) -> list[dict[str, Any]]: ...

    def delete_dossier_content(self, dossier_id: str) -> None: ...

    def add_tombstone(self, stone: Tombstone) -> None: ...

    def get_tombstone(self, dossier_id: str) -> Tombstone | None: ...

    def tombstones_of(self, proposal_id: str) -> list[Tombstone]: ...

    def add_proposal(
        self, proposal: EliminationProposal, items: Iterable[ProposalItem]
    ) -> None: ...

    def get_proposal(self, org_id: str, proposal_id: str) -> EliminationProposal | None: ...

    def list_proposals(
        self, org_id: str, status: ProposalStatus | None = None, page: Page | None = None
    ) -> list[EliminationProposal]: ...

    def items_of(self, proposal_id: str) -> list[ProposalItem]: ...

    def dossiers_in_open_proposals(self, org_id: str) -> set[str]: ...

    def move_proposal(
        self, proposal_id: str, expected: ProposalStatus, new: ProposalStatus, **values: Any
    ) -> bool: ...

    def set_item(
        self, proposal_id: str, dossier_id: str, status: ItemStatus, outcome: str
    ) -> None: ...
