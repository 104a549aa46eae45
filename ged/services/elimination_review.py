"""What an archivist reads before giving or refusing the visa of an elimination (Code du
patrimoine R212-14: no destruction of public records without the visa of the archives' control):
the proposals waiting for it, and one proposal with, for each dossier, its service and covering
dates, the rule and rule version it would be destroyed under, its volume (documents, versions,
octets) and the derogations bound to it with their justification; once executed, what became
of each dossier and the tombstone kept of it.

Read-only, with the access rules of ``ged.services.eliminations`` (records officers, archivists
and administrators of the proposal's organisation; another organisation's proposal is not found,
exactly as a missing one). The visa itself is ``eliminations.approve_elimination``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ged.domain.access import Principal
from ged.domain.lifecycle import (
    Binding,
    BindingTarget,
    EliminationProposal,
    ProposalItem,
    ProposalStatus,
    Tombstone,
)
from ged.domain.model import Dossier
from ged.domain.retention import RetentionRule
from ged.services.admin import principal_names
from ged.services.context import Context
from ged.services.eliminations import get_proposal, list_proposals
from ged.services.lifecycle import RUNNERS
from ged.services.ports import UnitOfWork
from kernel.paging import Page

QUEUE_ROWS = 50


@dataclass(frozen=True)
class Volume:
    """What a dossier holds, or held: documents, their versions and the octets of those."""

    documents: int = 0
    versions: int = 0
    size: int = 0

    @classmethod
    def of(cls, documents: Iterable[Mapping[str, Any]]) -> Volume:
        """From ``dossier_content`` rows or a tombstone's ``documents`` (same shape)."""
        listed = list(documents)
        versions = [v for d in listed for v in d["versions"]]
        return cls(len(listed), len(versions), sum(int(v["size"]) for v in versions))

    def __add__(self, other: Volume) -> Volume:
        return Volume(
            self.documents + other.documents,
            self.versions + other.versions,
            self.size + other.size,
        )


@dataclass(frozen=True)
class Derogation:
    """A rule bound to the dossier itself, overriding its plan node, with its justification."""

    binding: Binding
    rule: RetentionRule | None


@dataclass(frozen=True)
class ReviewedItem:
    item: ProposalItem
    service: str
    dossier: Dossier | None
    rule: RetentionRule | None  # at the version the proposal relies on
    volume: Volume
    derogations: list[Derogation]
    tombstone: Tombstone | None


@dataclass(frozen=True)
class ProposalReview:
    proposal: EliminationProposal
    items: list[ReviewedItem]
    names: Mapping[str, str]  # principal id -> name, for the author, the visa and the execution
    may_execute: bool

    @property
    def volume(self) -> Volume:
        return sum((i.volume for i in self.items), Volume())

    def name(self, principal_id: str | None) -> str:
        return self.names.get(principal_id or "", "")


@dataclass(frozen=True)
class QueuedProposal:
    proposal: EliminationProposal
    author: str
    dossiers: int


@dataclass(frozen=True)
class VisaQueue:
    waiting: list[QueuedProposal]  # awaiting the visa, oldest first
    approved: list[QueuedProposal]  # given the visa, awaiting execution
    decided: list[QueuedProposal]  # refused or executed, newest first


def visa_queue(ctx: Context, actor: Principal, rows: int = QUEUE_ROWS) -> VisaQueue:
    """The organisation's proposals awaiting a visa, those approved awaiting execution, and the
    latest ones refused or executed."""

    def listed(status: ProposalStatus) -> list[EliminationProposal]:
        return list_proposals(ctx, actor, status, Page(rows))

    waiting = sorted(listed(ProposalStatus.PROPOSED), key=lambda p: p.created_at)
    approved = listed(ProposalStatus.APPROVED)
    decided = listed(ProposalStatus.REJECTED) + listed(ProposalStatus.EXECUTED)
    decided = sorted(decided, key=lambda p: p.decided_at or p.created_at, reverse=True)[:rows]
    with ctx.uow() as uow:
        names = principal_names(uow, [p.created_by for p in [*waiting, *approved, *decided]])

        def queued(found: list[EliminationProposal]) -> list[QueuedProposal]:
            return [
                QueuedProposal(p, names.get(p.created_by, ""), len(uow.lifecycle.items_of(p.id)))
                for p in found
            ]

        return VisaQueue(queued(waiting), queued(approved), queued(decided))


def review_proposal(ctx: Context, actor: Principal, proposal_id: str) -> ProposalReview:
    """The proposal and, for each dossier, what the visa is asked for."""
    found = get_proposal(ctx, actor, proposal_id)
    proposal = found.proposal
    org = proposal.organisation_id
    with ctx.uow() as uow:
        services = {s.id: s.name for s in uow.repo.list_services(org)}
        stones = {t.dossier_id: t for t in uow.lifecycle.tombstones_of(proposal.id)}
        derogations = _derogations(uow, org, [i.dossier_id for i in found.items])
        items = [
            ReviewedItem(
                item=item,
                service=services.get(item.service_id, ""),
                dossier=uow.repo.get_dossier(item.dossier_id),
                rule=uow.lifecycle.get_rule(org, item.rule_id, item.rule_version),
                volume=_volume(uow, item.dossier_id, stones.get(item.dossier_id)),
                derogations=derogations.get(item.dossier_id, []),
                tombstone=stones.get(item.dossier_id),
            )
            for item in found.items
        ]
        people = [proposal.created_by, proposal.decided_by, proposal.executed_by]
        names = principal_names(uow, [p for p in people if p])
    may_execute = proposal.status is ProposalStatus.APPROVED and actor.has(*RUNNERS)
    return ProposalReview(proposal, items, names, may_execute)


def _volume(uow: UnitOfWork, dossier_id: str, stone: Tombstone | None) -> Volume:
    """What the dossier holds now; once eliminated, what its tombstone says it held."""
    if stone is not None:
        return Volume.of(stone.documents)
    return Volume.of(uow.lifecycle.dossier_content(dossier_id))


def _derogations(
    uow: UnitOfWork, org: str, dossier_ids: Sequence[str]
) -> dict[str, list[Derogation]]:
    bindings = uow.lifecycle.list_bindings(org, BindingTarget.DOSSIER, dossier_ids)
    rules = uow.lifecycle.current_rules(org, {b.rule_id for b in bindings})
    found: dict[str, list[Derogation]] = {}
    for binding in bindings:
        found.setdefault(binding.target_id, []).append(
            Derogation(binding, rules.get(binding.rule_id))
        )
    return found
