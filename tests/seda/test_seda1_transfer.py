"""SEDA 1.0 ArchiveTransfer written from the same 2.x model the GED builds: valid against the
official 1.0 XSD, its documents verified in the SIP, read back to the same values; a rule without
translation, or anything 1.0 cannot carry, stops the writing and leaves nothing behind."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from seda.errors import MissingValue, SedaError, UnmappedRule, VersionMismatch
from seda.model import (
    AccessRule,
    Agency,
    AppraisalRule,
    ArchiveTransfer,
    ArchiveUnit,
    BinaryDataObject,
    Content,
    CustodialHistoryItem,
    DataObjectGroup,
    Event,
    FormatIdentification,
    Keyword,
    Management,
    ManagementMetadata,
    ObjectReference,
    Rule,
    StorageRule,
    TransferHeader,
)
from seda.sip import write_sip
from seda.v1.model import Seda1Document, Seda1Keyword, Seda1Rule, Seda1Transfer, Seda1Unit
from seda.v1.reader import read_transfer_v1
from seda.v1.transfer import Seda1TransferWriter, write_transfer_v1
from seda.v1.translation import AttachmentCodes, RuleTranslation, Seda1Options
from seda.validate import ALL_VERSIONS, ValidationOptions, validate_path
from seda.versions import SedaVersion

PDF, TXT = b"%PDF-1.4 seance du 12 mars", b"<ordre-du-jour/>\n"
TRANSLATION = RuleTranslation(
    access={"ACC-0": "AR038", "ACC-VIE-PRIVEE": "AR048"}, appraisal={"DUA-10": "P10Y"}
)
OPTIONS = Seda1Options(AttachmentCodes(), TRANSLATION)


def _objects() -> list[DataObjectGroup]:
    pdf = BinaryDataObject(
        "BDO_1",
        "content/BDO_1.pdf",
        hashlib.sha512(PDF).hexdigest(),
        size=len(PDF),
        format=FormatIdentification("Acrobat PDF 1.4", "application/pdf", "fmt/18"),
        filename="séance.pdf",
    )
    txt = BinaryDataObject(
        "BDO_2",
        "content/BDO_2.xml",
        hashlib.sha256(TXT).hexdigest(),
        digest_algorithm="SHA-256",
        size=len(TXT),
        format=FormatIdentification(mime_type="application/xml", format_id="fmt/101"),
    )
    return [DataObjectGroup("GOT_1", (pdf,)), DataObjectGroup("GOT_2", (txt,))]


def _transfer(series_rules: Management | None = None) -> ArchiveTransfer:
    header = TransferHeader(
        SedaVersion.V2_2,
        "VERS-2024-001",
        Agency("FRAD035"),
        Agency("FR_DF"),
        datetime(2024, 5, 6, 10, 0, tzinfo=UTC),
        archival_agreement="ACCORD-AD35",
        comments=("Versement des délibérations",),
    )
    seance = ArchiveUnit(
        "AU_D1",
        Content("File", ("Séance du 12 mars",), end_date="2023-03-12", system_ids=("D-1",)),
        Management(access=AccessRule((Rule("ACC-VIE-PRIVEE"),))),
        object_references=(ObjectReference(data_object_group_reference_id="GOT_1"),),
    )
    ordre = ArchiveUnit(
        "AU_D2",
        Content("Item", ("Ordre du jour",)),
        object_references=(ObjectReference(data_object_reference_id="BDO_2"),),
    )
    series = ArchiveUnit(
        "AU_S",
        Content(
            "RecordGrp",
            ("Délibérations 2023",),
            ("Registre des délibérations", "et pièces annexes"),
            start_date="2023-01-01T00:00:00",
            end_date="2023-12-31",
            system_ids=("dossier-42",),
            originating_agency_archive_unit_identifiers=("DEL-2023",),
            custodial_history=(CustodialHistoryItem("Tenu par le secrétariat", "2023-01-01"),),
            keywords=(Keyword("délibération", type="genreform"), Keyword("conseil")),
            events=(Event("2024-01-15T09:00:00+01:00", type="clos", detail="Dossier clos"),),
        ),
        series_rules
        or Management(
            appraisal=AppraisalRule((Rule("DUA-10", date(2024, 1, 1)),), final_action="Destroy")
        ),
        children=[seance, ordre],
    )
    metadata = ManagementMetadata(
        archival_profile="PR-DELIB",
        originating_agency_identifier="FR_DF",
        rules=Management(access=AccessRule((Rule("ACC-0", date(2023, 12, 31)),))),
    )
    return ArchiveTransfer(header, _objects(), [series], metadata)


def _sip(tmp: Path, transfer: ArchiveTransfer, options: Seda1Options = OPTIONS) -> Path:
    (tmp / "BDO_1.pdf").write_bytes(PDF)
    (tmp / "BDO_2.xml").write_bytes(TXT)
    files = [("content/BDO_1.pdf", tmp / "BDO_1.pdf"), ("content/BDO_2.xml", tmp / "BDO_2.xml")]
    sip = tmp / "sip.zip"
    write_sip(sip, transfer, files, writer=Seda1TransferWriter(options))
    return sip


EXPECTED = Seda1Transfer(
    identifier="VERS-2024-001",
    date=datetime(2024, 5, 6, 10, 0, tzinfo=UTC),
    archival_agency="FRAD035",
    transferring_agency="FR_DF",
    comments=("Versement des délibérations",),
    archives=(
        Seda1Unit(
            name="Délibérations 2023",
            level="recordgrp",
            description="Registre des délibérations\net pièces annexes",
            oldest_date=date(2023, 1, 1),
            latest_date=date(2023, 12, 31),
            custodial_history=(
                ("Tenu par le secrétariat", date(2023, 1, 1)),
                ("clos — Dossier clos", date(2024, 1, 15)),
            ),
            keywords=(Seda1Keyword("délibération", type="genreform"), Seda1Keyword("conseil")),
            originating_agencies=("FR_DF",),
            access=Seda1Rule("AR038", date(2023, 12, 31)),
            appraisal=Seda1Rule("detruire", date(2024, 1, 1), "P10Y"),
            originating_agency_identifier="DEL-2023",
            transferring_agency_identifier="dossier-42",
            archival_agreement="ACCORD-AD35",
            archival_profile="PR-DELIB",
            children=(
                Seda1Unit(
                    name="Séance du 12 mars",
                    level="file",
                    latest_date=date(2023, 3, 12),
                    access=Seda1Rule("AR048", date(2023, 3, 12)),
                    transferring_agency_identifier="D-1",
                    documents=(
                        Seda1Document(
                            "content/BDO_1.pdf",
                            "http://www.w3.org/2001/04/xmlenc#sha512",
                            hashlib.sha512(PDF).hexdigest(),
                            len(PDF),
                            "application/pdf",
                            "fmt/18",
                            "BDO_1",
                            description="séance.pdf",
                        ),
                    ),
                ),
                Seda1Unit(
                    name="Ordre du jour",
                    level="item",
                    documents=(
                        Seda1Document(
                            "content/BDO_2.xml",
                            "http://www.w3.org/2001/04/xmlenc#sha256",
                            hashlib.sha256(TXT).hexdigest(),
                            len(TXT),
                            "application/xml",
                            "fmt/101",
                            "BDO_2",
                        ),
                    ),
                ),
            ),
        ),
    ),
)


def test_a_seda_1_0_sip_is_valid_and_reads_back_the_same(schema_dir: Path, tmp_path: Path) -> None:
    sip = _sip(tmp_path, _transfer())
    options = ValidationOptions(schema_dir=schema_dir, seda_versions=ALL_VERSIONS)
    report = validate_path(sip, options)
    assert report.valid, report.issues
    assert report.version == "1.0"
    with zipfile.ZipFile(sip) as archive:
        assert read_transfer_v1(lambda: archive.open("manifest.xml")) == EXPECTED


@pytest.mark.parametrize(
    ("rules", "error", "named"),
    [
        (
            Management(access=AccessRule((Rule("ACC-INCONNUE"),))),
            UnmappedRule,
            "ACC-INCONNUE",
        ),
        (
            Management(
                appraisal=AppraisalRule((Rule("DUA-99", date(2024, 1, 1)),), final_action="Keep")
            ),
            UnmappedRule,
            "DUA-99",
        ),
        (Management(storage=StorageRule(final_action="Copy")), VersionMismatch, "storage"),
    ],
    ids=["access-without-code", "appraisal-without-duration", "storage-rule"],
)
def test_what_seda_1_0_cannot_say_stops_the_sip_and_leaves_nothing(
    rules: Management, error: type[SedaError], named: str, tmp_path: Path
) -> None:
    with pytest.raises(error, match=named):
        _sip(tmp_path, _transfer(rules))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["BDO_1.pdf", "BDO_2.xml"]


def test_what_a_unit_holds_beyond_seda_1_0_stops_the_writing(tmp_path: Path) -> None:
    transfer = _transfer()
    series = next(iter(transfer.units))
    two_titles = Content("RecordGrp", ("Délibérations 2023", "Deliberations 2023"))
    bilingual = dataclasses.replace(series, content=two_titles)
    out = tmp_path / "manifest.xml"
    with pytest.raises(VersionMismatch, match=r"Title \(plus d'un\)"):
        write_transfer_v1(out, dataclasses.replace(transfer, units=[bilingual]), OPTIONS)
    assert not out.exists()


def test_an_archive_without_any_access_rule_is_refused(tmp_path: Path) -> None:
    transfer = _transfer()
    bare = ArchiveTransfer(transfer.header, transfer.groups, transfer.units, ManagementMetadata())
    out = tmp_path / "manifest.xml"
    with pytest.raises(MissingValue, match="communicabilité"):
        write_transfer_v1(out, bare, OPTIONS)
    assert not out.exists()


def test_attachment_codes_unknown_to_the_2011_lists_are_left_out(
    schema_dir: Path, tmp_path: Path
) -> None:
    transfer = _transfer()
    webp = BinaryDataObject(
        "BDO_1",
        "content/BDO_1.pdf",
        hashlib.sha512(PDF).hexdigest(),
        size=len(PDF),
        format=FormatIdentification(mime_type="image/webp", format_id="fmt/1507"),
    )
    groups = [DataObjectGroup("GOT_1", (webp,)), list(transfer.groups)[1]]
    recent = ArchiveTransfer(transfer.header, groups, transfer.units, transfer.management_metadata)
    options = ValidationOptions(schema_dir=schema_dir, seda_versions=ALL_VERSIONS)
    raw = _sip(tmp_path, recent)
    assert "xsd_invalid" in validate_path(raw, options).codes()
    codes = AttachmentCodes.from_schemas(schema_dir)
    kept = _sip(tmp_path, recent, Seda1Options(codes, TRANSLATION))
    assert validate_path(kept, options).valid
    with zipfile.ZipFile(kept) as archive:
        read = read_transfer_v1(lambda: archive.open("manifest.xml"))
    document = read.archives[0].children[0].documents[0]
    assert (document.mime_code, document.format) == (None, None)
