"""Retention rules, bindings, holds, the lifecycle engine and eliminations over HTTP.

Roles come from the GED core: records officers manage rules, bindings and holds; archivists
sort and give the elimination visa; whoever reads a dossier sees its phase and rules.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ged.api.deps import Caller, Ctx
from ged.api.paging import Limit, Offset
from ged.api.schemas import DossierOut
from ged.domain.lifecycle import (
    Binding,
    BindingTarget,
    DossierEvent,
    EliminationProposal,
    ForecastRow,
    Hold,
    LifecycleState,
    Phase,
    ProposalItem,
    ProposalStatus,
    SortDecision,
    Tombstone,
)
from ged.domain.retention import RetentionRule
from ged.services import eliminations, holds, lifecycle, rules
from ged.services.elimination_slip import (
    authorization_request,
    destruction_notification,
    elimination_slip,
)
from ged.services.rules import RulesFormat
from kernel.errors import PayloadTooLargeError
from kernel.openapi_problems import files
from kernel.paging import MAX_LIMIT, Page
from kernel.retention import RuleCategory
from kernel.rules_referential import MAX_IMPORT_BYTES
from seda.versions import SedaVersion

router = APIRouter(tags=["cycle de vie"])
EXPORT_TYPES = {
    "vitam": "text/csv; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


# -- bodies -----------------------------------------------------------------------------------
class RuleOut(BaseModel):
    identifier: str
    version: int
    category: RuleCategory
    label: str
    duration: str | None = Field(description="ISO 8601, 'unlimited', or null")
    duration_fr: str | None
    start_event: str | None
    final_action: str | None
    legal_reference: str
    notes: str
    status: str = "current"
    alternative_duration: str | None = Field(
        default=None, description="ISO 8601: « ou … si ce délai est plus bref » (L213-2)"
    )
    alternative_start_event: str | None = None

    @classmethod
    def of(cls, rule: RetentionRule, status: str = "current") -> RuleOut:
        d, alt = rule.duration, rule.alternative
        return cls(
            identifier=rule.identifier,
            version=rule.version,
            category=rule.category,
            label=rule.label,
            duration=None if d is None else ("unlimited" if d.unlimited else d.to_iso()),
            duration_fr=d.to_french() if d else None,
            start_event=rule.start_event.to_french() if rule.start_event else None,
            final_action=rule.final_action.value if rule.final_action else None,
            legal_reference=rule.legal_reference,
            notes=rule.notes,
            status=status,
            alternative_duration=alt.duration.to_iso() if alt else None,
            alternative_start_event=alt.start_event.to_french() if alt else None,
        )


class ImportOut(BaseModel):
    created: list[str]
    revised: list[str]
    unchanged: list[str]
    retired: list[str]


class BindingIn(BaseModel):
    target: BindingTarget
    target_id: str = Field(min_length=1, max_length=200)
    rule_id: str = Field(min_length=1, max_length=200)
    justification: str = Field(default="", max_length=10_000)


class BindingOut(BaseModel):
    target: BindingTarget
    target_id: str
    category: RuleCategory
    rule_id: str
    justification: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, b: Binding) -> BindingOut:
        return cls(**{k: getattr(b, k) for k in cls.model_fields})


class EffectiveRuleOut(BaseModel):
    category: RuleCategory
    rule: RuleOut
    source: BindingTarget
    source_id: str
    inherited: bool
    justification: str
    starts_on: date | None
    ends_on: date | None
    no_end_reason: str | None


class HoldIn(BaseModel):
    dossier_id: str
    reason: str = Field(min_length=1, max_length=10_000)
    ends_on: date | None = None
    rule_id: str | None = None


class LiftIn(BaseModel):
    reason: str = Field(min_length=1, max_length=10_000)


class HoldOut(BaseModel):
    id: str
    dossier_id: str
    reason: str
    placed_by: str
    placed_at: datetime
    starts_on: date
    ends_on: date | None
    rule_id: str | None
    rule_version: int | None
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str

    @classmethod
    def of(cls, h: Hold) -> HoldOut:
        return cls(**{k: getattr(h, k) for k in cls.model_fields})


class StateOut(BaseModel):
    dossier_id: str
    phase: Phase
    since: date
    rule_id: str | None
    rule_version: int | None
    final_action: str | None
    due_on: date | None
    no_due_reason: str | None
    sort_decision: SortDecision | None
    transfer_reference: str | None
    transfer_verified: bool

    @classmethod
    def of(cls, s: LifecycleState) -> StateOut:
        values = {k: getattr(s, k) for k in cls.model_fields}
        values["final_action"] = s.final_action.value if s.final_action else None
        values["no_due_reason"] = s.no_due_reason.value if s.no_due_reason else None
        return cls(**values)


class DossierLifecycleOut(BaseModel):
    dossier_id: str
    phase: Phase | None = Field(description="Recorded by the engine; null before its first run")
    computed_phase: Phase = Field(description="What the rules give today, holds aside")
    state: StateOut | None
    due_on: date | None
    no_due_reason: str | None
    held: bool
    rules: list[EffectiveRuleOut]
    holds: list[HoldOut]
    communicable_on: date | None = Field(
        description="The end of the AccessRule: from its start event's date when known"
    )
    communicability_reason: str | None = Field(
        description="Why there is no date: no_access_rule, missing_start_date, unlimited…"
    )


class EventIn(BaseModel):
    name: str = Field(min_length=1, max_length=500)
    on: date


class EventOut(BaseModel):
    name: str
    on: date
    recorded_at: datetime
    recorded_by: str

    @classmethod
    def of(cls, e: DossierEvent) -> EventOut:
        return cls(name=e.name, on=e.on, recorded_at=e.recorded_at, recorded_by=e.recorded_by)


class SortIn(BaseModel):
    decision: SortDecision
    note: str = Field(default="", max_length=10_000)


class RunIn(BaseModel):
    as_of: date | None = Field(default=None, description="Today by default; never a day to come")
    dry_run: bool = Field(default=False, description="Report what would change, write nothing")


class RunOut(BaseModel):
    as_of: date
    examined: int
    transitions: list[dict[str, str | None]]
    held_back: int
    dry_run: bool


class ForecastOut(BaseModel):
    month: str
    final_action: str
    service_id: str
    service_name: str
    count: int
    held: int

    @classmethod
    def of(cls, row: ForecastRow, names: dict[str, str]) -> ForecastOut:
        return cls(**row.__dict__, service_name=names.get(row.service_id, row.service_id))


class ProposeIn(BaseModel):
    as_of: date | None = None
    dossier_ids: list[str] | None = None


class DecisionIn(BaseModel):
    note: str = Field(
        default="",
        max_length=10_000,
        description="Observations du visa ; motif d'un refus (obligatoire)",
    )


class ItemOut(BaseModel):
    dossier_id: str
    service_id: str
    title: str
    reference: str
    rule_id: str
    rule_version: int
    final_action: str
    due_on: date | None
    status: str
    outcome: str

    @classmethod
    def of(cls, i: ProposalItem) -> ItemOut:
        values = {k: getattr(i, k) for k in cls.model_fields}
        return cls(**{**values, "final_action": i.final_action.value, "status": i.status.value})


class ProposalOut(BaseModel):
    id: str
    status: ProposalStatus
    as_of: date
    created_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    executed_by: str | None
    executed_at: datetime | None
    items: list[ItemOut] | None = None

    @classmethod
    def of(cls, p: EliminationProposal, items: list[ProposalItem] | None = None) -> ProposalOut:
        values = {k: getattr(p, k) for k in cls.model_fields if k != "items"}
        return cls(**values, items=[ItemOut.of(i) for i in items] if items is not None else None)


class ExecutionOut(BaseModel):
    proposal_id: str
    eliminated: list[str]
    skipped: dict[str, str]
    blobs_removed: int


class TombstoneOut(BaseModel):
    dossier_id: str
    kind: str
    title: str
    reference: str
    service_id: str
    rule_id: str | None
    rule_version: int | None
    proposal_id: str | None
    approved_by: str | None
    approved_at: datetime | None
    removed_by: str
    removed_at: datetime
    documents: list[dict[str, object]]
    digests: list[str]

    @classmethod
    def of(cls, t: Tombstone) -> TombstoneOut:
        return cls(**{k: getattr(t, k) for k in cls.model_fields})


# -- rules ------------------------------------------------------------------------------------
@router.get("/rules", response_model=list[RuleOut])
async def list_rules(
    ctx: Ctx,
    caller: Caller,
    category: RuleCategory | None = None,
    limit: Limit = MAX_LIMIT,
    offset: Offset = 0,
) -> list[RuleOut]:
    page = Page(limit, offset)
    found = await run_in_threadpool(rules.list_rules, ctx, caller, category, page)
    return [RuleOut.of(r) for r in found]


@router.get(
    "/rules/export",
    response_class=Response,
    responses=files("text/csv", *list(EXPORT_TYPES.values())[2:]),
)
async def export_rules(
    ctx: Ctx, caller: Caller, format: Literal["vitam", "csv", "xlsx", "ods"] = "vitam"
) -> Response:
    buffer = io.BytesIO()
    await run_in_threadpool(rules.export_rules, ctx, caller, format, buffer)
    extension = "csv" if format == "vitam" else format
    headers = {"Content-Disposition": f'attachment; filename="regles.{extension}"'}
    return Response(buffer.getvalue(), media_type=EXPORT_TYPES[format], headers=headers)


@router.post("/rules/import", response_model=ImportOut)
async def import_rules(
    request: Request,
    ctx: Ctx,
    caller: Caller,
    format: Literal["vitam", "csv", "xlsx", "ods"] = "vitam",
    replace: bool = False,
) -> ImportOut:
    """The file is the request body. All or nothing: a refused file answers 422 with every
    bad row (line, column, code, message)."""
    length = request.headers.get("content-length", "")
    if length.isdecimal() and int(length) > MAX_IMPORT_BYTES:
        raise PayloadTooLargeError("Fichier de règles trop volumineux")
    # Read one byte past the limit at most: the service refuses a longer file (chunked
    # uploads declare no length), and the rest is never held in memory.
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_IMPORT_BYTES:
            break
    fmt: RulesFormat = format
    report = await run_in_threadpool(
        lambda: rules.import_rules(ctx, caller, io.BytesIO(body), fmt, replace=replace)
    )
    return ImportOut(**report.__dict__)


@router.get("/rules/{identifier}/versions", response_model=list[RuleOut])
async def rule_versions(identifier: str, ctx: Ctx, caller: Caller) -> list[RuleOut]:
    found = await run_in_threadpool(rules.rule_history, ctx, caller, identifier)
    return [RuleOut.of(rule, status) for rule, status in found]


# -- bindings ---------------------------------------------------------------------------------
@router.get("/bindings", response_model=list[BindingOut])
async def list_bindings(
    ctx: Ctx, caller: Caller, target: BindingTarget | None = None
) -> list[BindingOut]:
    found = await run_in_threadpool(rules.list_bindings, ctx, caller, target)
    return [BindingOut.of(b) for b in found]


@router.put("/bindings", response_model=BindingOut)
async def bind_rule(body: BindingIn, ctx: Ctx, caller: Caller) -> BindingOut:
    binding = await run_in_threadpool(
        rules.bind_rule, ctx, caller, body.target, body.target_id, body.rule_id, body.justification
    )
    return BindingOut.of(binding)


@router.delete("/bindings", status_code=204)
async def unbind_rule(
    ctx: Ctx,
    caller: Caller,
    target: BindingTarget,
    target_id: str,
    category: RuleCategory,
    justification: str = "",
) -> Response:
    await run_in_threadpool(
        rules.unbind_rule, ctx, caller, target, target_id, category, justification
    )
    return Response(status_code=204)


# -- a dossier's lifecycle --------------------------------------------------------------------
@router.get("/dossiers/{dossier_id}/lifecycle", response_model=DossierLifecycleOut)
async def dossier_lifecycle(
    dossier_id: str, ctx: Ctx, caller: Caller, as_of: date | None = None
) -> DossierLifecycleOut:
    view = await run_in_threadpool(lifecycle.dossier_lifecycle, ctx, caller, dossier_id, as_of)
    return lifecycle_out(view)


class DossierDetailOut(DossierOut):
    """A dossier with its lifecycle: phase, effective rules and where each comes from, holds."""

    lifecycle: DossierLifecycleOut


def lifecycle_out(view: lifecycle.DossierLifecycle) -> DossierLifecycleOut:
    computed = view.computed
    return DossierLifecycleOut(
        dossier_id=view.dossier.id,
        phase=view.state.phase if view.state else None,
        computed_phase=computed.phase,
        state=StateOut.of(view.state) if view.state else None,
        due_on=computed.due_on,
        no_due_reason=computed.no_due_reason.value if computed.no_due_reason else None,
        held=bool(view.holds),
        rules=[
            EffectiveRuleOut(
                category=r.category,
                rule=RuleOut.of(r.effective.rule),
                source=r.effective.source,
                source_id=r.effective.source_id,
                inherited=r.effective.inherited,
                justification=r.effective.justification,
                starts_on=r.starts_on,
                ends_on=r.end.date,
                no_end_reason=r.end.reason.value if r.end.reason else None,
            )
            for r in view.rules
        ],
        holds=[HoldOut.of(h) for h in view.holds],
        communicable_on=view.access.end.date if view.access else None,
        communicability_reason=_communicability_reason(view.access),
    )


def _communicability_reason(access: lifecycle.RuleView | None) -> str | None:
    if access is None:
        return "no_access_rule"
    return access.end.reason.value if access.end.reason else None


@router.post("/dossiers/{dossier_id}/events", status_code=204)
async def record_event(dossier_id: str, body: EventIn, ctx: Ctx, caller: Caller) -> Response:
    await run_in_threadpool(lifecycle.record_event, ctx, caller, dossier_id, body.name, body.on)
    return Response(status_code=204)


@router.get("/dossiers/{dossier_id}/events", response_model=list[EventOut])
async def list_events(dossier_id: str, ctx: Ctx, caller: Caller) -> list[EventOut]:
    """The business events recorded on the dossier (start dates of its rules), by date."""
    found = await run_in_threadpool(lifecycle.list_events, ctx, caller, dossier_id)
    return [EventOut.of(e) for e in found]


@router.post("/dossiers/{dossier_id}/sort", response_model=StateOut)
async def sort_dossier(dossier_id: str, body: SortIn, ctx: Ctx, caller: Caller) -> StateOut:
    state = await run_in_threadpool(
        lifecycle.sort_dossier, ctx, caller, dossier_id, body.decision, body.note
    )
    return StateOut.of(state)


# A dossier leaves through POST /transfers (ged.api.transfers) and becomes permanent only on a
# repository's reply that the transfer loop verified: no route declares a transfer started or
# accepted. The purge below removes content only once such a reply names the dossier's archive.
@router.post("/dossiers/{dossier_id}/purge", response_model=TombstoneOut)
async def purge(dossier_id: str, ctx: Ctx, caller: Caller) -> TombstoneOut:
    stone = await run_in_threadpool(eliminations.purge_transferred, ctx, caller, dossier_id)
    return TombstoneOut.of(stone)


@router.get("/dossiers/{dossier_id}/tombstone", response_model=TombstoneOut)
async def get_tombstone(dossier_id: str, ctx: Ctx, caller: Caller) -> TombstoneOut:
    return TombstoneOut.of(await run_in_threadpool(eliminations.tombstone, ctx, caller, dossier_id))


# -- holds ------------------------------------------------------------------------------------
@router.get("/holds", response_model=list[HoldOut])
async def list_holds(
    ctx: Ctx, caller: Caller, dossier_id: str | None = None, include_lifted: bool = False
) -> list[HoldOut]:
    found = await run_in_threadpool(holds.list_holds, ctx, caller, dossier_id, include_lifted)
    return [HoldOut.of(h) for h in found]


@router.post("/holds", status_code=201, response_model=HoldOut)
async def place_hold(body: HoldIn, ctx: Ctx, caller: Caller) -> HoldOut:
    hold = await run_in_threadpool(
        lambda: holds.place_hold(
            ctx, caller, body.dossier_id, body.reason, ends_on=body.ends_on, rule_id=body.rule_id
        )
    )
    return HoldOut.of(hold)


@router.post("/holds/{hold_id}/lift", response_model=HoldOut)
async def lift_hold(hold_id: str, body: LiftIn, ctx: Ctx, caller: Caller) -> HoldOut:
    return HoldOut.of(await run_in_threadpool(holds.lift_hold, ctx, caller, hold_id, body.reason))


# -- the engine and the forecast --------------------------------------------------------------
@router.post("/lifecycle/run", response_model=RunOut)
async def run(body: RunIn, ctx: Ctx, caller: Caller) -> RunOut:
    report = await run_in_threadpool(
        lambda: lifecycle.run_lifecycle(ctx, caller, body.as_of, dry_run=body.dry_run)
    )
    transitions = [
        {"dossier_id": t.dossier_id, "from": t.before.value if t.before else None, "to": t.after}
        for t in report.transitions
    ]
    return RunOut(
        as_of=report.as_of,
        examined=report.examined,
        transitions=transitions,
        held_back=report.held_back,
        dry_run=report.dry_run,
    )


@router.get("/lifecycle/phases", response_model=dict[str, int])
async def phases(ctx: Ctx, caller: Caller) -> dict[str, int]:
    return await run_in_threadpool(lifecycle.phase_counts, ctx, caller)


@router.get("/lifecycle/forecast", response_model=list[ForecastOut])
async def forecast(
    ctx: Ctx, caller: Caller, months: int = 24, as_of: date | None = None
) -> list[ForecastOut]:
    rows = await run_in_threadpool(lifecycle.forecast_due, ctx, caller, months, as_of)
    names = await run_in_threadpool(lifecycle.service_names, ctx, caller)
    return [ForecastOut.of(row, names) for row in rows]


# -- eliminations -----------------------------------------------------------------------------
@router.post("/eliminations", status_code=201, response_model=ProposalOut)
async def propose(body: ProposeIn, ctx: Ctx, caller: Caller) -> ProposalOut:
    found = await run_in_threadpool(
        eliminations.propose_eliminations, ctx, caller, body.as_of, body.dossier_ids
    )
    return ProposalOut.of(found.proposal, found.items)


@router.get("/eliminations", response_model=list[ProposalOut])
async def list_proposals(
    ctx: Ctx,
    caller: Caller,
    status: ProposalStatus | None = None,
    limit: Limit = MAX_LIMIT,
    offset: Offset = 0,
) -> list[ProposalOut]:
    page = Page(limit, offset)
    found = await run_in_threadpool(eliminations.list_proposals, ctx, caller, status, page)
    return [ProposalOut.of(p) for p in found]


@router.get("/eliminations/{proposal_id}", response_model=ProposalOut)
async def get_proposal(proposal_id: str, ctx: Ctx, caller: Caller) -> ProposalOut:
    found = await run_in_threadpool(eliminations.get_proposal, ctx, caller, proposal_id)
    return ProposalOut.of(found.proposal, found.items)


SLIP_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


@router.get(
    "/eliminations/{proposal_id}/slip",
    response_class=Response,
    responses=files("text/csv", "text/html", "application/pdf"),
)
async def slip(
    proposal_id: str, ctx: Ctx, caller: Caller, format: Literal["csv", "html", "pdf"] = "csv"
) -> Response:
    data = await run_in_threadpool(elimination_slip, ctx, caller, proposal_id, format)
    media = SLIP_TYPES[format]
    name = f"bordereau-elimination-{proposal_id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "html":
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return Response(data, media_type=media, headers=headers)


# An optional SEDA identifier (IdentifierType: a non-empty token).
SedaId = Annotated[str | None, Query(min_length=1)]


def _seda_xml(data: bytes, name: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, media_type="application/xml", headers=headers)


@router.get(
    "/eliminations/{proposal_id}/authorization-request",
    response_class=Response,
    responses=files("application/xml"),
)
async def seda_authorization_request(
    proposal_id: str,
    ctx: Ctx,
    caller: Caller,
    control_authority: Annotated[str, Query(min_length=1, description="Identifiant SEDA")],
    version: SedaVersion = SedaVersion.V2_2,
    archival_agency: SedaId = None,
    service: SedaId = None,
) -> Response:
    """AuthorizationControlAuthorityRequest (SEDA) of the proposal, for one service."""
    data = await run_in_threadpool(
        authorization_request,
        ctx,
        caller,
        proposal_id,
        version,
        control_authority=control_authority,
        archival_agency=archival_agency,
        service=service,
    )
    return _seda_xml(data, f"demande-autorisation-elimination-{proposal_id}.xml")


@router.get(
    "/eliminations/{proposal_id}/destruction-notification",
    response_class=Response,
    responses=files("application/xml"),
)
async def seda_destruction_notification(
    proposal_id: str,
    ctx: Ctx,
    caller: Caller,
    version: SedaVersion = SedaVersion.V2_2,
    archival_agency: SedaId = None,
    service: SedaId = None,
    reply_identifier: SedaId = None,
) -> Response:
    """ArchiveDestructionNotification (SEDA) of an executed proposal; 409 before execution."""
    data = await run_in_threadpool(
        destruction_notification,
        ctx,
        caller,
        proposal_id,
        version,
        archival_agency=archival_agency,
        service=service,
        reply_identifier=reply_identifier,
    )
    return _seda_xml(data, f"notification-elimination-{proposal_id}.xml")


@router.post("/eliminations/{proposal_id}/approve", response_model=ProposalOut)
async def approve(proposal_id: str, body: DecisionIn, ctx: Ctx, caller: Caller) -> ProposalOut:
    found = await run_in_threadpool(
        eliminations.approve_elimination, ctx, caller, proposal_id, body.note
    )
    return ProposalOut.of(found)


@router.post("/eliminations/{proposal_id}/reject", response_model=ProposalOut)
async def reject(proposal_id: str, body: DecisionIn, ctx: Ctx, caller: Caller) -> ProposalOut:
    found = await run_in_threadpool(
        eliminations.reject_elimination, ctx, caller, proposal_id, body.note
    )
    return ProposalOut.of(found)


@router.post("/eliminations/{proposal_id}/execute", response_model=ExecutionOut)
async def execute(proposal_id: str, ctx: Ctx, caller: Caller) -> ExecutionOut:
    done = await run_in_threadpool(eliminations.execute_elimination, ctx, caller, proposal_id)
    return ExecutionOut(**done.__dict__)
