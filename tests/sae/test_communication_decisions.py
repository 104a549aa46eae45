"""The decision on a delivery request, with the repository's ports in memory and a fixed clock:
refused while the access delay runs, granted under a derogation on the days it covers, and each
communication in the access register (no database: ``tests/sae/fakes.py``)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sae.access.deliveries import receive_delivery_request
from sae.access.derogations import DerogationAsked, grant_derogation
from sae.model import (
    AccessBasis,
    ArchivalAgreement,
    CatalogueUnit,
    Description,
    FileKind,
    RuleRef,
    TenantFile,
    UnitRules,
)
from seda.communication import ArchiveDeliveryRequest
from seda.messages import build_message
from seda.versions import SedaVersion
from tests.sae.fakes import FakeDatabase, State
from tests.sae.test_deliveries import RULES_CSV

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_unit(archive_id: str, access: tuple[RuleRef, ...] = ()) -> CatalogueUnit:
    return CatalogueUnit(
        archive_id, "ARCH", "T-1", "TR-1", archive_id, None, 0, "Item", f"Pièce {archive_id}",
        "", None, None, None, NOW, rules=UnitRules(access=access),
    )  # fmt: skip


def repository(*units: CatalogueUnit) -> FakeDatabase:
    db = FakeDatabase()
    rules = RULES_CSV.encode()
    db.states["ARCH"] = State(
        descriptions=[Description(list(units), [])],
        agreements={"AGR-1": ArchivalAgreement("ARCH", frozenset({"SERVICE-A"}), frozenset())},
        files=[TenantFile(FileKind.RULES, "", rules, hashlib.sha256(rules).hexdigest(), NOW)],
    )
    return db


def ask(db: FakeDatabase, schema_dir: Path, mid: str, unit: str, now: datetime = NOW) -> bool:
    message = ArchiveDeliveryRequest(mid, now, "ARCH", "SERVICE-A", (unit,))
    data = build_message(SedaVersion.V2_2, message)
    delivery, new = receive_delivery_request(db, schema_dir, "ARCH", "ged", mid, data, now)
    assert new
    return delivery.granted


def test_a_derogation_opens_an_archive_to_its_requester_until_the_day_it_ends(
    schema_dir: Path,
) -> None:
    db = repository(make_unit("AU-1", (RuleRef("ACC-50", date(2021, 2, 1)),)))
    assert not ask(db, schema_dir, "COM-1", "AU-1")
    asked = DerogationAsked("AU-1", "SERVICE-A", "Recherche", NOW.date())
    derogation = grant_derogation(db, "ARCH", "alice", asked, NOW)
    assert ask(db, schema_dir, "COM-2", "AU-1")  # its last day
    assert not ask(db, schema_dir, "COM-3", "AU-1", NOW + timedelta(days=1))
    [record] = db.states["ARCH"].register
    assert (record.basis, record.derogation_id, record.delivery) == (
        AccessBasis.DEROGATION, derogation.id, "COM-2"
    )  # fmt: skip


def test_an_archive_bound_by_no_rule_is_communicated_at_once_and_registered_so(
    schema_dir: Path,
) -> None:
    db = repository(make_unit("AU-1"))
    assert ask(db, schema_dir, "COM-1", "AU-1")
    [record] = db.states["ARCH"].register
    assert (record.basis, record.rule_id, record.actor) == (AccessBasis.FREE, None, "ged")


def test_a_refused_request_leaves_the_register_empty(schema_dir: Path) -> None:
    db = repository(make_unit("AU-1", (RuleRef("ACC-INCONNUE", date(2000, 1, 1)),)))
    assert not ask(db, schema_dir, "COM-1", "AU-1")
    assert db.states["ARCH"].register == []
