"""AuthorizationControlAuthorityRequest and ArchiveDestructionNotification: valid against the
official XSD of SEDA 2.1, 2.2 and 2.3, and read back to what was given."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from seda.destruction import (
    ArchiveDestructionNotification,
    AuthorizationControlAuthorityRequest,
    EmptyIdentifier,
    NoUnitToDestroy,
    UnitToDestroy,
    build_authorization_request,
    build_destruction_notification,
    parse_authorization_request,
    parse_destruction_notification,
)
from seda.errors import InvalidXmlCharacter, NotSeda
from seda.safexml import log_entries
from seda.schemaset import official_schema
from seda.versions import SedaVersion

UNITS = (
    UnitToDestroy(
        "0f3c9e4a-1b2c-4d5e-8f90-123456789abc",  # starts with a digit: not an xs:ID
        title="Marchés publics 2012 — lot n°3 <voirie> & réseaux",
        reference="MP-2012-03",
        start_date=date(2012, 1, 1),
        end_date=date(2012, 12, 31),
        appraisal_rule="MP-01",
    ),
    UnitToDestroy("DOSSIER-2", title="Délibérations 2010"),
    UnitToDestroy("DOSSIER-3"),  # untitled: listed, not described
)
REQUEST = AuthorizationControlAuthorityRequest(
    message_identifier="ELIM-42-REQ",
    date=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
    archival_agency="FRAD033",
    control_authority="FRAD033-CST",
    requester="FR_DF",
    reason="Élimination (R212-14 Code du patrimoine)",
    request_date=date(2024, 3, 1),
    units=UNITS,
    comments=("DUA échue", "Sort final : destruction"),
    archival_agreement="CONV-2024",
)
NOTIFICATION = ArchiveDestructionNotification(
    message_identifier="ELIM-42-NOTIF",
    date=datetime(2024, 4, 2, 14, 0, 5, 123000, tzinfo=UTC),
    archival_agency="FRAD033",
    originating_agency="FR_DF",
    authorization_reply_identifier="ELIM-42-VISA",
    units=UNITS,
    comments=("Éliminé après visa",),
)


def assert_valid(schema_dir: Path, version: SedaVersion, data: bytes) -> None:
    schema = official_schema(schema_dir, version)
    ok = schema.validate(etree.fromstring(data))
    assert ok, [f"{e.line}: {e.message}" for e in log_entries(schema.error_log)]


@pytest.mark.parametrize("version", list(SedaVersion))
def test_authorization_request_is_valid_and_reads_back(
    schema_dir: Path, version: SedaVersion
) -> None:
    data = build_authorization_request(version, REQUEST)
    assert_valid(schema_dir, version, data)
    assert parse_authorization_request(data) == (version, REQUEST)


@pytest.mark.parametrize("version", list(SedaVersion))
def test_destruction_notification_is_valid_and_reads_back(
    schema_dir: Path, version: SedaVersion
) -> None:
    data = build_destruction_notification(version, NOTIFICATION)
    assert_valid(schema_dir, version, data)
    assert parse_destruction_notification(data) == (version, NOTIFICATION)


@pytest.mark.parametrize("version", list(SedaVersion))
def test_minimal_messages_without_descriptions_are_valid(
    schema_dir: Path, version: SedaVersion
) -> None:
    bare = (UnitToDestroy("U-1"),)
    request = replace(REQUEST, units=bare, comments=(), archival_agreement=None)
    notification = replace(NOTIFICATION, units=bare, comments=(), archival_agreement="CONV")
    for data in (
        build_authorization_request(version, request),
        build_destruction_notification(version, notification),
    ):
        assert b"DataObjectPackage" not in data
        assert_valid(schema_dir, version, data)
    assert parse_destruction_notification(
        build_destruction_notification(version, notification)
    ) == (version, notification)


def test_elements_follow_the_schema_order() -> None:
    root = etree.fromstring(build_authorization_request(SedaVersion.V2_2, REQUEST))
    names = [etree.QName(c).localname for c in root]
    assert names == [
        "Date",
        "MessageIdentifier",
        "ArchivalAgreement",
        "CodeListVersions",
        "DataObjectPackage",
        "AuthorizationRequestContent",
        "ArchivalAgency",
        "ControlAuthority",
    ]
    content = root.find("{*}AuthorizationRequestContent")
    assert content is not None
    assert [etree.QName(c).localname for c in content] == [
        "AuthorizationReason",
        "Comment",
        "Comment",
        "RequestDate",
        "UnitIdentifier",
        "UnitIdentifier",
        "UnitIdentifier",
        "Requester",
    ]
    assert [u.get("id") for u in root.iterfind(".//{*}ArchiveUnit")] == ["unit-1", "unit-2"]


def test_a_message_without_unit_is_refused() -> None:
    with pytest.raises(NoUnitToDestroy):
        build_destruction_notification(SedaVersion.V2_1, replace(NOTIFICATION, units=()))


def test_an_empty_identifier_is_refused() -> None:
    with pytest.raises(EmptyIdentifier):
        build_authorization_request(SedaVersion.V2_1, replace(REQUEST, control_authority=" "))
    with pytest.raises(EmptyIdentifier):
        build_authorization_request(SedaVersion.V2_1, replace(REQUEST, units=(UnitToDestroy(""),)))


def test_a_control_character_is_refused() -> None:
    bad = replace(REQUEST, units=(UnitToDestroy("U-1", title="bip\x07"),))
    with pytest.raises(InvalidXmlCharacter):
        build_authorization_request(SedaVersion.V2_3, bad)


def test_parsing_the_wrong_message_is_refused() -> None:
    data = build_destruction_notification(SedaVersion.V2_2, NOTIFICATION)
    with pytest.raises(NotSeda):
        parse_authorization_request(data)
