"""The French vocabulary people read: every code of the domain has its word, dates and sizes
are written the French way."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

import pytest

from connectors.config import KINDS
from ged.domain import visa
from ged.domain.lifecycle import (
    BindingTarget,
    EliminationBlocker,
    ItemStatus,
    NoDueDate,
    Phase,
    ProposalStatus,
    SortDecision,
)
from ged.domain.model import Damage, DossierStatus, ExtractionStatus, Role
from ged.domain.retention import FinalAction, StartEventKind
from ged.presentation import labels
from ged.services.applications import TokenState
from ged.services.ports import TransferState
from kernel.retention import Duration, RuleCategory
from seda.sip import SipLayout

TABLES: list[tuple[type[enum.Enum], object]] = [
    (Phase, labels.PHASES),
    (FinalAction, labels.FINAL_ACTIONS),
    (SortDecision, labels.SORT_DECISIONS),
    (TransferState, labels.TRANSFER_STATES),
    (Role, labels.ROLES),
    (ExtractionStatus, labels.EXTRACTION),
    (Damage, labels.DAMAGE),
    (DossierStatus, labels.DOSSIER_STATUS),
    (RuleCategory, labels.CATEGORIES),
    (BindingTarget, labels.RULE_ORIGINS),
    (NoDueDate, labels.NO_DUE_REASONS),
    (ProposalStatus, labels.PROPOSAL_STATUS),
    (StartEventKind, labels.START_EVENTS),
    (ItemStatus, labels.ITEM_STATUS),
    (EliminationBlocker, labels.ITEM_OUTCOMES),
    (SipLayout, labels.SIP_LAYOUTS),
    (TokenState, labels.TOKEN_STATES),
]


@pytest.mark.parametrize(("codes", "table"), TABLES, ids=lambda v: getattr(v, "__name__", ""))
def test_every_code_of_the_domain_has_a_french_word(codes: type[enum.Enum], table: object) -> None:
    for code in codes:
        word = labels.label(table, code)  # type: ignore[arg-type]
        assert word and word != labels.UNKNOWN, code


def test_an_unknown_code_shows_as_unknown_never_as_itself() -> None:
    assert labels.phase("dua_over_destroy") == "inconnu"
    assert labels.phase(None) == "non calculée"


def test_dates_are_written_in_french_words() -> None:
    assert labels.day(date(2026, 12, 6)) == "6 décembre 2026"
    assert labels.day(date(2027, 1, 1)) == "1er janvier 2027"
    assert labels.month("2026-08") == "août 2026"


def test_a_moment_is_shown_in_paris_time() -> None:
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert labels.day(late) == "1er janvier 2027"
    assert labels.moment(late) == "1er janvier 2027 à 0 h 30"


@pytest.mark.parametrize(
    ("octets", "shown"),
    [(0, "0 octet"), (1, "1 octet"), (512, "512 octets"), (1536, "1,5 Ko"),
     (1024**2, "1 Mo"), (12 * 1024**2 + 1, "12 Mo"), (int(1.1 * 1024**3), "1,1 Go")],
)  # fmt: skip
def test_sizes_are_in_french_units_with_a_decimal_comma(octets: int, shown: str) -> None:
    assert labels.size(octets) == shown


def test_a_zero_duration_is_immediate_never_zero_years() -> None:
    assert labels.duration(Duration()) == "immédiat"
    assert labels.duration(Duration(years=5)) == "5 ans"
    assert labels.duration(Duration.unlimited_duration()) == "illimitée"


def test_counts_agree_in_number_as_french_does() -> None:
    assert labels.count(0, "dossier") == "0 dossier"
    assert labels.count(1, "dossier") == "1 dossier"
    assert labels.count(2, "changement de phase", "changements de phase") == (
        "2 changements de phase"
    )


def test_a_code_is_found_from_its_french_word_without_case_or_accents() -> None:
    assert labels.code_of(labels.PHASES, "Intermediaire") == "intermediate"
    assert labels.code_of(labels.PHASES, "dua ÉCHUE") == "due"
    assert labels.code_of(labels.PHASES, "due") == "due"
    assert labels.code_of(labels.PHASES, "bientôt") is None


def test_formats_people_recognise_are_named_and_others_are_another_format() -> None:
    assert labels.file_format("application/pdf") == "PDF"
    assert labels.file_format("text/plain; charset=utf-8") == "texte brut"
    assert labels.file_format("application/x-unknown") == "autre format"
    assert labels.file_format(None) == "autre format"


def test_zero_may_be_said_in_words() -> None:
    assert (
        labels.count(0, "document déposé", none="aucun document déposé") == "aucun document déposé"
    )
    assert (
        labels.count(2, "document déposé", "documents déposés", none="aucun")
        == "2 documents déposés"
    )


def test_every_refusal_of_the_visa_is_said_to_the_person_in_french() -> None:
    refusals = [
        c
        for c in vars(visa).values()
        if isinstance(c, type) and issubclass(c, visa.ApprovalRefused)
    ]
    codes = {c.code for c in refusals if c is not visa.ApprovalRefused}
    assert codes == set(labels.VISA_REFUSALS)


def test_every_kind_of_connector_has_a_french_name() -> None:
    assert set(labels.CONNECTOR_KINDS) == set(KINDS)
