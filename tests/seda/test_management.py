"""Management rules in the ArchiveTransfer (SEDA 2.1 / 2.2 / 2.3): every rule category written in
schema order, valid against the official XSD of each version, and read back to the same values;
what a version or the XSD cannot carry is refused before a byte is left behind."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from seda.errors import InvalidRule, VersionMismatch
from seda.model import (
    AccessRule,
    Agency,
    AppraisalRule,
    ArchiveTransfer,
    ArchiveUnit,
    ClassificationRule,
    Content,
    DisseminationRule,
    HoldRule,
    HoldRuleItem,
    Management,
    ManagementMetadata,
    ReuseRule,
    Rule,
    StorageRule,
    TransferHeader,
)
from seda.reader import read_transfer
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion
from seda.writer import write_transfer

EVERY_CATEGORY = Management(
    storage=StorageRule((Rule("STO-1", date(2020, 1, 1)),), final_action="RestrictAccess"),
    appraisal=AppraisalRule(
        (Rule("APP-10Y", date(2021, 6, 30)), Rule("APP-5Y")), final_action="Destroy"
    ),
    access=AccessRule((Rule("ACC-25Y", date(2021, 6, 30)),), prevent_inheritance=True),
    dissemination=DisseminationRule((Rule("DIS-1"),), ref_non_rule_ids=("DIS-0",)),
    reuse=ReuseRule((Rule("REU-1", date(2022, 1, 1)),)),
    classification=ClassificationRule(
        (Rule("CLASS-1"),),
        classification_level="Diffusion restreinte",
        classification_owner="FR_DF",
        classification_audience="interne",
        classification_reassessing_date=date(2030, 1, 1),
        need_reassessing_authorization=True,
    ),
    need_authorization=False,
)
HOLD = HoldRule(
    (
        HoldRuleItem(
            "HOL-1",
            start_date=date(2024, 2, 1),
            hold_end_date=date(2026, 2, 1),
            hold_owner="Direction des affaires juridiques",
            hold_reassessing_date=date(2025, 2, 1),
            hold_reason="contentieux en cours",
            prevent_rearrangement=True,
        ),
        HoldRuleItem("HOL-2"),
    ),
    ref_non_rule_ids=("HOL-0",),
)
INHERITED = Management(
    appraisal=AppraisalRule((Rule("APP-100Y"),), final_action="Keep"),
    access=AccessRule((Rule("ACC-0"),)),
)


def _transfer(version: SedaVersion, unit_rules: Management) -> ArchiveTransfer:
    header = TransferHeader(version, "MSG-R", Agency("AA"), Agency("TA"), datetime(2024, 5, 6))
    dossier = ArchiveUnit("AU_2", Content("File", ("Dossier avec règles",)), unit_rules)
    series = ArchiveUnit("AU_1", Content("RecordGrp", ("Versement",)), children=[dossier])
    return ArchiveTransfer(header, [], [series], ManagementMetadata(rules=INHERITED))


def _write_and_read(version: SedaVersion, rules: Management, schema_dir: Path, tmp: Path) -> Any:
    out = tmp / "manifest.xml"
    write_transfer(out, _transfer(version, rules))
    report = validate_path(out, ValidationOptions(schema_dir=schema_dir))
    assert report.valid, report.issues
    return read_transfer(lambda: out.open("rb"))


@pytest.mark.parametrize("version", list(SedaVersion))
def test_every_rule_category_is_valid_and_reads_back_the_same(
    version: SedaVersion, schema_dir: Path, tmp_path: Path
) -> None:
    rules = EVERY_CATEGORY
    if version.at_least(SedaVersion.V2_2):
        rules = Management(**{**vars(EVERY_CATEGORY), "hold": HOLD})
    again = _write_and_read(version, rules, schema_dir, tmp_path)
    series = next(iter(again.units))
    assert series.children[0].management == rules
    assert again.management_metadata.rules == INHERITED


def test_a_hold_in_seda_2_1_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    held = Management(hold=HOLD)
    out = tmp_path / "manifest.xml"
    with pytest.raises(VersionMismatch, match=r"HoldRule n.existe pas en SEDA 2\.1"):
        write_transfer(out, _transfer(SedaVersion.V2_1, held))
    assert not out.exists()


@pytest.mark.parametrize(
    "rules",
    [
        Management(access=AccessRule(prevent_inheritance=True, ref_non_rule_ids=("ACC-0",))),
        Management(hold=HoldRule(prevent_inheritance=False, ref_non_rule_ids=("HOL-0",))),
        Management(classification=ClassificationRule(classification_owner="FR_DF")),
        Management(classification=ClassificationRule(classification_level="secret")),
        Management(appraisal=AppraisalRule((Rule("APP-1"),), final_action="Sort")),
        Management(storage=StorageRule(final_action="")),
    ],
    ids=[
        "prevent-and-refuse-inheritance",
        "hold-prevent-and-refuse",
        "classification-without-level",
        "classification-without-owner",
        "appraisal-sort",
        "storage-without-final-action",
    ],
)
def test_a_rule_the_schema_cannot_carry_is_refused_and_leaves_no_file(
    rules: Management, tmp_path: Path
) -> None:
    out = tmp_path / "manifest.xml"
    with pytest.raises(InvalidRule) as refused:
        write_transfer(out, _transfer(SedaVersion.V2_3, rules))
    assert refused.value.code == "seda_rule_invalid"
    assert not out.exists()
