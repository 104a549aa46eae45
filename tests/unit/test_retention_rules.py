"""Retention rules of the GED: start events, final actions, versions (ged.domain.retention)."""

from __future__ import annotations

from datetime import date

import pytest

from ged.domain.retention import (
    FinalAction,
    InvalidRule,
    RetentionRule,
    StartEvent,
    StartEventKind,
    revise,
)
from kernel.retention import Duration, NoEndDate, RuleCategory, deadline

# --- start events and final actions -----------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["clôture du dossier", "Clôture", "à compter de la clôture du dossier", "cloture"]
)
def test_closing_wordings_are_the_dossier_closing(text: str) -> None:
    assert StartEvent.parse(text) == StartEvent.dossier_closing()


@pytest.mark.parametrize(
    "text", ["date du document le plus récent", "Date du dernier document", "dernière pièce"]
)
def test_last_document_wordings(text: str) -> None:
    assert StartEvent.parse(text) == StartEvent.last_document()


def test_other_wordings_are_named_business_events() -> None:
    event = StartEvent.parse("date de naissance de l'agent")
    assert event.kind is StartEventKind.BUSINESS_EVENT
    assert event.name == "date de naissance de l'agent"
    assert StartEvent.parse(event.to_french()) == event


def test_only_a_business_event_has_a_name() -> None:
    with pytest.raises(InvalidRule):
        StartEvent(StartEventKind.BUSINESS_EVENT)
    with pytest.raises(InvalidRule):
        StartEvent(StartEventKind.DOSSIER_CLOSING, "fin de l'agent")


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("Keep", FinalAction.KEEP),
        ("Destroy", FinalAction.DESTROY),
        ("RestrictAccess", FinalAction.RESTRICT_ACCESS),
        ("Transfer", FinalAction.TRANSFER),
        ("Copy", FinalAction.COPY),
        ("C", FinalAction.KEEP),
        ("d", FinalAction.DESTROY),
        ("T", FinalAction.SORT),
        ("Conservation", FinalAction.KEEP),
        ("conservation intégrale", FinalAction.KEEP),
        ("Destruction", FinalAction.DESTROY),
        ("Élimination", FinalAction.DESTROY),
        ("tri", FinalAction.SORT),
    ],
)
def test_final_actions_are_read_from_seda_codes_and_french(text: str, action: FinalAction) -> None:
    assert FinalAction.parse(text) is action


def test_an_unknown_final_action_is_none() -> None:
    assert FinalAction.parse("versement") is None
    assert FinalAction.parse("") is None


def test_final_actions_belong_to_appraisal_or_storage() -> None:
    assert {a for a in FinalAction if a.category is RuleCategory.APPRAISAL} == {
        FinalAction.KEEP,
        FinalAction.DESTROY,
        FinalAction.SORT,
    }
    assert [a.french_code for a in FinalAction][:3] == ["C", "D", "T"]
    assert FinalAction.COPY.french_code is None


# --- rules and versions ------------------------------------------------------------------------


def make_rule(**overrides: object) -> RetentionRule:
    fields: dict[str, object] = {
        "identifier": "RH-01",
        "category": RuleCategory.APPRAISAL,
        "label": "Dossiers individuels des agents",
        "duration": Duration(years=80),
        "start_event": StartEvent.business_event("date de naissance de l'agent"),
        "final_action": FinalAction.SORT,
        "legal_reference": "Instruction DAF/DPACI/RES/2009/018",
    }
    fields.update(overrides)
    return RetentionRule(**fields)  # type: ignore[arg-type]


def test_a_storage_action_does_not_fit_an_appraisal_rule() -> None:
    with pytest.raises(InvalidRule):
        make_rule(final_action=FinalAction.TRANSFER)


def test_an_access_rule_has_no_final_action() -> None:
    with pytest.raises(InvalidRule):
        make_rule(category=RuleCategory.ACCESS, final_action=FinalAction.KEEP)


def test_only_a_hold_may_have_no_duration() -> None:
    with pytest.raises(InvalidRule):
        make_rule(duration=None)
    hold = make_rule(category=RuleCategory.HOLD, duration=None, final_action=None)
    assert deadline(date(2024, 1, 1), hold.duration).reason is NoEndDate.NO_DURATION


def test_a_rule_needs_an_identifier() -> None:
    with pytest.raises(InvalidRule):
        make_rule(identifier="  ")


def test_a_change_makes_a_new_version() -> None:
    rule = make_rule()
    revised = revise(rule, duration=Duration(years=90))
    assert revised.version == 2 and revised.duration == Duration(years=90)
    assert rule.version == 1 and rule.duration == Duration(years=80)
    assert revise(revised, notes="tri par lettres").version == 3


def test_a_revision_that_changes_nothing_keeps_the_version() -> None:
    rule = make_rule()
    assert revise(rule, duration=Duration(years=80)) is rule


@pytest.mark.parametrize("field", ["identifier", "version"])
def test_identifier_and_version_are_not_revisable(field: str) -> None:
    with pytest.raises(InvalidRule):
        revise(make_rule(), **{field: "RH-02" if field == "identifier" else 7})


def test_a_revision_is_checked_like_a_new_rule() -> None:
    with pytest.raises(InvalidRule):
        revise(make_rule(), final_action=FinalAction.COPY)
