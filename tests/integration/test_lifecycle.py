"""Retention rules, bindings, holds and eliminations against a real database: every test runs
on SQLite and on PostgreSQL (the ``ged`` fixture)."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ged.adapters.fixity.audit import audit_blobs
from ged.domain.lifecycle import (
    BindingTarget,
    DossierOnHold,
    JustificationRequired,
    Phase,
    SortDecision,
    TransferNotVerified,
    WrongFinalAction,
    WrongPhase,
)
from ged.domain.model import Dossier, Metadata, Role
from ged.domain.search import SearchQuery
from ged.domain.visa import ApprovalByAuthor
from ged.services import documents, eliminations, filing, holds, lifecycle, rules
from ged.services.elimination_slip import (
    NothingEliminated,
    ProposalNotExecuted,
    ServiceNotInProposal,
    ServiceRequired,
    authorization_request,
    destruction_notification,
    elimination_slip,
)
from ged.services.eliminations import NothingToPropose, ProposalNotApproved, ProposalNotPending
from ged.services.holds import DossierEliminated
from ged.services.lifecycle import AsOfInFuture
from ged.services.oplog import verify_log
from ged.services.search import search_documents
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.errors import ForbiddenError, GedsaeError, InvalidError, NotFoundError
from kernel.retention import RuleCategory
from kernel.rules_referential import RulesFileRefused
from seda.destruction import parse_authorization_request, parse_destruction_notification
from seda.versions import SedaVersion
from tests.fixtures.ged import Ged, make_ged
from tests.fixtures.seda_corpus import vitam_rules_dir

TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"
HOLD_RULES = (
    "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n"
    "HOL-1,HoldRule,Gel d'un an,,1,YEAR\n"
    "HOL-X,HoldRule,Gel sans fin,,,\n"
)


def vitam_file() -> Path:
    return vitam_rules_dir() / "jeu_donnees_OK_regles_CSV.csv"


def import_tableau(ged: Ged, text: str | None = None, replace: bool = False) -> rules.ImportReport:
    data = TABLEAU.read_bytes() if text is None else text.encode()
    return rules.import_rules(ged.ctx, ged.admin, io.BytesIO(data), "csv", replace=replace)


def import_vitam(ged: Ged, text: str) -> rules.ImportReport:
    return rules.import_rules(ged.ctx, ged.admin, io.BytesIO(text.encode()), "vitam")


def plan(ged: Ged, code: str, parent: str | None = None) -> str:
    return filing.create_plan_node(ged.ctx, ged.admin, code, code, parent).id


def closed_dossier(
    ged: Ged, title: str, closed: date, node: str | None = None, contents: tuple[bytes, ...] = ()
) -> Dossier:
    dossier = filing.create_dossier(
        ged.ctx,
        ged.admin,
        service_id=ged.service.id,
        title=title,
        plan_node_id=node,
        opened_on=date(closed.year, 1, 1),
    )
    for body in contents:
        file(ged, dossier.id, body)
    return filing.close_dossier(ged.ctx, ged.admin, dossier.id, closed)


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def file(ged: Ged, dossier_id: str, body: bytes, **meta: object) -> documents.Filed:
    return documents.file_document(
        ged.ctx,
        ged.admin,
        dossier_id,
        io.BytesIO(body),
        filename="piece.txt",
        metadata=Metadata(title="pièce", **meta),  # type: ignore[arg-type]
        mime_type="text/plain",
    )


def courrier(
    ged: Ged,
    title: str = "Courrier 2020",
    closed: date = date(2020, 12, 31),
    contents: tuple[bytes, ...] = (),
) -> Dossier:
    """A dossier under AG-08 (courrier arrivé: 2 years from closing, destroy)."""
    node = plan(ged, f"AG-{title}")
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, node, "AG-08")
    return closed_dossier(ged, title, closed, node, contents)


def phase_of(ged: Ged, dossier_id: str) -> Phase | None:
    state = lifecycle.dossier_lifecycle(ged.ctx, ged.admin, dossier_id).state
    return state.phase if state else None


# -- the referential --------------------------------------------------------------------------
def test_tableau_import_is_versioned_and_round_trips(ged: Ged) -> None:
    first = import_tableau(ged)
    assert len(first.created) == 95 and not first.revised
    assert {"AG-01", "AG-01-ACC", "ELE-04"} <= set(first.created)
    assert len(import_tableau(ged).unchanged) == 95  # re-import: no new version
    exported = io.BytesIO()
    assert rules.export_rules(ged.ctx, ged.admin, "csv", exported) == 95
    again = rules.import_rules(ged.ctx, ged.admin, io.BytesIO(exported.getvalue()), "csv")
    assert len(again.unchanged) == 95 and not again.revised
    changed = TABLEAU.read_text(encoding="utf-8").replace(
        "AG-08;Courrier arrivé (copies et accusés de réception);2 ans",
        "AG-08;Courrier arrivé (copies et accusés de réception);3 ans",
    )
    assert import_tableau(ged, changed).revised == ["AG-08"]
    history = rules.rule_history(ged.ctx, ged.admin, "AG-08")
    assert [(r.version, s) for r, s in history] == [(1, "superseded"), (2, "current")]
    assert history[1][0].duration is not None and history[1][0].duration.years == 3


def test_vitam_import_keeps_what_the_format_cannot_say(ged: Ged) -> None:
    with vitam_file().open("rb") as stream:
        report = rules.import_rules(ged.ctx, ged.admin, stream, "vitam")
    assert "APP-00001" in report.created and "HOL-00004" in report.created
    import_tableau(ged)
    exported = io.BytesIO()
    rules.export_rules(ged.ctx, ged.admin, "vitam", exported)
    back = rules.import_rules(ged.ctx, ged.admin, io.BytesIO(exported.getvalue()), "vitam")
    assert not back.revised and not back.created  # the round trip changes nothing
    ag08 = rules.rule_history(ged.ctx, ged.admin, "AG-08")[-1][0]
    assert ag08.final_action is not None and ag08.start_event is not None


def test_bad_rules_file_is_refused_whole(ged: Ged) -> None:
    import_tableau(ged)
    bad = (
        "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n"
        "NEW-1,AppraisalRule,ok,,5,YEAR\n"
        "NEW-2,AppraisalRule,neg,,-1,YEAR\n"
        "NEW-3,AppraisalRule,unit,,5,DECADE\n"
        "NEW-1,AppraisalRule,dup,,5,YEAR\n"
    )
    with pytest.raises(RulesFileRefused) as refused:
        import_vitam(ged, bad)
    assert [(i.code, i.line) for i in refused.value.issues] == [
        ("negative_duration", 3),
        ("unknown_unit", 4),
        ("duplicate_id", 5),
    ]
    assert "NEW-1" not in {r.identifier for r in rules.list_rules(ged.ctx, ged.admin)}


def test_replace_refuses_to_drop_a_rule_in_use_and_retires_the_others(ged: Ged) -> None:
    import_tableau(ged)
    node = plan(ged, "AG")
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, node, "AG-08")
    header = TABLEAU.read_text(encoding="utf-8").splitlines()[3]
    only = f"{header}\nAG-01;Délibérations;10 ans;clôture du dossier;C;;;\n"
    with pytest.raises(RulesFileRefused) as refused:
        import_tableau(ged, only, replace=True)
    assert [(i.code, i.path) for i in refused.value.issues] == [("rule_in_use", "AG-08")]
    kept = f"{only}AG-08;Courrier arrivé;2 ans;clôture du dossier;D;;;\n"
    report = import_tableau(ged, kept, replace=True)
    assert "AG-02" in report.retired and "AG-08" not in report.retired
    assert {r.identifier for r in rules.list_rules(ged.ctx, ged.admin)} == {"AG-01", "AG-08"}


# -- bindings and effective rules -------------------------------------------------------------
def test_rules_inherit_down_the_plan_and_a_dossier_override_is_justified(ged: Ged) -> None:
    import_tableau(ged)
    root = plan(ged, "MP")
    child = plan(ged, "MP-TRAVAUX", root)
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, root, "MP-03")
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, root, "MP-03-ACC")
    dossier = closed_dossier(ged, "Marché 2020-12", date(2020, 6, 30), child)
    view = lifecycle.dossier_lifecycle(ged.ctx, ged.admin, dossier.id)
    sources = {
        (r.category, r.effective.rule.identifier, r.effective.source_id, r.effective.inherited)
        for r in view.rules
    }
    assert sources == {
        (RuleCategory.APPRAISAL, "MP-03", root, True),
        (RuleCategory.ACCESS, "MP-03-ACC", root, True),
    }
    with pytest.raises(JustificationRequired):
        rules.bind_rule(ged.ctx, ged.admin, BindingTarget.DOSSIER, dossier.id, "MP-01")
    rules.bind_rule(
        ged.ctx, ged.admin, BindingTarget.DOSSIER, dossier.id, "MP-01", "garantie décennale"
    )
    view = lifecycle.dossier_lifecycle(ged.ctx, ged.admin, dossier.id)
    appraisal = next(r for r in view.rules if r.category is RuleCategory.APPRAISAL)
    assert (appraisal.effective.rule.identifier, appraisal.effective.source) == (
        "MP-01",
        BindingTarget.DOSSIER,
    )
    assert appraisal.effective.justification == "garantie décennale"
    with ged.ctx.uow() as uow:
        overrides = [e for e in uow.iter_log() if e.action == "rules.override"]
    assert overrides[-1].details["justification"] == "garantie décennale"
    agent, _ = ged.user("agent", Role.AGENT, services=(ged.service,))
    assert (
        lifecycle.dossier_lifecycle(ged.ctx, agent, dossier.id).computed.phase is Phase.INTERMEDIATE
    )
    with pytest.raises(ForbiddenError):
        rules.bind_rule(ged.ctx, agent, BindingTarget.PLAN_NODE, root, "MP-01")
    outsider, _ = ged.user("agent.rh", Role.AGENT, services=(ged.other_service,))
    with pytest.raises(NotFoundError):
        lifecycle.dossier_lifecycle(ged.ctx, outsider, dossier.id)


def test_document_type_binding_and_business_event(ged: Ged) -> None:
    import_tableau(ged)
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.DOCUMENT_TYPE, "délibération", "AG-01")
    dossier = filing.create_dossier(
        ged.ctx, ged.admin, service_id=ged.service.id, title="Séance", opened_on=date(2010, 1, 1)
    )
    file(ged, dossier.id, b"deliberation", document_type="délibération")
    filing.close_dossier(ged.ctx, ged.admin, dossier.id, date(2010, 12, 31))
    view = lifecycle.dossier_lifecycle(ged.ctx, ged.admin, dossier.id, date(2030, 1, 1))
    assert (
        view.computed.no_due_reason is not None
        and view.computed.no_due_reason.value == "missing_start_date"
    )
    lifecycle.record_event(ged.ctx, ged.admin, dossier.id, "Date de la séance", date(2010, 3, 4))
    view = lifecycle.dossier_lifecycle(ged.ctx, ged.admin, dossier.id, date(2030, 1, 1))
    assert (view.computed.due_on, view.computed.phase) == (date(2020, 3, 4), Phase.DUE)
    assert view.rules[0].effective.source is BindingTarget.DOCUMENT_TYPE


# -- the engine and holds ---------------------------------------------------------------------
def test_run_is_idempotent_and_logs_transitions_with_the_rule_version(ged: Ged) -> None:
    import_tableau(ged)
    dossier = courrier(ged)
    first = lifecycle.run_lifecycle(ged.ctx, ged.admin, date(2023, 1, 1))
    assert [(t.before, t.after) for t in first.transitions] == [(None, Phase.DUE)]
    with ged.ctx.uow() as uow:
        before = sum(1 for _ in uow.iter_log())
    assert lifecycle.run_lifecycle(ged.ctx, ged.admin, date(2023, 1, 1)).transitions == []
    with ged.ctx.uow() as uow:
        entries = list(uow.iter_log())
    assert len(entries) == before
    logged = [e for e in entries if e.action == "lifecycle.phase" and e.object_id == dossier.id]
    assert logged[-1].details["rule_id"] == "AG-08" and logged[-1].details["rule_version"] == 1


def test_a_run_for_a_day_to_come_is_refused_and_changes_no_phase(ged: Ged) -> None:
    import_tableau(ged)
    today = ged.clock.now.date()
    dossier = courrier(ged, closed=today - timedelta(days=100))  # due two years after closing
    lifecycle.run_lifecycle(ged.ctx, ged.admin)
    assert phase_of(ged, dossier.id) is Phase.INTERMEDIATE
    with pytest.raises(AsOfInFuture) as refused:
        lifecycle.run_lifecycle(ged.ctx, ged.admin, today + timedelta(days=3 * 365))
    assert "--dry-run" in refused.value.detail
    assert phase_of(ged, dossier.id) is Phase.INTERMEDIATE
    assert lifecycle.run_lifecycle(ged.ctx, ged.admin, today).transitions == []


def test_a_dry_run_reports_what_would_change_and_writes_nothing(ged: Ged) -> None:
    import_tableau(ged)
    today = ged.clock.now.date()
    dossier = courrier(ged, closed=today - timedelta(days=100))
    lifecycle.run_lifecycle(ged.ctx, ged.admin)
    with ged.ctx.uow() as uow:
        logged = sum(1 for _ in uow.iter_log())
    later = today + timedelta(days=3 * 365)
    report = lifecycle.run_lifecycle(ged.ctx, ged.admin, later, dry_run=True)
    assert report.dry_run and report.as_of == later
    assert [(t.dossier_id, t.before, t.after) for t in report.transitions] == [
        (dossier.id, Phase.INTERMEDIATE, Phase.DUE)
    ]
    assert phase_of(ged, dossier.id) is Phase.INTERMEDIATE
    with ged.ctx.uow() as uow:
        assert sum(1 for _ in uow.iter_log()) == logged
    ged.clock.now += timedelta(days=3 * 365)  # the day comes: the real run does what was shown
    assert lifecycle.run_lifecycle(ged.ctx, ged.admin).transitions == report.transitions


def test_hold_freezes_the_phase_until_lifted(ged: Ged) -> None:
    import_tableau(ged)
    import_vitam(ged, HOLD_RULES)
    dossier = courrier(ged)
    ged.clock.now = ged.clock.now.replace(year=2021, month=6, day=1)
    hold = holds.place_hold(ged.ctx, ged.admin, dossier.id, "contentieux", rule_id="HOL-1")
    assert (hold.rule_version, hold.ends_on) == (1, date(2022, 6, 1))
    indefinite = holds.place_hold(ged.ctx, ged.admin, dossier.id, "enquête pénale")
    ged.clock.now = ged.clock.now.replace(year=2023, month=1, day=1)  # phases change on the day
    report = lifecycle.run_lifecycle(ged.ctx, ged.admin, date(2023, 1, 1))
    assert report.held_back == 1 and phase_of(ged, dossier.id) is Phase.INTERMEDIATE
    with pytest.raises(NothingToPropose):
        eliminations.propose_eliminations(ged.ctx, ged.admin, date(2023, 1, 1))
    holds.lift_hold(ged.ctx, ged.admin, indefinite.id, "classement sans suite")
    with pytest.raises(GedsaeError):
        holds.lift_hold(ged.ctx, ged.admin, indefinite.id, "deux fois")
    lifecycle.run_lifecycle(ged.ctx, ged.admin, date(2023, 1, 1))
    assert phase_of(ged, dossier.id) is Phase.DUE  # the HoldRule's year is over
    listed = holds.list_holds(ged.ctx, ged.admin, include_lifted=True)
    assert {h.id for h in listed} == {hold.id, indefinite.id}
    agent, _ = ged.user("agent", Role.AGENT, services=(ged.service,))
    with pytest.raises(ForbiddenError):
        holds.place_hold(ged.ctx, agent, dossier.id, "non")


# -- eliminations -----------------------------------------------------------------------------
def test_elimination_needs_a_visa_and_leaves_a_tombstone(ged: Ged) -> None:
    import_tableau(ged)
    dossier = courrier(ged, contents=(b"courrier unique", b"contenu commun"))
    closed_dossier(ged, "Autre", date(2020, 12, 31), contents=(b"contenu commun",))
    own, shared = sha(b"courrier unique"), sha(b"contenu commun")
    with ged.ctx.uow() as uow:
        own_document = uow.lifecycle.dossier_content(dossier.id)[0]["id"]
    archivist, _ = ged.user("archiviste", Role.ARCHIVIST)
    second, _ = ged.user("archiviste2", Role.ARCHIVIST)
    ged.clock.advance(minutes=1)  # the approver's role predates the proposal
    proposal = eliminations.propose_eliminations(ged.ctx, archivist, date(2023, 1, 1))
    assert [(i.dossier_id, i.rule_id, i.rule_version) for i in proposal.items] == [
        (dossier.id, "AG-08", 1)
    ]
    pid = proposal.proposal.id
    with pytest.raises(NothingToPropose):  # already in an open proposal
        eliminations.propose_eliminations(ged.ctx, ged.admin, date(2023, 1, 1))
    with pytest.raises(ProposalNotApproved):
        eliminations.execute_elimination(ged.ctx, ged.admin, pid)
    with pytest.raises(ApprovalByAuthor):
        eliminations.approve_elimination(ged.ctx, archivist, pid)
    with pytest.raises(ForbiddenError):
        eliminations.approve_elimination(ged.ctx, ged.admin, pid)
    eliminations.approve_elimination(ged.ctx, second, pid, "vu")
    with pytest.raises(ProposalNotPending):
        eliminations.approve_elimination(ged.ctx, second, pid)
    slip = elimination_slip(ged.ctx, ged.admin, pid).decode("utf-8-sig")
    assert "Courrier 2020;" in slip and "archiviste2" in slip and "AG-08;1;Destruction" in slip
    html = elimination_slip(ged.ctx, ged.admin, pid, "html").decode()
    assert "<script" not in html and "R212-14" in html
    done = eliminations.execute_elimination(ged.ctx, ged.admin, pid)
    assert done.eliminated == [dossier.id] and done.blobs_removed == 1
    assert not ged.ctx.blobs.exists(own)
    assert ged.ctx.blobs.exists(shared)  # still referenced by another dossier
    stone = eliminations.tombstone(ged.ctx, ged.admin, dossier.id)
    assert (stone.rule_id, stone.rule_version, stone.approved_by) == ("AG-08", 1, second.id)
    assert set(stone.digests) == {own, shared}
    assert phase_of(ged, dossier.id) is Phase.ELIMINATED
    with pytest.raises(NotFoundError):
        documents.get_document(ged.ctx, ged.admin, own_document)
    hits = search_documents(ged.ctx, ged.admin, SearchQuery(organisation_id="", text="courrier"))
    assert hits.hits == []
    with pytest.raises(ProposalNotApproved):
        eliminations.execute_elimination(ged.ctx, ged.admin, pid)
    with pytest.raises(DossierEliminated):
        holds.place_hold(ged.ctx, ged.admin, dossier.id, "trop tard")
    assert verify_log(ged.ctx).ok


def test_refusing_the_visa_needs_a_reason_and_frees_the_dossiers(ged: Ged) -> None:
    import_tableau(ged)
    dossier = courrier(ged)
    archivist, _ = ged.user("archiviste", Role.ARCHIVIST)
    ged.clock.advance(minutes=1)
    pid = eliminations.propose_eliminations(ged.ctx, ged.admin, date(2023, 1, 1)).proposal.id
    with pytest.raises(InvalidError) as refused:
        eliminations.reject_elimination(ged.ctx, archivist, pid, "  ")
    assert [(i.code, i.path) for i in refused.value.issues] == [("reason_required", "note")]
    assert eliminations.get_proposal(ged.ctx, archivist, pid).proposal.status.value == "proposed"
    rejected = eliminations.reject_elimination(ged.ctx, archivist, pid, "Dossier à conserver")
    assert (rejected.status.value, rejected.decision_note) == ("rejected", "Dossier à conserver")
    again = eliminations.propose_eliminations(ged.ctx, ged.admin, date(2023, 1, 1))
    assert [i.dossier_id for i in again.items] == [dossier.id]


def test_elimination_removes_the_replica_copy_too(tmp_path: Path) -> None:
    replica = FilesystemBlobStore(tmp_path / "replica", name="replica")
    ged = make_ged(tmp_path / "home", replica=replica)
    import_tableau(ged)
    dossier = courrier(ged, contents=(b"courrier unique",))
    audit_blobs(ged.ctx, tmp_path / "spool")  # the audit fills the replica
    assert replica.exists(sha(b"courrier unique"))
    archivist, _ = ged.user("archiviste", Role.ARCHIVIST)
    second, _ = ged.user("archiviste2", Role.ARCHIVIST)
    ged.clock.advance(minutes=1)  # the visa's role must predate the proposal
    pid = eliminations.propose_eliminations(ged.ctx, archivist, date(2023, 1, 1)).proposal.id
    eliminations.approve_elimination(ged.ctx, second, pid, "vu")

    done = eliminations.execute_elimination(ged.ctx, ged.admin, pid)

    assert done.eliminated == [dossier.id] and done.blobs_removed == 1
    assert list(replica.iter_digests()) == [] and list(ged.ctx.blobs.iter_digests()) == []
    ged.engine.dispose()


def test_seda_messages_are_written_per_service_and_notify_only_what_was_eliminated(
    ged: Ged,
) -> None:
    import_tableau(ged)
    finances = courrier(ged, "Courrier DF")
    rh = filing.create_dossier(
        ged.ctx,
        ged.admin,
        service_id=ged.other_service.id,
        title="Courrier RH",
        plan_node_id=finances.plan_node_id,
        opened_on=date(2020, 1, 1),
    )
    filing.close_dossier(ged.ctx, ged.admin, rh.id, date(2020, 12, 31))
    author, _ = ged.user("archiviste", Role.ARCHIVIST)
    approver, _ = ged.user("visa", Role.ARCHIVIST)
    ged.clock.advance(minutes=1)
    pid = eliminations.propose_eliminations(ged.ctx, author, date(2023, 1, 1)).proposal.id
    v22 = SedaVersion.V2_2
    with pytest.raises(ServiceRequired):
        authorization_request(ged.ctx, author, pid, v22, control_authority="FRAD033")
    with pytest.raises(ServiceNotInProposal):
        authorization_request(ged.ctx, author, pid, v22, control_authority="C", service="FR_X")
    data = authorization_request(
        ged.ctx, author, pid, v22, control_authority="FRAD033", service="FR_DF"
    )
    version, request = parse_authorization_request(data)
    assert (version, request.requester, request.control_authority) == (v22, "FR_DF", "FRAD033")
    assert request.archival_agency == ged.admin.organisation_id
    assert [(u.identifier, u.title, u.appraisal_rule) for u in request.units] == [
        (finances.id, "Courrier DF", "AG-08")
    ]
    assert request.units[0].end_date == date(2020, 12, 31)
    with pytest.raises(ProposalNotExecuted):
        destruction_notification(ged.ctx, author, pid, v22, service="FR_DF")
    eliminations.approve_elimination(ged.ctx, approver, pid, "conforme")
    with pytest.raises(ProposalNotExecuted):
        destruction_notification(ged.ctx, author, pid, v22, service="FR_DF")
    holds.place_hold(ged.ctx, ged.admin, rh.id, "contentieux")  # the hold wins: RH skipped
    eliminations.execute_elimination(ged.ctx, ged.admin, pid)
    with pytest.raises(NothingEliminated):
        destruction_notification(ged.ctx, author, pid, v22, service="FR_RH")
    notice = destruction_notification(
        ged.ctx, author, pid, SedaVersion.V2_3, service="FR_DF", archival_agency="FRAD033"
    )
    _, notification = parse_destruction_notification(notice)
    assert [u.identifier for u in notification.units] == [finances.id]
    assert (notification.originating_agency, notification.archival_agency) == (
        "FR_DF",
        "FRAD033",
    )
    assert notification.authorization_reply_identifier == f"{pid}.visa"
    assert "visa" in notification.comments[0] and "conforme" in notification.comments[1]
    assert notice == destruction_notification(  # same proposal, same message
        ged.ctx, author, pid, SedaVersion.V2_3, service="FR_DF", archival_agency="FRAD033"
    )


def test_hold_placed_after_the_visa_wins(ged: Ged) -> None:
    import_tableau(ged)
    dossier = courrier(ged, contents=(b"sous gel",))
    author, _ = ged.user("archiviste", Role.ARCHIVIST)
    approver, _ = ged.user("archiviste2", Role.ARCHIVIST)
    ged.clock.advance(minutes=1)
    pid = eliminations.propose_eliminations(ged.ctx, author, date(2023, 1, 1)).proposal.id
    eliminations.approve_elimination(ged.ctx, approver, pid)
    holds.place_hold(ged.ctx, ged.admin, dossier.id, "contentieux")
    done = eliminations.execute_elimination(ged.ctx, ged.admin, pid)
    assert done.eliminated == [] and done.skipped == {dossier.id: "held"}
    assert ged.ctx.blobs.exists(sha(b"sous gel"))
    assert phase_of(ged, dossier.id) is Phase.DUE


def test_a_new_rule_version_voids_the_visa(ged: Ged) -> None:
    import_tableau(ged)
    dossier = courrier(ged)
    author, _ = ged.user("archiviste", Role.ARCHIVIST)
    approver, _ = ged.user("archiviste2", Role.ARCHIVIST)
    ged.clock.advance(minutes=1)
    pid = eliminations.propose_eliminations(ged.ctx, author, date(2023, 1, 1)).proposal.id
    eliminations.approve_elimination(ged.ctx, approver, pid)
    relabelled = TABLEAU.read_text(encoding="utf-8").replace(
        "AG-08;Courrier arrivé", "AG-08;Courrier reçu"
    )
    import_tableau(ged, relabelled)
    done = eliminations.execute_elimination(ged.ctx, ged.admin, pid)
    assert done.skipped == {dossier.id: "rule_changed"}


def test_sort_decides_between_destruction_and_transfer(ged: Ged) -> None:
    import_tableau(ged)
    node = plan(ged, "AG-PREP")
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, node, "AG-05")  # 5 ans, T
    to_destroy = closed_dossier(ged, "Séance A", date(2015, 12, 31), node)
    to_keep = closed_dossier(ged, "Séance B", date(2015, 12, 31), node)
    for d in (to_destroy, to_keep):
        lifecycle.record_event(ged.ctx, ged.admin, d.id, "date de la séance", date(2015, 6, 1))
    lifecycle.run_lifecycle(ged.ctx, ged.admin)
    with pytest.raises(NothingToPropose):  # a Sort is not a destruction until decided
        eliminations.propose_eliminations(ged.ctx, ged.admin)
    with pytest.raises(WrongFinalAction):
        lifecycle.start_transfer(ged.ctx, ged.admin, to_keep.id)
    archivist, _ = ged.user("archiviste", Role.ARCHIVIST)
    with pytest.raises(ForbiddenError):
        lifecycle.sort_dossier(ged.ctx, ged.admin, to_destroy.id, SortDecision.DESTROY)
    lifecycle.sort_dossier(ged.ctx, archivist, to_destroy.id, SortDecision.DESTROY, "doubles")
    lifecycle.sort_dossier(ged.ctx, archivist, to_keep.id, SortDecision.KEEP, "rapports annotés")
    proposal = eliminations.propose_eliminations(ged.ctx, ged.admin)
    assert [(i.dossier_id, i.outcome) for i in proposal.items] == [
        (to_destroy.id, "sorted_for_destruction")
    ]
    moved = lifecycle.start_transfer(ged.ctx, ged.admin, to_keep.id, "SIP-1")
    assert moved.phase is Phase.TRANSFERRING


def test_transfer_moves_only_under_its_own_reference_and_purge_needs_a_verified_reply(
    ged: Ged,
) -> None:
    import_tableau(ged)
    node = plan(ged, "FIN")
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, node, "EC-04")  # 10 ans, C
    dossier = closed_dossier(ged, "Tables", date(2010, 12, 31), node, (b"table decennale",))
    lifecycle.record_event(
        ged.ctx, ged.admin, dossier.id, "Clôture de la table", date(2010, 12, 31)
    )
    lifecycle.run_lifecycle(ged.ctx, ged.admin)
    holds.place_hold(ged.ctx, ged.admin, dossier.id, "audit")
    with pytest.raises(DossierOnHold):
        lifecycle.start_transfer(ged.ctx, ged.admin, dossier.id)
    for hold in holds.list_holds(ged.ctx, ged.admin, dossier.id):
        holds.lift_hold(ged.ctx, ged.admin, hold.id, "audit clos")
    lifecycle.start_transfer(ged.ctx, ged.admin, dossier.id, "SIP-2")
    assert lifecycle.run_lifecycle(ged.ctx, ged.admin).transitions == []  # stays transferring
    with pytest.raises(WrongPhase):  # a reply about another transfer moves nothing
        lifecycle.return_to_due(ged.ctx, ged.admin, dossier.id, message_identifier="SIP-1")
    rejected = lifecycle.return_to_due(ged.ctx, ged.admin, dossier.id, message_identifier="SIP-2")
    assert rejected.phase is Phase.DUE
    lifecycle.start_transfer(ged.ctx, ged.admin, dossier.id, "SIP-3")
    accepted = lifecycle.accept_transfer(
        ged.ctx, ged.admin, dossier.id, message_identifier="SIP-3", archive_identifiers=["A-3"]
    )
    assert accepted.phase is Phase.PERMANENT and accepted.transfer_verified
    # no transfer record holds a verified reply naming the dossier's archive: nothing is purged
    with pytest.raises(TransferNotVerified):
        eliminations.purge_transferred(ged.ctx, ged.admin, dossier.id)
    assert ged.ctx.blobs.exists(sha(b"table decennale"))
    assert phase_of(ged, dossier.id) is Phase.PERMANENT


# -- races ------------------------------------------------------------------------------------
def race(*actions: Callable[[], object]) -> list[object]:
    """Runs the actions at the same moment in threads; returns each result or exception."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def worker(index: int, action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = action()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_concurrent_approvals_exactly_one_succeeds(ged: Ged) -> None:
    import_tableau(ged)
    courrier(ged)
    author, _ = ged.user("auteur", Role.ARCHIVIST)
    first, _ = ged.user("archiviste1", Role.ARCHIVIST)
    second, _ = ged.user("archiviste2", Role.ARCHIVIST)
    ged.clock.advance(minutes=1)
    for year in (2023, 2024, 2025):
        courrier(ged, f"Courrier {year}", date(year - 3, 12, 31))
        pid = eliminations.propose_eliminations(ged.ctx, author, date(year, 1, 1)).proposal.id
        results = race(
            lambda pid=pid: eliminations.approve_elimination(ged.ctx, first, pid),
            lambda pid=pid: eliminations.approve_elimination(ged.ctx, second, pid),
        )
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], ProposalNotPending), results
        assert errors[0].status == 409


def test_hold_racing_an_elimination_never_loses_a_held_dossier(ged: Ged) -> None:
    import_tableau(ged)
    ged.clock.now = datetime(2022, 12, 1, 9, tzinfo=UTC)  # appointed before every proposal
    author, _ = ged.user("auteur", Role.ARCHIVIST)
    approver, _ = ged.user("archiviste", Role.ARCHIVIST)
    for year in (2023, 2024, 2025):
        ged.clock.now = datetime(year, 1, 2, 9, tzinfo=UTC)
        body = f"piece {year}".encode()
        dossier = courrier(ged, f"Courrier {year}", date(year - 3, 12, 31), (body,))
        pid = eliminations.propose_eliminations(ged.ctx, author).proposal.id
        eliminations.approve_elimination(ged.ctx, approver, pid)
        executed, held = race(
            lambda pid=pid: eliminations.execute_elimination(ged.ctx, ged.admin, pid),
            lambda d=dossier.id: holds.place_hold(ged.ctx, ged.admin, d, "contentieux"),
        )
        assert isinstance(executed, eliminations.Execution), executed
        if isinstance(held, DossierEliminated):  # the elimination committed first
            assert executed.eliminated == [dossier.id]
            assert not ged.ctx.blobs.exists(sha(body))
        else:  # the hold committed first: it wins
            assert isinstance(held, holds.Hold), held
            assert executed.skipped == {dossier.id: "held"}
            assert ged.ctx.blobs.exists(sha(body))
