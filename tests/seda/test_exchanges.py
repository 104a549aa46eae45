"""Every exchange between producer and repository but the transfer: each message, in SEDA 2.1,
2.2, 2.3 and 1.0 where it exists, is valid against the official XSD of its version and parses
back to the same dataclass; what a version cannot carry is refused, never dropped."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from seda.acknowledgement import Acknowledgement
from seda.communication import ArchiveDeliveryRequest, ArchiveDeliveryRequestReply
from seda.elimination import (
    ArchiveDestructionNotification,
    AuthorizationControlAuthorityRequest,
    AuthorizationControlAuthorityRequestReply,
    AuthorizationOriginatingAgencyRequest,
    AuthorizationOriginatingAgencyRequestReply,
    ProducerAuthorization,
    UnitToDestroy,
)
from seda.errors import EmptyIdentifier, MissingValue, NoUnit, VersionMismatch
from seda.messages import MESSAGE_TYPES, build_message, parse_message
from seda.model import (
    AccessRule,
    ArchiveUnit,
    BinaryDataObject,
    Content,
    DataObjectGroup,
    DataObjectPackage,
    Event,
    Management,
    ManagementMetadata,
    ObjectReference,
    Rule,
)
from seda.modification import ArchiveModificationNotification
from seda.restitution import ArchiveRestitutionRequest, ArchiveRestitutionRequestReply
from seda.safexml import log_entries
from seda.schemaset import official_schema
from seda.versions import ALL_VERSIONS, SEDA_1_0, AnyVersion, SedaVersion

WHEN = datetime(2024, 6, 3, 14, 30, 5, tzinfo=UTC)
UNITS = ("AD35_2024_160", "AD35_2024_161")
DIP = DataObjectPackage(
    (
        DataObjectGroup(
            "GOT_1",
            (BinaryDataObject("BDO_1", "content/BDO_1.pdf", "ab" * 64, size=1024),),
        ),
    ),
    (
        ArchiveUnit(
            "AU_1",
            Content("File", ("Délibérations 2023",), system_ids=("AD35_2024_160",)),
            Management(access=AccessRule((Rule("ACC-00001", date(2023, 12, 31)),))),
            object_references=(ObjectReference(data_object_group_reference_id="GOT_1"),),
        ),
    ),
    ManagementMetadata(originating_agency_identifier="FR_DF"),
)
OPERATION = (
    Event("2024-06-03T14:30:00Z", type_code="CHECK_ACCESS", outcome="OK", detail="communicable"),
)
TO_DESTROY = (
    UnitToDestroy("DOSSIER-1", "Marchés 2012", "MP-2012", date(2012, 1, 1), date(2012, 12, 31)),
    UnitToDestroy("DOSSIER-2"),
)
PRODUCER = ProducerAuthorization(True, "AUTH-REPLY-7", "FR_DF", ("Accord du directeur",))

# One message of each kind, with every field its 2.x form carries.
MESSAGES: list[Any] = [
    Acknowledgement("ACK-1", WHEN, "VERS-1", "FRAD035", "FR_DF", ("reçu",)),
    ArchiveDeliveryRequest(
        "COM-1", WHEN, "FRAD035", "FR_DF", UNITS, True, ("dérogation demandée",), "AGR-1"
    ),
    ArchiveDeliveryRequestReply(
        "COM-1-R",
        WHEN,
        "COM-1",
        "FRAD035",
        "FR_DF",
        UNITS,
        "000",
        "DEROG-3",
        ("DIP joint",),
        "AGR-1",
        DIP,
        OPERATION,
    ),
    ArchiveRestitutionRequest("RES-1", WHEN, "FRAD035", "FR_DF", UNITS, ("départ",), "AGR-1"),
    ArchiveRestitutionRequestReply(
        "RES-1-R", WHEN, "RES-1", "FRAD035", "FR_DF", UNITS, "000", (), "AGR-1", DIP
    ),
    AuthorizationOriginatingAgencyRequest(
        "ELIM-1", WHEN, "FRAD035", "FR_DF", "FRAD035", "destruction", date(2024, 6, 3), TO_DESTROY
    ),
    AuthorizationOriginatingAgencyRequestReply(
        "ELIM-1-R", WHEN, "ELIM-1", "FRAD035", "FR_DF", "000", ("accord",), None, OPERATION
    ),
    AuthorizationControlAuthorityRequest(
        "ELIM-2",
        WHEN,
        "FRAD035",
        "FR_AD_CST",
        "FRAD035",
        "destruction",
        date(2024, 6, 4),
        TO_DESTROY,
        ("DUA échue",),
    ),
    AuthorizationControlAuthorityRequestReply(
        "ELIM-2-R", WHEN, "ELIM-2", "FRAD035", "FR_AD_CST", "000", ("visa",)
    ),
    ArchiveDestructionNotification(
        "ELIM-3", WHEN, "FRAD035", "FR_DF", "ELIM-2-R", TO_DESTROY, ("détruit",)
    ),
    ArchiveModificationNotification(
        "MOD-1", WHEN, "FRAD035", "FR_DF", UNITS, ("règle de communicabilité révisée",), None, DIP
    ),
]
# What SEDA 1.0 cannot carry: agreement, package, operation, unit descriptions, a free reason.
NOT_IN_1_0 = {"archival_agreement": None, "package": None, "events": ()}


def _in_1_0(message: Any) -> Any:
    names = {f.name for f in dataclasses.fields(message)}
    changes = {k: v for k, v in NOT_IN_1_0.items() if k in names}
    if "units" in names:
        changes["units"] = tuple(UnitToDestroy(u.identifier) for u in message.units)
    if isinstance(message, AuthorizationControlAuthorityRequest):
        changes["producer_authorization"] = PRODUCER
    return dataclasses.replace(message, **changes)


def _assert_valid(schema_dir: Path, version: AnyVersion, data: bytes) -> None:
    schema = official_schema(schema_dir, version)
    assert schema.validate(etree.fromstring(data)), [
        f"{e.line}: {e.message}" for e in log_entries(schema.error_log)
    ]


def test_every_message_type_has_a_case() -> None:
    assert {type(m) for m in MESSAGES} == set(MESSAGE_TYPES)


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=lambda v: v.value)
@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_each_message_is_valid_in_each_version_and_parses_back_the_same(
    message: Any, version: AnyVersion, schema_dir: Path
) -> None:
    expected = _in_1_0(message) if version is SEDA_1_0 else message
    data = build_message(version, expected)
    _assert_valid(schema_dir, version, data)
    assert parse_message(data) == (version, expected)


@pytest.mark.parametrize(
    "message",
    [m for m in MESSAGES if any(getattr(m, k, v) != v for k, v in NOT_IN_1_0.items())],
    ids=lambda m: type(m).__name__,
)
def test_what_seda_1_0_cannot_carry_is_refused(message: Any) -> None:
    with pytest.raises(VersionMismatch, match=r"SEDA 1\.0"):
        build_message(SEDA_1_0, message)


@pytest.mark.parametrize("index", [5, 7, 9], ids=["producer", "control", "destruction"])
def test_described_units_of_an_elimination_are_refused_in_seda_1_0(index: int) -> None:
    described = dataclasses.replace(_in_1_0(MESSAGES[index]), units=TO_DESTROY)
    with pytest.raises(VersionMismatch, match="DOSSIER-1"):
        build_message(SEDA_1_0, described)


def test_seda_1_0_reasons_and_producer_answer_are_checked() -> None:
    request = _in_1_0(MESSAGES[7])
    with pytest.raises(VersionMismatch, match="communication, destruction"):
        build_message(SEDA_1_0, dataclasses.replace(request, reason="élimination"))
    with pytest.raises(MissingValue, match="OriginatingAgencyAuthorization"):
        build_message(SEDA_1_0, dataclasses.replace(request, producer_authorization=None))
    silent = dataclasses.replace(PRODUCER, comments=())
    with pytest.raises(MissingValue, match="Comment"):
        build_message(SEDA_1_0, dataclasses.replace(request, producer_authorization=silent))
    with pytest.raises(VersionMismatch, match=r"SEDA 1\.0"):
        build_message(
            SedaVersion.V2_3, dataclasses.replace(MESSAGES[7], producer_authorization=PRODUCER)
        )


def test_a_message_naming_no_unit_or_an_empty_identifier_is_refused() -> None:
    request = MESSAGES[1]
    with pytest.raises(NoUnit):
        build_message(SedaVersion.V2_2, dataclasses.replace(request, unit_identifiers=()))
    with pytest.raises(EmptyIdentifier):
        build_message(SedaVersion.V2_2, dataclasses.replace(request, message_identifier=" "))
    with pytest.raises(EmptyIdentifier):
        build_message(SEDA_1_0, dataclasses.replace(request, requester="", archival_agreement=None))
