"""The repository's French vocabulary has a word for every code its pages and command line may
show: a new state, severity or journal finding without one fails here, not in front of a
person (where it would read « inconnu »)."""

from __future__ import annotations

from sae import presentation
from sae.journal.verification import CheckpointCode
from sae.model import PERSON_ROLES, ROLES, TransferState
from seda.issues import Severity


def test_every_transfer_state_has_its_french_word() -> None:
    assert {s.value for s in TransferState} <= set(presentation.STATES)


def test_every_severity_and_journal_finding_has_its_french_word() -> None:
    assert {s.value for s in Severity} <= set(presentation.SEVERITIES)
    assert {c.value for c in CheckpointCode} <= set(presentation.FINDINGS)


def test_every_role_has_its_french_word() -> None:
    assert set(ROLES) | set(PERSON_ROLES) <= set(presentation.ROLES)


def test_a_code_without_a_word_reads_inconnu_never_the_code() -> None:
    assert presentation.filters()["state"]("awaiting_review") == "en attente de décision"
    assert presentation.filters()["state"]("nouvel_etat") == "inconnu"
