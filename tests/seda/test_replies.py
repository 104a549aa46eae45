"""Replies from Vitam and As@lae normalise to one outcome; our own replies parse back."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from seda.replies import Outcome, build_acknowledgement, build_transfer_reply, parse_reply
from seda.versions import SedaVersion


@pytest.mark.parametrize(
    ("sample", "outcome", "dialect", "transfer_id"),
    [
        (
            "pastell/fakeSae-seda-2.1/ATR.xml",
            Outcome.ACCEPTED,
            "asalae",
            "15ef78ef665a8777c33d1125783707f8dfb190f82869dc9248e46c5ed396d70b_1542893421",
        ),
        (
            "pastell/fakeSae-seda-2.1/ATR_refused.xml",
            Outcome.REJECTED,
            "asalae",
            "1bc19af9-2212-4e5a-956a-36591c4ac27a",
        ),
        (
            "pastell/tests-helpers/atr_vitam_ok.xml",
            Outcome.ACCEPTED,
            "vitam",
            "ef311f05-2a6f-40fe-b015-00b8ebeafcbd",
        ),
        ("vitam/doc-examples/sedaArchiveTransferReplyKO.xml", Outcome.REJECTED, "vitam", None),
        (
            "vitam/worker-core/atr-with-cardinality-error.xml",
            Outcome.ACCEPTED_WITH_WARNINGS,
            "vitam",
            "SIP passant contenant 2 groupes d'objets",
        ),
    ],
)
def test_corpus_replies_normalise(
    samples_dir: Path, sample: str, outcome: Outcome, dialect: str, transfer_id: str | None
) -> None:
    result = parse_reply((samples_dir / sample).read_bytes())
    assert (result.outcome, result.dialect, result.transfer_identifier) == (
        outcome,
        dialect,
        transfer_id,
    )


def test_archive_identifiers_follow_each_repository(samples_dir: Path) -> None:
    asalae = parse_reply((samples_dir / "pastell/tests-helpers/atr_asalae_ok.xml").read_bytes())
    assert asalae.archive_identifiers == ("AE_2022_15",)
    vitam = parse_reply(
        (samples_dir / "vitam/doc-examples/sedaArchiveTransferReply.xml").read_bytes()
    )
    assert vitam.archive_identifiers and all(
        i.startswith("aeaq") for i in vitam.archive_identifiers
    )
    ko = parse_reply((samples_dir / "pastell/tests-helpers/atr_vitam_ko.xml").read_bytes())
    assert ko.events and ko.events[0][1] == "KO"


def test_expected_transfer_identifier_wins_over_the_dialect_guess() -> None:
    reply = build_transfer_reply(
        SedaVersion.V2_2,
        message_identifier="TR-1",
        request_identifier="ATR-9",
        reply_code="000",
        archival_agency="AA",
        transferring_agency="TA",
        date=datetime(2024, 1, 2, 3, 4, 5),
    )
    assert parse_reply(reply).transfer_identifier == "TR-1"  # As@lae reading
    assert parse_reply(reply, transfer_identifier="ATR-9").reply_identifier == "TR-1"


def test_built_replies_validate_and_parse_back(schema_dir: Path, tmp_path: Path) -> None:
    from seda.validate import ValidationOptions, validate_path

    ack = build_acknowledgement(
        SedaVersion.V2_3,
        message_identifier="ACK-1",
        received_identifier="TR-1",
        sender="S",
        receiver="R",
        date=datetime(2024, 1, 2, 3, 4, 5),
    )
    atr = build_transfer_reply(
        SedaVersion.V2_3,
        message_identifier="OP-1",
        request_identifier="TR-1",
        reply_code="OK",
        archival_agency="AA",
        transferring_agency="TA",
        date=datetime(2024, 1, 2, 3, 4, 5),
    )
    for name, data in (("ack.xml", ack), ("atr.xml", atr)):
        (tmp_path / name).write_bytes(data)
        assert validate_path(tmp_path / name, ValidationOptions(schema_dir=schema_dir)).valid
    assert parse_reply(ack).outcome is Outcome.RECEIVED
    assert parse_reply(atr).transfer_identifier == "TR-1"


def _unit(ident: str, system_id: str, *children: str) -> str:
    content = f"<Content><Title>{ident}</Title><SystemId>{system_id}</SystemId></Content>"
    return f'<ArchiveUnit id="{ident}">{content}{"".join(children)}</ArchiveUnit>'


def test_nested_units_of_a_reply_come_in_document_order_with_their_level() -> None:
    """Units are read at their end and dropped (a reply may name 100,000 of them): a parent is
    still listed before its children, and a SystemId outside the units is still an identifier."""
    tree = _unit("A", "AU-a", _unit("A1", "AU-a1", _unit("A1a", "AU-a1a")), _unit("A2", "AU-a2"))
    tree += _unit("B", "AU-b")
    xml = (
        '<ArchiveTransferReply xmlns="fr:gouv:culture:archivesdefrance:seda:v2.2">'
        "<Date>2024-01-01T00:00:00</Date><MessageIdentifier>R-1</MessageIdentifier>"
        f"<DataObjectPackage><DescriptiveMetadata>{tree}</DescriptiveMetadata>"
        "</DataObjectPackage><ReplyCode>OK</ReplyCode>"
        "<MessageRequestIdentifier>T-1</MessageRequestIdentifier>"
        "<Comment>fin</Comment></ArchiveTransferReply>"
    ).encode()
    outcome = parse_reply(xml)
    assert outcome.outcome is Outcome.ACCEPTED and outcome.transfer_identifier == "T-1"
    assert [(u.reference, u.identifier, u.top_level) for u in outcome.units] == [
        ("A", "AU-a", True),
        ("A1", "AU-a1", False),
        ("A1a", "AU-a1a", False),
        ("A2", "AU-a2", False),
        ("B", "AU-b", True),
    ]
    assert outcome.archive_identifiers == ("AU-a", "AU-a1", "AU-a1a", "AU-a2", "AU-b")
    assert outcome.comments == ("fin",)
