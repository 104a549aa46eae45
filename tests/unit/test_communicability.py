"""Communicability periods as records officers write them (ged.domain.communicability, Code du
patrimoine L213-1 and L213-2), read from a tableau de gestion, and the date they give a dossier
once its start event is known (ged.domain.lifecycle.rule_deadline)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from ged.domain.communicability import (
    ACCEPTED_WORDINGS,
    AccessPeriod,
    access_wording,
    parse_access_period,
)
from ged.domain.lifecycle import DossierFacts, event_key, rule_deadline
from ged.domain.retention import RetentionRule, RuleAlternative, StartEvent
from ged.services.rules_io import parse_tableau, write_tableau
from kernel.errors import InvalidError
from kernel.retention import Duration, NoEndDate, RuleCategory
from kernel.rules_referential import RulesFileRefused

DOCUMENT = StartEvent.last_document()
DEATH = StartEvent.business_event("date du décès")
BIRTH = StartEvent.business_event("date de naissance")


def years(n: int) -> Duration:
    return Duration(years=n)


@pytest.mark.parametrize(
    ("wording", "expected"),
    [
        ("communicable immédiatement", AccessPeriod(Duration(), DOCUMENT)),
        ("immédiat", AccessPeriod(Duration(), DOCUMENT)),
        ("Librement communicable", AccessPeriod(Duration(), DOCUMENT)),
        ("délai de 50 ans", AccessPeriod(years(50), DOCUMENT)),
        ("50 ans", AccessPeriod(years(50), DOCUMENT)),
        ("25 ans à compter de la date du document", AccessPeriod(years(25), DOCUMENT)),
        ("25 ans après le décès", AccessPeriod(years(25), DEATH)),
        ("25 ans à compter du décès de l'intéressé", AccessPeriod(years(25), DEATH)),
        ("25 ans à compter de la date du décès", AccessPeriod(years(25), DEATH)),
        ("120 ans à compter de la naissance", AccessPeriod(years(120), BIRTH)),
        ("120 ans à partir de la date de naissance", AccessPeriod(years(120), BIRTH)),
        (
            "75 ans à compter de la clôture du dossier",
            AccessPeriod(years(75), StartEvent.dossier_closing()),
        ),
        (
            "50 ans à compter de la fin de l'exercice",
            AccessPeriod(years(50), StartEvent.business_event("fin de l'exercice")),
        ),
        (
            "75 ans ou 25 ans à compter du décès si ce délai est plus bref",
            AccessPeriod(years(75), DOCUMENT, RuleAlternative(years(25), DEATH)),
        ),
        (
            "75 ans (ou 25 ans à compter du décès de l'intéressé si ce dernier délai est plus bref)",
            AccessPeriod(years(75), DOCUMENT, RuleAlternative(years(25), DEATH)),
        ),
        ("100 ans", AccessPeriod(years(100), DOCUMENT)),
        ("incommunicable", AccessPeriod(Duration.unlimited_duration(), DOCUMENT)),
    ],
)
def test_each_wording_of_the_code_du_patrimoine_is_read_with_its_start_event(
    wording: str, expected: AccessPeriod
) -> None:
    assert parse_access_period(wording) == expected


@pytest.mark.parametrize("wording", ACCEPTED_WORDINGS)
def test_every_wording_offered_to_records_officers_is_accepted(wording: str) -> None:
    period = parse_access_period(wording)
    written = access_wording(period.duration, period.start, period.alternative)
    assert parse_access_period(written) == period  # and written back the same way


@pytest.mark.parametrize(
    ("wording", "code"),
    [
        ("25 ou 50 ans", "ambiguous_access"),
        ("25 ans ou 50 ans", "ambiguous_access"),
        ("25 ans à compter du décès ou 75 ans", "ambiguous_access"),
        ("25 ans selon le cas", "ambiguous_access"),
        ("25 ans à compter du décès si le dossier est clos", "ambiguous_access"),
        ("25 ans ou 50 ans à compter de la date du document", "ambiguous_access"),
        ("quelques années", "bad_duration"),
    ],
)
def test_only_a_truly_ambiguous_wording_is_refused_offering_the_accepted_ones(
    wording: str, code: str
) -> None:
    with pytest.raises(InvalidError) as caught:
        parse_access_period(wording)
    [issue] = caught.value.issues
    assert issue.code == code
    assert f"« {wording} »" in issue.message
    assert all(f"« {accepted} »" in issue.message for accepted in ACCEPTED_WORDINGS)


HEADER = "Code;Intitulé;DUA;Point de départ;Sort final;Délai de communicabilité;Référence\n"


def test_a_tableau_row_with_an_ambiguous_wording_is_refused_naming_its_line() -> None:
    text = (
        HEADER
        + "SAN-1;Dossiers médicaux;20 ans;;D;25 ans après le décès;L213-2\n"
        + "SAN-2;Dossiers sociaux;20 ans;;D;25 ou 50 ans;L213-2\n"
    )
    with pytest.raises(RulesFileRefused) as caught:
        parse_tableau(io.BytesIO(text.encode()))
    [issue] = caught.value.issues
    assert (issue.line, issue.path, issue.code) == (3, "access", "ambiguous_access")
    assert "« 120 ans à compter de la naissance »" in issue.message


def test_the_tableau_keeps_each_start_event_and_writes_it_back() -> None:
    text = HEADER + "".join(
        f"X-{n};Dossiers {n};10 ans;;D;{wording};\n" for n, wording in enumerate(ACCEPTED_WORDINGS)
    )
    rules = parse_tableau(io.BytesIO(text.encode()))
    access = {r.identifier: r for r in rules if r.category is RuleCategory.ACCESS}
    assert access["X-3-ACC"].start_event == DOCUMENT
    assert access["X-4-ACC"].start_event == DEATH
    assert access["X-5-ACC"].start_event == BIRTH
    assert access["X-6-ACC"].start_event == StartEvent.dossier_closing()
    assert access["X-7-ACC"].alternative == RuleAlternative(years(25), DEATH)
    out = io.BytesIO()
    write_tableau(rules, out)
    assert parse_tableau(io.BytesIO(out.getvalue())) == rules


def facts(**events: date) -> DossierFacts:
    return DossierFacts(
        "d",
        "o",
        "s",
        None,
        date(1990, 1, 1),
        date(2000, 6, 30),
        last_document_on=date(2000, 6, 1),
        events={event_key(name.replace("_", " ")): on for name, on in events.items()},
    )


def access_rule(wording: str) -> RetentionRule:
    period = parse_access_period(wording)
    return RetentionRule(
        "R-ACC",
        RuleCategory.ACCESS,
        "Dossiers",
        period.duration,
        period.start,
        alternative=period.alternative,
    )


def test_the_communicability_date_counts_from_the_death_once_it_is_recorded() -> None:
    rule = access_rule("25 ans après le décès")
    assert rule_deadline(rule, facts()).reason is NoEndDate.MISSING_START_DATE
    assert rule_deadline(rule, facts(date_du_décès=date(2010, 3, 4))).date == date(2035, 3, 4)


def test_the_communicability_date_counts_from_the_birth() -> None:
    rule = access_rule("120 ans à compter de la naissance")
    assert rule_deadline(rule, facts(date_de_naissance=date(1950, 2, 1))).date == date(2070, 2, 1)


def test_the_shorter_alternative_wins_once_the_death_is_known() -> None:
    rule = access_rule("75 ans ou 25 ans à compter du décès si ce délai est plus bref")
    assert rule_deadline(rule, facts()).date == date(2075, 6, 1)  # the documents' 75 years
    early = facts(date_du_décès=date(2001, 1, 1))
    assert rule_deadline(rule, early).date == date(2026, 1, 1)  # the death's 25 years first
    late = facts(date_du_décès=date(2060, 1, 1))
    assert rule_deadline(rule, late).date == date(2075, 6, 1)  # 2085 would be later


def test_a_period_from_the_closing_waits_for_the_closing() -> None:
    rule = access_rule("75 ans à compter de la clôture du dossier")
    assert rule_deadline(rule, facts()).date == date(2075, 6, 30)
