"""The streaming writer, the SIP writer, the disk import and the round trip on the corpus."""

from __future__ import annotations

import hashlib
import io
import json
import weakref
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from seda.disk_import import transfer_from_directory
from seda.errors import VersionMismatch
from seda.model import (
    AccessRule,
    Agency,
    AppraisalRule,
    ArchiveTransfer,
    ArchiveUnit,
    BinaryDataObject,
    ClassificationRule,
    Content,
    DataObjectGroup,
    HoldRule,
    HoldRuleItem,
    Management,
    ManagementMetadata,
    ObjectReference,
    Rule,
    StorageRule,
    TransferHeader,
)
from seda.package import PORTABLE_COMPONENT, is_package, open_package
from seda.reader import read_transfer
from seda.sip import write_sip
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion
from seda.writer import write_transfer

RULES = Management(
    storage=StorageRule((Rule("STO-1", date(2020, 1, 1)),), final_action="Copy"),
    appraisal=AppraisalRule((Rule("APP-1"),), final_action="Destroy"),
    access=AccessRule((Rule("ACC-1", date(2020, 1, 1)),), prevent_inheritance=True),
    classification=ClassificationRule(classification_level="CD", classification_owner="X"),
)


def _transfer(version: SedaVersion, management: Management = RULES) -> ArchiveTransfer:
    header = TransferHeader(
        version,
        "MSG-1",
        Agency("AA"),
        Agency("TA"),
        datetime(2024, 5, 6, 7, 8, 9),
        archival_agreement="IC-1",
    )
    obj = BinaryDataObject("BDO_1", "content/BDO_1.txt", "ab" * 64, size=2, filename="a b.txt")
    unit = ArchiveUnit(
        "AU_1",
        Content("Item", ("Titre « é »",)),
        management,
        object_references=(ObjectReference(data_object_group_reference_id="GOT_1"),),
    )
    root = ArchiveUnit("AU_0", Content("Fonds", ("Racine",)), children=[unit])
    return ArchiveTransfer(
        header,
        [DataObjectGroup("GOT_1", (obj,))],
        [root],
        ManagementMetadata(originating_agency_identifier="TA"),
    )


@pytest.mark.parametrize("version", list(SedaVersion))
def test_written_transfer_validates_with_namespace_declared_once(
    version: SedaVersion, schema_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "manifest.xml"
    write_transfer(out, _transfer(version))
    assert out.read_bytes().count(b"xmlns=") == 1
    report = validate_path(out, ValidationOptions(schema_dir=schema_dir))
    assert report.valid, report.issues


def test_hold_rule_needs_seda_2_2(schema_dir: Path, tmp_path: Path) -> None:
    hold = Management(hold=HoldRule((HoldRuleItem("HOL-1", hold_end_date=date(2030, 1, 1)),)))
    with pytest.raises(VersionMismatch):
        write_transfer(io.BytesIO(), _transfer(SedaVersion.V2_1, hold))
    out = tmp_path / "m.xml"
    write_transfer(out, _transfer(SedaVersion.V2_2, hold))
    assert validate_path(out, ValidationOptions(schema_dir=schema_dir)).valid


def test_directory_becomes_a_valid_sip_with_portable_unique_names(
    schema_dir: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "tree"
    for folder in ("a", "b"):
        (tree / folder).mkdir(parents=True)
        (tree / folder / "rapport final (v2).pdf").write_bytes(folder.encode())
    built = transfer_from_directory(
        tree,
        SedaVersion.V2_3,
        message_identifier="M",
        archival_agency="AA",
        transferring_agency="TA",
    )
    sip = tmp_path / "sip.zip"
    write_sip(sip, built.transfer, built.members)
    names = zipfile.ZipFile(sip).namelist()
    assert len(set(names)) == 3
    assert all(PORTABLE_COMPONENT.match(p) for n in names for p in n.split("/"))
    report = validate_path(sip, ValidationOptions(schema_dir=schema_dir))
    assert report.valid, report.issues
    assert b"rapport final (v2).pdf" in zipfile.ZipFile(sip).read("manifest.xml")


def test_package_checks_find_tampered_content(schema_dir: Path, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "x.txt").write_text("original")
    built = transfer_from_directory(
        tree,
        SedaVersion.V2_1,
        message_identifier="M",
        archival_agency="AA",
        transferring_agency="TA",
    )
    write_transfer(tmp_path / "manifest.xml", built.transfer)
    members = built.members
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        archive.write(tmp_path / "manifest.xml", "manifest.xml")
        archive.writestr(members[0][0], "changed!")
        archive.writestr("content/extra.txt", "x")
    codes = validate_path(tampered, ValidationOptions(schema_dir=schema_dir)).codes()
    assert {"package_digest_mismatch", "package_file_unreferenced"} <= codes


def _summary(transfer: ArchiveTransfer) -> dict[str, Any]:
    units: dict[str, Any] = {}
    stack = list(transfer.units)
    while stack:
        unit = stack.pop()
        units[unit.id] = (
            unit.management,
            unit.content,
            unit.object_references,
            [c.id for c in unit.children],
            unit.archive_unit_ref_id,
        )
        stack.extend(unit.children)
    objects = {o.id: o for g in transfer.groups for o in g.objects}
    return {"units": units, "objects": objects, "mm": transfer.management_metadata}


def _read(path: Path) -> ArchiveTransfer:
    if is_package(path):
        with open_package(path) as package:
            name = package.manifest_name
            assert name is not None
            return read_transfer(lambda: package.open(name))
    return read_transfer(lambda: path.open("rb"))


def test_round_trip_of_valid_corpus_transfers(
    samples_dir: Path, schema_dir: Path, tmp_path: Path
) -> None:
    records = json.loads((samples_dir / "results.json").read_text())
    chosen = [
        r
        for r in records
        if r.get("root") == "ArchiveTransfer"
        and r.get("seda_version") in ("2.1", "2.2", "2.3")
        and r["validation"][r["seda_version"]] == "valid"
        and not r.get("unsafe_member_names")
        and r["size"] < 1_000_000
    ]
    assert len(chosen) > 40
    for record in chosen:
        original = _read(samples_dir / record["file"])
        out = tmp_path / "rt.xml"
        write_transfer(out, original)
        report = validate_path(out, ValidationOptions(schema_dir=schema_dir))
        xsd = [i for i in report.issues if i.code.startswith(("xsd_", "xml_"))]
        assert xsd == [], record["file"]
        again = _read(out)
        assert _summary(again) == _summary(_read(samples_dir / record["file"])), record["file"]


def test_text_is_escaped_and_characters_xml_cannot_carry_are_refused(
    schema_dir: Path, tmp_path: Path
) -> None:
    from seda.errors import InvalidXmlCharacter

    title = 'a & b < c > d "e" \r\n\tf'
    unit = ArchiveUnit("AU_1", Content("Item", (title,), descriptions=("ok ]]> ok",)))
    header = TransferHeader(SedaVersion.V2_3, "M", Agency("A&A"), Agency("T"), datetime(2024, 1, 1))
    out = tmp_path / "m.xml"
    write_transfer(out, ArchiveTransfer(header, [], [unit]))
    assert validate_path(out, ValidationOptions(schema_dir=schema_dir)).valid
    again = read_transfer(lambda: out.open("rb"))
    read_unit = next(iter(again.units))
    assert read_unit.content.titles == (title,)
    assert read_unit.content.descriptions == ("ok ]]> ok",)
    assert again.header.archival_agency.identifier == "A&A"
    bad = ArchiveUnit("AU_1", Content("Item", ("bell \x07",)))
    with pytest.raises(InvalidXmlCharacter):
        write_transfer(io.BytesIO(), ArchiveTransfer(header, [], [bad]))


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_writing_a_sip_tells_the_manifests_digest_signed_or_not(
    tmp_path: Path, signed: bool
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "x.txt").write_text("original")
    built = transfer_from_directory(
        tree,
        SedaVersion.V2_2,
        message_identifier="M",
        archival_agency="AA",
        transferring_agency="TA",
    )
    signatures: list[bytes] = []

    def signer(digest: bytes) -> bytes:
        signatures.append(digest)
        return b"signature"

    sip = tmp_path / "sip.zip"
    written = write_sip(sip, built.transfer, built.members, signer=signer if signed else None)
    manifest = zipfile.ZipFile(sip).read("manifest.xml")
    assert written.manifest_sha256 == hashlib.sha256(manifest).digest()
    assert written.signature == (b"signature" if signed else None)
    assert signatures == ([written.manifest_sha256] if signed else [])


def test_the_writer_holds_no_unit_it_has_written() -> None:
    """Units and a unit's children may come from generators: each is written and let go before
    the next is asked for, so a manifest of any size is written in bounded memory."""
    header = TransferHeader(SedaVersion.V2_2, "M", Agency("A"), Agency("T"), datetime(2024, 1, 1))
    given: list[weakref.ref[ArchiveUnit]] = []
    alive_when_asked: list[int] = []

    def items() -> Iterator[ArchiveUnit]:
        for n in range(50):
            alive_when_asked.append(sum(ref() is not None for ref in given))
            unit = ArchiveUnit(f"AU_{n}", Content("Item", (f"Pièce {n}",)))
            given.append(weakref.ref(unit))
            yield unit

    out = io.BytesIO()
    dossier = ArchiveUnit("AU_D1", Content("File", ("Dossier",)), children=items())
    write_transfer(out, ArchiveTransfer(header, (), iter([dossier])))
    assert out.getvalue().count(b"<ArchiveUnit ") == 51
    assert max(alive_when_asked) <= 1  # at most the unit just written, not yet replaced
