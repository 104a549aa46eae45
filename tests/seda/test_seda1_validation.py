"""SEDA 1.0 messages and packages through the validator and `gedsae seda validate`: official 1.0
XSD, each Document against the package (file, Integrity, Size in bytes), leftovers; a caller that
accepts only 2.x gets 1.0 reported as an unsupported version."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from seda.cli import seda_group
from seda.errors import UnsupportedSedaVersion
from seda.validate import ALL_VERSIONS, ValidationOptions, validate_path
from seda.versions import SEDA_1_0, any_version_from_namespace

PDF = b"%PDF-1.4 deliberation"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def manifest(
    *,
    code: str = "AR038",
    digest: str = hashlib.sha256(PDF).hexdigest(),
    algorithm: str = SHA256,
    size: int = len(PDF),
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v1.0">
  <Date>2024-05-06T10:00:00+02:00</Date>
  <TransferIdentifier>VERS-1</TransferIdentifier>
  <ArchivalAgency><Identification>FRAD035</Identification></ArchivalAgency>
  <TransferringAgency><Identification>FR_DF</Identification></TransferringAgency>
  <Archive>
    <ArchivalAgreement>ACCORD-1</ArchivalAgreement>
    <DescriptionLanguage>fra</DescriptionLanguage>
    <Name>Délibérations 2023</Name>
    <ContentDescription>
      <DescriptionLevel>file</DescriptionLevel>
      <Language>fra</Language>
    </ContentDescription>
    <AccessRestrictionRule><Code>{code}</Code><StartDate>2023-12-31</StartDate></AccessRestrictionRule>
    <Document>
      <Attachment filename="content/deliberation.pdf" mimeCode="application/pdf"/>
      <Integrity algorithme="{algorithm}">{digest}</Integrity>
      <Size unitCode="AD">{size}</Size>
      <Type>CDO</Type>
    </Document>
  </Archive>
</ArchiveTransfer>
""".encode()


def _sip(tmp: Path, xml: bytes, files: dict[str, bytes]) -> Path:
    sip = tmp / "sip.zip"
    with zipfile.ZipFile(sip, "w") as archive:
        archive.writestr("manifest.xml", xml)
        for name, data in files.items():
            archive.writestr(name, data)
    return sip


def _codes(path: Path, schema_dir: Path) -> set[str]:
    options = ValidationOptions(schema_dir=schema_dir, seda_versions=ALL_VERSIONS)
    return validate_path(path, options).codes()


def test_a_valid_seda_1_0_package_is_valid(schema_dir: Path, tmp_path: Path) -> None:
    sip = _sip(tmp_path, manifest(), {"content/deliberation.pdf": PDF})
    options = ValidationOptions(schema_dir=schema_dir, seda_versions=ALL_VERSIONS)
    report = validate_path(sip, options)
    assert report.valid, report.issues
    assert (report.version, report.message_type) == ("1.0", "ArchiveTransfer")


def test_seda_1_0_is_unsupported_for_a_caller_that_accepts_only_2_x(
    schema_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "manifest.xml"
    path.write_bytes(manifest())
    report = validate_path(path, ValidationOptions(schema_dir=schema_dir))
    assert report.version is None and not report.valid and not report.refused
    assert report.codes() == {"seda_version_unsupported"}


def test_an_access_code_outside_the_1_0_list_is_an_xsd_error_with_its_line(
    schema_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "manifest.xml"
    path.write_bytes(manifest(code="AR099"))
    options = ValidationOptions(schema_dir=schema_dir, seda_versions=ALL_VERSIONS)
    issues = [i for i in validate_path(path, options).issues if i.code == "xsd_invalid"]
    assert issues and issues[0].line == 15 and "AR099" in issues[0].message


@pytest.mark.parametrize(
    ("xml", "files", "expected"),
    [
        (manifest(digest="00" * 32), {"content/deliberation.pdf": PDF}, "package_digest_mismatch"),
        (manifest(), {}, "package_file_missing"),
        (
            manifest(),
            {"content/deliberation.pdf": PDF, "content/orphan.txt": b"x"},
            "package_file_unreferenced",
        ),
        (manifest(size=1), {"content/deliberation.pdf": PDF}, "package_size_mismatch"),
    ],
    ids=["digest", "missing", "unreferenced", "size"],
)
def test_each_document_is_checked_against_the_package(
    xml: bytes, files: dict[str, bytes], expected: str, schema_dir: Path, tmp_path: Path
) -> None:
    assert expected in _codes(_sip(tmp_path, xml, files), schema_dir)


def test_the_library_of_congress_digest_names_used_by_asalae_are_understood(
    schema_dir: Path, tmp_path: Path
) -> None:
    loc = "http://id.loc.gov/vocabulary/cryptographicHashFunctions/sha-512"
    xml = manifest(algorithm=loc, digest=hashlib.sha512(PDF).hexdigest())
    assert _codes(_sip(tmp_path, xml, {"content/deliberation.pdf": PDF}), schema_dir) == set()


def test_only_the_exact_1_0_namespace_is_seda_1_0() -> None:
    assert any_version_from_namespace(SEDA_1_0.namespace) is SEDA_1_0
    for other in ("10.5", "1.0.1", "1"):
        with pytest.raises(UnsupportedSedaVersion):
            any_version_from_namespace(f"fr:gouv:culture:archivesdefrance:seda:v{other}")


def test_cli_validates_a_seda_1_0_manifest(schema_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "manifest.xml"
    path.write_bytes(manifest())
    args = ["validate", str(path), "--schemas-dir", str(schema_dir)]
    result = CliRunner().invoke(seda_group, args)
    assert result.exit_code == 0, result.output
    assert "SEDA 1.0 ArchiveTransfer — valide" in result.output
