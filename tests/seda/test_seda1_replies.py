"""SEDA 1.0 acknowledgements and transfer replies (As@lae's shape: `listVersionID` attributes,
agencies with a Name, archives described) read into the same normalised outcome as 2.x replies;
the ones we build are valid against the official 1.0 XSD and read back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from seda.replies import Outcome, parse_reply
from seda.safexml import log_entries
from seda.schemaset import official_schema
from seda.v1.replies import build_acknowledgement_v1, build_transfer_reply_v1
from seda.versions import SEDA_1_0

NS = SEDA_1_0.namespace
ACK = f"""<?xml version="1.0" encoding="UTF-8"?>
<Acknowledgement xmlns="{NS}">
  <Comment>Votre transfert a été pris en compte</Comment>
  <Date>2024-05-06T10:01:00+02:00</Date>
  <AcknowledgementIdentifier>ACK_12</AcknowledgementIdentifier>
  <MessageReceivedIdentifier>VERS-2024-001</MessageReceivedIdentifier>
  <Receiver><Identification>FRAD035</Identification><Name>Archives</Name></Receiver>
  <Sender><Identification>FR_DF</Identification><Name>Finances</Name></Sender>
</Acknowledgement>""".encode()


def _reply(code: str, archives: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransferReply xmlns="{NS}">
  <Comment>Réponse du service d'archives</Comment>
  <Date>2024-05-07T09:00:00+02:00</Date>
  <GrantDate>2024-05-07T09:00:00+02:00</GrantDate>
  <ReplyCode listVersionID="edition 2009">{code}</ReplyCode>
  <TransferIdentifier>VERS-2024-001</TransferIdentifier>
  <TransferReplyIdentifier>ATR_7</TransferReplyIdentifier>
  <ArchivalAgency><Identification>FRAD035</Identification></ArchivalAgency>
  <TransferringAgency><Identification>FR_DF</Identification></TransferringAgency>{archives}
</ArchiveTransferReply>""".encode()


ARCHIVE = """
  <Archive>
    <ArchivalAgencyArchiveIdentifier>AD35_2024_160</ArchivalAgencyArchiveIdentifier>
    <DescriptionLanguage listVersionID="edition 2009">fra</DescriptionLanguage>
    <Name>Délibérations 2023</Name>
    <ContentDescription>
      <DescriptionLevel>file</DescriptionLevel>
      <Language listVersionID="edition 2009">fra</Language>
    </ContentDescription>
    <AccessRestrictionRule><Code>AR038</Code><StartDate>2023-12-31</StartDate></AccessRestrictionRule>
  </Archive>"""


def _assert_valid(schema_dir: Path, data: bytes) -> None:
    schema = official_schema(schema_dir, SEDA_1_0)
    ok = schema.validate(etree.fromstring(data))
    assert ok, [f"{e.line}: {e.message}" for e in log_entries(schema.error_log)]


def test_the_fixtures_are_valid_seda_1_0(schema_dir: Path) -> None:
    for data in (ACK, _reply("000", ARCHIVE), _reply("300")):
        _assert_valid(schema_dir, data)


def test_a_1_0_acknowledgement_means_received_with_both_identifiers() -> None:
    outcome = parse_reply(ACK)
    assert (outcome.outcome, outcome.message_type) == (Outcome.RECEIVED, "Acknowledgement")
    assert (outcome.reply_identifier, outcome.transfer_identifier) == ("ACK_12", "VERS-2024-001")


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("000", Outcome.ACCEPTED),
        ("001", Outcome.ACCEPTED_WITH_WARNINGS),
        ("300", Outcome.REJECTED),
        ("207", Outcome.REJECTED),
    ],
)
def test_a_1_0_reply_code_gives_the_normalised_outcome(code: str, outcome: Outcome) -> None:
    result = parse_reply(_reply(code))
    assert (result.outcome, result.reply_code, result.dialect) == (outcome, code, "asalae")
    assert (result.reply_identifier, result.transfer_identifier) == ("ATR_7", "VERS-2024-001")


def test_an_accepted_1_0_reply_gives_the_repository_identifier_of_each_archive() -> None:
    assert parse_reply(_reply("000", ARCHIVE)).archive_identifiers == ("AD35_2024_160",)


def test_the_1_0_acknowledgement_and_reply_we_build_are_valid_and_read_back(
    schema_dir: Path,
) -> None:
    when = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
    ack = build_acknowledgement_v1(
        message_identifier="ACK-1",
        received_identifier="VERS-1",
        sender="FRAD035",
        receiver="FR_DF",
        date=when,
        comment="reçu",
    )
    reply = build_transfer_reply_v1(
        message_identifier="ATR-1",
        request_identifier="VERS-1",
        reply_code="000",
        archival_agency="FRAD035",
        transferring_agency="FR_DF",
        date=when,
        grant_date=when,
    )
    for data in (ack, reply):
        _assert_valid(schema_dir, data)
    assert parse_reply(ack).transfer_identifier == "VERS-1"
    read = parse_reply(reply)
    assert (read.outcome, read.reply_identifier, read.transfer_identifier) == (
        Outcome.ACCEPTED,
        "ATR-1",
        "VERS-1",
    )


def test_a_1_0_reply_keeps_its_comments_and_each_archive_as_a_top_level_unit() -> None:
    second = ARCHIVE.replace("AD35_2024_160", "AD35_2024_161")
    read = parse_reply(_reply("000", ARCHIVE + second))
    assert read.comments == ("Réponse du service d'archives",)  # As@lae gives its reasons there
    assert [(u.identifier, u.top_level) for u in read.units] == [
        ("AD35_2024_160", True),
        ("AD35_2024_161", True),
    ]
    assert parse_reply(_reply("300")).comments == ("Réponse du service d'archives",)
