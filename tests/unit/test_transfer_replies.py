"""Which archive identifier of a positive reply belongs to which dossier of the transfer."""

from __future__ import annotations

import pytest

from ged.services.transfer_replies import UntrustedReply, archives_by_dossier
from seda.replies import Outcome, ReplyOutcome, ReplyUnit

DOSSIERS = ("dossier-a", "dossier-b")


def positive(*units: ReplyUnit, identifiers: tuple[str, ...] | None = None) -> ReplyOutcome:
    named = tuple(u.identifier for u in units) if identifiers is None else identifiers
    return ReplyOutcome(
        Outcome.ACCEPTED, "ArchiveTransferReply", "OK", "vitam", "ATR", "MID", named, (), units
    )


def test_units_that_keep_our_ids_are_mapped_by_id_whatever_their_order() -> None:
    reply = positive(
        ReplyUnit("AU_2", "doc-of-b", True),
        ReplyUnit("AU_D2", "arch-b", True),
        ReplyUnit("AU_1", "doc-of-a", True),
        ReplyUnit("AU_D1", "arch-a", True),
    )
    assert archives_by_dossier(DOSSIERS, reply) == {
        "dossier-a": ("arch-a",),
        "dossier-b": ("arch-b",),
    }


def test_top_level_units_without_our_ids_are_mapped_in_the_manifests_order() -> None:
    reply = positive(
        ReplyUnit("x1", "AE_1", True),
        ReplyUnit("x1-1", "AE_1_0001", False),
        ReplyUnit("x2", "AE_2", True),
    )
    assert archives_by_dossier(DOSSIERS, reply) == {
        "dossier-a": ("AE_1",),
        "dossier-b": ("AE_2",),
    }


def test_every_identifier_belongs_to_the_only_dossier_of_a_transfer() -> None:
    reply = positive(ReplyUnit("u1", "arch-1", True), ReplyUnit("u2", "arch-2", True))
    assert archives_by_dossier(("dossier-a",), reply) == {"dossier-a": ("arch-1", "arch-2")}


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        (positive(), "archive_identifier_missing"),
        (positive(ReplyUnit("", "arch-1", True)), "archive_identifiers_unmapped"),
        (
            positive(*(ReplyUnit(f"u{n}", f"arch-{n}", True) for n in range(3))),
            "archive_identifiers_unmapped",
        ),
    ],
    ids=["no-identifier", "one-for-two", "three-for-two"],
)
def test_identifiers_that_cannot_be_told_apart_are_not_trusted(
    reply: ReplyOutcome, code: str
) -> None:
    with pytest.raises(UntrustedReply) as refused:
        archives_by_dossier(DOSSIERS, reply)
    assert refused.value.issues[0].code == code
