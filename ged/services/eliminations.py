"""Elimination with a visa (Code du patrimoine R212-14: no destruction of public records
without the approval of the archives' control authority), and the purge after a transfer.

1. ``propose_eliminations`` brings the phases up to date, then lists the due dossiers whose
   final action is Destroy, or Sort decided "destroy" by an archivist, that are neither held nor
   already in an open proposal. Each item records the rule and the rule version it relies on.
2. ``elimination_slip`` renders the proposal as a bordereau d'élimination (CSV or printable
   HTML) for signature.
3. ``approve_elimination``: a person holding the archivist role, other than the author, whose role
   was not granted by the author nor after the proposal (``ged.domain.visa``), gives the visa;
   each refusal is committed to the operation log with its reason. The transition is
   a conditional UPDATE (``status = 'proposed'``): of two concurrent approvals exactly one
   succeeds, the other gets 409.
4. ``execute_elimination`` (approved → executed, conditional in the same way) locks every
   dossier, re-checks it (a hold wins; a changed rule version voids the visa for that dossier),
   deletes documents, versions, texts and index entries, keeps a tombstone, then removes each
   blob that no version anywhere still references.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from ged.domain.access import Principal
from ged.domain.lifecycle import (
    EliminationProposal,
    ItemStatus,
    LifecycleState,
    Phase,
    ProposalItem,
    ProposalStatus,
    Tombstone,
    TransferNotVerified,
    elimination_blocker,
    ensure_can_purge,
    require_reason,
    with_phase,
)
from ged.domain.model import Dossier, Role
from ged.domain.retention import FinalAction
from ged.domain.visa import approval_refusal
from ged.services.context import Context, new_id
from ged.services.lifecycle import (
    RUNNERS,
    evaluate,
    load_referential,
    lock_for_action,
    record,
    refresh,
    run_lifecycle,
)
from ged.services.ports import UnitOfWork
from ged.services.transfer_replies import verified_archives
from kernel.errors import ConflictError, NotFoundError
from kernel.paging import Page

log = logging.getLogger("gedsae.eliminations")


class ProposalNotFound(NotFoundError):
    code = "proposal_not_found"
    title = "Proposition d'élimination introuvable"


class ProposalNotPending(ConflictError):
    code = "proposal_not_pending"
    title = "La proposition n'attend plus de visa"


class ProposalNotApproved(ConflictError):
    code = "proposal_not_approved"
    title = "La proposition n'a pas reçu de visa, ou a déjà été exécutée"


class NothingToPropose(ConflictError):
    code = "nothing_to_propose"
    title = "Aucun dossier à proposer à l'élimination"


@dataclass(frozen=True)
class Proposal:
    proposal: EliminationProposal
    items: list[ProposalItem]


@dataclass
class Execution:
    proposal_id: str
    eliminated: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # dossier -> blocker code
    blobs_removed: int = 0


# -- proposing --------------------------------------------------------------------------------
def propose_eliminations(
    ctx: Context,
    actor: Principal,
    as_of: date | None = None,
    dossier_ids: Iterable[str] | None = None,
) -> Proposal:
    actor.ensure_role(*RUNNERS)
    day = as_of or ctx.clock().date()
    run_lifecycle(ctx, actor, day)
    wanted = set(dossier_ids) if dossier_ids is not None else None
    with ctx.uow() as uow:
        candidates = _candidates(uow, actor.organisation_id, (day, ctx.clock().date()), wanted)
        if not candidates:
            raise NothingToPropose("Aucun dossier échu à détruire qui ne soit gelé ou déjà proposé")
        proposal = EliminationProposal(
            new_id(), actor.organisation_id, ProposalStatus.PROPOSED, actor.id, ctx.clock(), day
        )
        items = [_item(proposal.id, state, dossier) for state, dossier in candidates]
        uow.lifecycle.add_proposal(proposal, items)
        details = {"as_of": day.isoformat(), "dossiers": [i.dossier_id for i in items]}
        uow.log(
            actor.id,
            "elimination.propose",
            "elimination",
            proposal.id,
            proposal.organisation_id,
            details,
        )
        uow.commit()
    return Proposal(proposal, items)


def elimination_candidates(
    ctx: Context, actor: Principal, as_of: date | None = None
) -> list[tuple[LifecycleState, Dossier]]:
    """What a proposal on ``as_of`` would list, as the phases were last recorded (proposing
    brings them up to date first): due dossiers to destroy, neither held nor already proposed.
    Nothing is written."""
    actor.ensure_role(*RUNNERS)
    days = (as_of or ctx.clock().date(), ctx.clock().date())
    with ctx.uow() as uow:
        return _candidates(uow, actor.organisation_id, days, None)


def _candidates(
    uow: UnitOfWork, org: str, days: tuple[date, date], wanted: set[str] | None
) -> list[tuple[LifecycleState, Dossier]]:
    """Due dossiers to destroy, neither in an open proposal nor held on ``as_of`` or today."""
    taken = uow.lifecycle.dossiers_in_open_proposals(org)
    states = [
        s
        for s in uow.lifecycle.states_in_phase(org, Phase.DUE, limit=100_000)
        if s.resolved_action is FinalAction.DESTROY
        and s.dossier_id not in taken
        and (wanted is None or s.dossier_id in wanted)
    ]
    holds = uow.lifecycle.holds_for([s.dossier_id for s in states])
    found = []
    for state in states:
        if any(h.active_on(day) for h in holds.get(state.dossier_id, []) for day in days):
            continue
        dossier = uow.repo.get_dossier(state.dossier_id)
        if dossier is not None:
            found.append((state, dossier))
    return found


def _item(proposal_id: str, state: LifecycleState, dossier: Dossier) -> ProposalItem:
    assert state.rule_id is not None and state.rule_version is not None and state.final_action
    return ProposalItem(
        proposal_id=proposal_id,
        dossier_id=dossier.id,
        service_id=dossier.service_id,
        title=dossier.title,
        reference=dossier.reference,
        rule_id=state.rule_id,
        rule_version=state.rule_version,
        final_action=state.final_action,
        due_on=state.due_on,
        outcome="sorted_for_destruction" if state.sort_decision else "dua_over_destroy",
    )


# -- reading ----------------------------------------------------------------------------------
def get_proposal(ctx: Context, actor: Principal, proposal_id: str) -> Proposal:
    actor.ensure_role(*RUNNERS)
    with ctx.uow() as uow:
        proposal = _load(uow, actor, proposal_id)
        return Proposal(proposal, uow.lifecycle.items_of(proposal.id))


def list_proposals(
    ctx: Context,
    actor: Principal,
    status: ProposalStatus | None = None,
    page: Page | None = None,
) -> list[EliminationProposal]:
    """The organisation's proposals, newest first: all of them, or one page."""
    actor.ensure_role(*RUNNERS)
    with ctx.uow() as uow:
        return uow.lifecycle.list_proposals(actor.organisation_id, status, page)


def _load(uow: UnitOfWork, actor: Principal, proposal_id: str) -> EliminationProposal:
    proposal = uow.lifecycle.get_proposal(actor.organisation_id, proposal_id)
    if proposal is None:
        raise ProposalNotFound(f"Proposition d'élimination {proposal_id} introuvable")
    return proposal


# -- the visa ---------------------------------------------------------------------------------
def approve_elimination(
    ctx: Context, actor: Principal, proposal_id: str, note: str = ""
) -> EliminationProposal:
    return _decide(ctx, actor, proposal_id, ProposalStatus.APPROVED, note)


def reject_elimination(
    ctx: Context, actor: Principal, proposal_id: str, note: str = ""
) -> EliminationProposal:
    """An archivist refuses the visa (or the author withdraws the proposal), always saying why:
    the reason is kept with the proposal and in the operation log."""
    require_reason(note, "Refus du visa", path="note")
    return _decide(ctx, actor, proposal_id, ProposalStatus.REJECTED, note)


def _decide(
    ctx: Context, actor: Principal, proposal_id: str, outcome: ProposalStatus, note: str
) -> EliminationProposal:
    now = ctx.clock()
    with ctx.uow() as uow:
        proposal = _load(uow, actor, proposal_id)
        if outcome is ProposalStatus.APPROVED:
            _ensure_approver(uow, proposal, actor)
        elif actor.id != proposal.created_by:
            actor.ensure_role(Role.ARCHIVIST)
        moved = uow.lifecycle.move_proposal(
            proposal.id,
            ProposalStatus.PROPOSED,
            outcome,
            decided_by=actor.id,
            decided_at=now,
            decision_note=note,
        )
        if not moved:
            raise ProposalNotPending(f"La proposition {proposal.id} a déjà été traitée")
        action = (
            "elimination.approve" if outcome is ProposalStatus.APPROVED else "elimination.reject"
        )
        uow.log(
            actor.id, action, "elimination", proposal.id, proposal.organisation_id, {"note": note}
        )
        uow.commit()
    return replace(
        proposal, status=outcome, decided_by=actor.id, decided_at=now, decision_note=note
    )


def _ensure_approver(uow: UnitOfWork, proposal: EliminationProposal, actor: Principal) -> None:
    """R212-14: raises the reason the visa is refused, after committing that refusal to the
    operation log (with its code) so that attempts to get round the two-person rule are kept."""
    grant = uow.access.role_grant(actor.id, Role.ARCHIVIST)
    refusal = approval_refusal(proposal.created_by, proposal.created_at, actor, grant)
    if refusal is None:
        return
    log.warning(
        "elimination approval refused: proposal=%s approver=%s reason=%s",
        proposal.id,
        actor.id,
        refusal.code,
    )
    details = {"reason": refusal.code, "author": proposal.created_by}
    uow.log(
        actor.id,
        "elimination.approval_refused",
        "elimination",
        proposal.id,
        proposal.organisation_id,
        details,
    )
    uow.commit()
    raise refusal


# -- execution --------------------------------------------------------------------------------
def execute_elimination(ctx: Context, actor: Principal, proposal_id: str) -> Execution:
    actor.ensure_role(*RUNNERS)
    now = ctx.clock()
    day = now.date()
    report = Execution(proposal_id)
    digests: list[str] = []
    with ctx.uow() as uow:
        proposal = _load(uow, actor, proposal_id)
        claimed = uow.lifecycle.move_proposal(
            proposal.id,
            ProposalStatus.APPROVED,
            ProposalStatus.EXECUTED,
            executed_by=actor.id,
            executed_at=now,
        )
        if not claimed:
            raise ProposalNotApproved(
                f"La proposition {proposal.id} n'est pas visée ou déjà exécutée"
            )
        items = {i.dossier_id: i for i in uow.lifecycle.items_of(proposal.id)}
        dossiers = {d: lock_for_action(uow, actor, d) for d in sorted(items)}
        ref = load_referential(uow, actor.organisation_id)
        for ev in evaluate(uow, ref, list(dossiers.values()), day):
            item = items[ev.facts.dossier_id]
            state = record(uow, actor, ev, day)
            blocker = elimination_blocker(state, ev.held, item.rule_id, item.rule_version)
            if blocker is not None:
                uow.lifecycle.set_item(
                    proposal.id, item.dossier_id, ItemStatus.SKIPPED, blocker.value
                )
                report.skipped[item.dossier_id] = blocker.value
                continue
            dossier = dossiers[item.dossier_id]
            stone = remove_content(uow, actor, dossier, state, "eliminated", now, proposal)
            uow.lifecycle.save_state(with_phase(state, Phase.ELIMINATED, day), new=False)
            uow.lifecycle.set_item(proposal.id, item.dossier_id, ItemStatus.ELIMINATED, "")
            details = {
                "proposal_id": proposal.id,
                "rule_id": item.rule_id,
                "rule_version": item.rule_version,
                "approved_by": proposal.decided_by,
                "digests": stone.digests,
            }
            uow.log(
                actor.id,
                "elimination.execute",
                "dossier",
                dossier.id,
                dossier.organisation_id,
                details,
            )
            report.eliminated.append(dossier.id)
            digests.extend(stone.digests)
        uow.commit()
    report.blobs_removed = purge_blobs(ctx, digests)
    return report


def remove_content(
    uow: UnitOfWork,
    actor: Principal,
    dossier: Dossier,
    state: LifecycleState,
    kind: str,
    now: datetime,
    proposal: EliminationProposal | None = None,
) -> Tombstone:
    """Deletes the dossier's documents, versions, texts and index entries and records the
    tombstone; the blobs are removed after the commit (``purge_blobs``)."""
    content = uow.lifecycle.dossier_content(dossier.id)
    for document in content:
        uow.repo.search.remove(int(document["pk"]))
    uow.lifecycle.delete_dossier_content(dossier.id)
    documents = [
        {
            "id": d["id"],
            "versions": [
                {k: v[k] for k in ("number", "sha256", "sha512", "size")} for v in d["versions"]
            ],
        }
        for d in content
    ]
    stone = Tombstone(
        dossier_id=dossier.id,
        organisation_id=dossier.organisation_id,
        kind=kind,
        title=dossier.title,
        reference=dossier.reference,
        service_id=dossier.service_id,
        rule_id=state.rule_id,
        rule_version=state.rule_version,
        proposal_id=proposal.id if proposal else None,
        approved_by=proposal.decided_by if proposal else None,
        approved_at=proposal.decided_at if proposal else None,
        removed_by=actor.id,
        removed_at=now,
        documents=documents,
        digests=sorted({v["sha256"] for d in documents for v in d["versions"]}),
    )
    uow.lifecycle.add_tombstone(stone)
    return stone


def purge_blobs(ctx: Context, digests: Sequence[str]) -> int:
    """Removes each blob no version references any more. The check, the row's removal and the
    file's removal happen in one transaction, so no new version can start referencing the blob
    in between (SQLite: the write lock; PostgreSQL: the version would need the blob row)."""
    removed = 0
    for sha256 in sorted(set(digests)):
        with ctx.uow() as uow:
            if uow.repo.blob_referenced(sha256):
                continue
            uow.repo.delete_blob_row(sha256)
            if ctx.replica is not None:  # first: if it fails, the row and main copy stay
                ctx.replica.delete(sha256)
            ctx.blobs.delete(sha256)
            uow.commit()
        removed += 1
    return removed


def tombstone(ctx: Context, actor: Principal, dossier_id: str) -> Tombstone:
    actor.ensure_role(*RUNNERS)
    with ctx.uow() as uow:
        stone = uow.lifecycle.get_tombstone(dossier_id)
    if stone is None or stone.organisation_id != actor.organisation_id:
        raise NotFoundError("Aucune trace d'élimination ou de purge pour ce dossier")
    return stone


# -- purge after a transfer -------------------------------------------------------------------
def purge_transferred(ctx: Context, actor: Principal, dossier_id: str) -> Tombstone:
    """Removes the local content of a permanent dossier, only once the repository's positive
    reply to its transfer, received and verified by the transfer loop, names its archive."""
    actor.ensure_role(*RUNNERS)
    now = ctx.clock()
    with ctx.uow() as uow:
        dossier = lock_for_action(uow, actor, dossier_id)
        state, ev = refresh(uow, actor, dossier, now.date())
        ensure_can_purge(state, ev.held)
        _ensure_archived(uow, dossier, state)
        if uow.lifecycle.get_tombstone(dossier.id) is not None:
            raise ConflictError("Le contenu de ce dossier a déjà été purgé")
        stone = remove_content(uow, actor, dossier, state, "transferred", now)
        details = {"digests": stone.digests, "transfer_reference": state.transfer_reference}
        uow.log(
            actor.id, "lifecycle.purge", "dossier", dossier.id, dossier.organisation_id, details
        )
        uow.commit()
    purge_blobs(ctx, stone.digests)
    return stone


def _ensure_archived(uow: UnitOfWork, dossier: Dossier, state: LifecycleState) -> None:
    """The transfer the dossier left under ended in a verified positive reply that gives it an
    archive identifier; the lifecycle state alone is not enough."""
    reference = state.transfer_reference
    if not verified_archives(uow, dossier.organisation_id, dossier.id, reference):
        raise TransferNotVerified(
            "Aucune réponse positive reçue et vérifiée par gedsae ne nomme l'archive de ce dossier"
        )
