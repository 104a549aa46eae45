"""Thirty simulated years, month by month, on SQLite and PostgreSQL: a tableau de gestion and a
Vitam referential imported and bound to the plan, a dossier filed and closed every other month,
the engine run each month, phases, forecasts and yearly eliminations (with a visa) and
transfers checked against an independent expectation. The clock is moved, never slept on."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ged.domain.access import Principal
from ged.domain.lifecycle import BindingTarget, Phase
from ged.domain.model import Role
from ged.services import eliminations, filing, holds, lifecycle, rules
from ged.services.eliminations import NothingToPropose
from tests.fixtures.ged import Ged
from tests.fixtures.seda_corpus import VITAM_RULES

TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"
# The rows of Vitam's test referential this simulation binds, used when /work/shared is absent
# (test_lifecycle.py imports the whole file, and fails in CI without it).
VITAM = VITAM_RULES / "jeu_donnees_OK_regles_CSV.csv"
VITAM_EXCERPT = (
    "RuleId,RuleType,RuleValue,RuleDescription,RuleDuration,RuleMeasurement\n"
    "APP-00005,AppraisalRule,Pièces comptables (comptable),,6,YEAR\n"
)


@dataclass(frozen=True)
class Kind:
    code: str
    rule: str
    months: int  # the rule's duration
    action: str  # Destroy | Keep | none
    event: str | None  # business event the rule counts from (None: the closing)


KINDS = [
    Kind("COUR", "AG-08", 24, "Destroy", None),  # courrier arrivé, 2 ans, D
    Kind("FACT", "FIN-06", 120, "Destroy", "fin de l'exercice"),  # factures, 10 ans, D
    Kind("ELEC", "ELE-04", 1, "Destroy", "date du scrutin"),  # cartes non distribuées, 1 mois
    Kind("PERM", "URB-01", 30 * 12, "Keep", "date de délivrance"),  # permis, 30 ans, C
    Kind("COMPTA", "APP-00005", 72, "none", None),  # Vitam: 6 ans, no final action
    Kind("PV", "ELE-01", 6, "Keep", "date de proclamation des résultats"),  # PV, 6 mois, C
]
HOLD_FROM, HOLD_UNTIL = date(2000, 3, 1), date(2010, 6, 1)


def months_after(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, day.day)


@dataclass
class Filed:
    id: str
    kind: Kind
    due_on: date


def setup_referential(ged: Ged) -> dict[str, str]:
    with TABLEAU.open("rb") as stream:
        rules.import_rules(ged.ctx, ged.admin, stream, "csv")
    if VITAM.exists():
        with VITAM.open("rb") as stream:
            rules.import_rules(ged.ctx, ged.admin, stream, "vitam")
    else:
        rules.import_rules(ged.ctx, ged.admin, io.BytesIO(VITAM_EXCERPT.encode()), "vitam")
    root = filing.create_plan_node(ged.ctx, ged.admin, "ADM", "Administration", None).id
    nodes = {}
    for kind in KINDS:
        node = filing.create_plan_node(ged.ctx, ged.admin, kind.code, kind.code, root).id
        rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, node, kind.rule)
        nodes[kind.code] = node
    return nodes


def file_dossier(ged: Ged, nodes: dict[str, str], today: date, index: int) -> Filed:
    kind = KINDS[index % len(KINDS)]
    service = ged.service if index % 2 else ged.other_service
    dossier = filing.create_dossier(
        ged.ctx,
        ged.admin,
        service_id=service.id,
        title=f"{kind.code} {today:%Y-%m}",
        plan_node_id=nodes[kind.code],
        opened_on=months_after(today, -12),
    )
    filing.close_dossier(ged.ctx, ged.admin, dossier.id, today)
    if kind.event:
        lifecycle.record_event(ged.ctx, ged.admin, dossier.id, kind.event, today)
    return Filed(dossier.id, kind, months_after(today, kind.months))


def expected_phases(
    filed: list[Filed], today: date, gone: dict[str, Phase], held: str | None
) -> Counter[str]:
    phases: Counter[str] = Counter()
    for f in filed:
        if f.id in gone:
            phases[gone[f.id].value] += 1
        elif f.id == held:
            phases[Phase.INTERMEDIATE.value] += 1  # frozen when the hold was placed
        else:
            phases[(Phase.DUE if f.due_on <= today else Phase.INTERMEDIATE).value] += 1
    return phases


@pytest.mark.slow
def test_thirty_years_month_by_month(ged: Ged) -> None:
    nodes = setup_referential(ged)
    ged.clock.now = datetime(1995, 12, 1, 9, tzinfo=UTC)  # appointed before every proposal
    author, _ = ged.user("auteur", Role.ARCHIVIST)
    approver, _ = ged.user("archiviste", Role.ARCHIVIST)
    filed: list[Filed] = []
    gone: dict[str, Phase] = {}
    hold_id: str | None = None
    held: str | None = None
    predicted = 0
    proposals = 0
    for index in range(30 * 12):
        today = months_after(date(1996, 1, 1), index)
        ged.clock.now = datetime(today.year, today.month, today.day, 9, tzinfo=UTC)
        if index % 2 == 0:  # a dossier every other month keeps the run short
            filed.append(file_dossier(ged, nodes, today, index // 2))
        lifted = 0
        if today == HOLD_FROM:
            held = next(f.id for f in filed if f.kind.code == "FACT")
            hold_id = holds.place_hold(ged.ctx, ged.admin, held, "contentieux fiscal").id
        if today == HOLD_UNTIL and hold_id is not None:
            holds.lift_hold(ged.ctx, ged.admin, hold_id, "jugement définitif")
            held, lifted = None, 1
        report = lifecycle.run_lifecycle(ged.ctx, ged.admin)
        became_due = [t for t in report.transitions if t.after is Phase.DUE]
        assert len(became_due) == predicted + lifted, today
        if today.month == 1:
            proposals += yearly_actions(ged, author, approver, filed, gone, held, today)
        counts = lifecycle.phase_counts(ged.ctx, ged.admin)
        assert counts == expected_phases(filed, today, gone, held), today
        rows = lifecycle.forecast_due(ged.ctx, ged.admin, 1)
        predicted = sum(r.count - r.held for r in rows)
        for row in rows:
            expected = {f.kind.action for f in filed if f.due_on.strftime("%Y-%m") == row.month}
            assert row.final_action in expected
    assert lifecycle.run_lifecycle(ged.ctx, ged.admin).transitions == []  # idempotent
    assert len(filed) == 180 and proposals >= 25
    assert Counter(p.value for p in gone.values())[Phase.ELIMINATED.value] > 50
    long_term = lifecycle.forecast_due(ged.ctx, ged.admin, 120)
    assert {r.final_action for r in long_term} >= {"Keep"}
    assert sum(r.count for r in long_term) == sum(
        1 for f in filed if today < f.due_on <= months_after(today, 120) and f.id not in gone
    )


def yearly_actions(
    ged: Ged,
    author: Principal,
    approver: Principal,
    filed: list[Filed],
    gone: dict[str, Phase],
    held: str | None,
    today: date,
) -> int:
    """January: eliminate what is due to be destroyed (with a visa), transfer what is kept."""
    due = [f for f in filed if f.due_on <= today and f.id not in gone and f.id != held]
    to_destroy = {f.id for f in due if f.kind.action == "Destroy"}
    try:
        proposal = eliminations.propose_eliminations(ged.ctx, author)
    except NothingToPropose:
        assert not to_destroy
        return 0
    assert {i.dossier_id for i in proposal.items} == to_destroy
    eliminations.approve_elimination(ged.ctx, approver, proposal.proposal.id)
    done = eliminations.execute_elimination(ged.ctx, ged.admin, proposal.proposal.id)
    assert set(done.eliminated) == to_destroy and not done.skipped
    gone.update(dict.fromkeys(to_destroy, Phase.ELIMINATED))
    for f in due:
        if f.kind.action == "Keep":
            reference = f"SIP-{today:%Y}"
            lifecycle.start_transfer(ged.ctx, ged.admin, f.id, reference)
            lifecycle.accept_transfer(
                ged.ctx,
                ged.admin,
                f.id,
                message_identifier=reference,
                archive_identifiers=[f"ARCH-{f.id}"],
            )
            gone[f.id] = Phase.PERMANENT
    return 1
