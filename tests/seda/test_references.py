"""Reference checks (ids, IDREFs, cycles, Vitam's unit → object-group rule) and package severities."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from seda.issues import Severity, ValidationReport
from seda.validate import ValidationOptions, validate_path

NS = "fr:gouv:culture:archivesdefrance:seda:v2.1"
DIGEST = "ab" * 64


def _manifest(objects: str, units: str) -> str:
    return (
        f'<ArchiveTransfer xmlns="{NS}"><Date>2024-01-01T00:00:00</Date>'
        "<MessageIdentifier>M1</MessageIdentifier><CodeListVersions/>"
        f"<DataObjectPackage>{objects}<DescriptiveMetadata>{units}</DescriptiveMetadata>"
        "<ManagementMetadata/></DataObjectPackage>"
        "<ArchivalAgency><Identifier>A</Identifier></ArchivalAgency>"
        "<TransferringAgency><Identifier>T</Identifier></TransferringAgency></ArchiveTransfer>"
    )


def _bdo(ident: str, extra: str = "", size: int = 1, digest: str = DIGEST) -> str:
    return (
        f'<BinaryDataObject id="{ident}">{extra}<Uri>content/{ident}.txt</Uri>'
        f'<MessageDigest algorithm="SHA-512">{digest}</MessageDigest><Size>{size}</Size>'
        "</BinaryDataObject>"
    )


def _unit(ident: str, body: str = "") -> str:
    return (
        f'<ArchiveUnit id="{ident}"><Content><Title>{ident}</Title></Content>{body}</ArchiveUnit>'
    )


def _object_ref(target: str, element: str = "DataObjectReferenceId") -> str:
    return f"<DataObjectReference><{element}>{target}</{element}></DataObjectReference>"


def _validate(tmp_path: Path, xml: str, schema_dir: Path, **options: object) -> ValidationReport:
    path = tmp_path / "manifest.xml"
    path.write_text(xml, encoding="utf-8")
    return validate_path(path, ValidationOptions(schema_dir=schema_dir, **options))  # type: ignore[arg-type]


def _codes(report: ValidationReport) -> dict[str, Severity]:
    return {i.code: i.severity for i in report.issues}


def test_references_resolve_forward_and_backward(tmp_path: Path, schema_dir: Path) -> None:
    objects = f'<DataObjectGroup id="G1">{_bdo("B1")}</DataObjectGroup>'
    units = _unit("U1", _object_ref("G1", "DataObjectGroupReferenceId")) + _unit(
        "U2", '<ArchiveUnit id="L1"><ArchiveUnitRefId>U3</ArchiveUnitRefId></ArchiveUnit>'
    )
    report = _validate(tmp_path, _manifest(objects, units + _unit("U3")), schema_dir)
    assert report.valid and report.issues == []


def test_dangling_wrong_duplicate_and_cyclic_references(tmp_path: Path, schema_dir: Path) -> None:
    objects = f'<DataObjectGroup id="G1">{_bdo("B1")}</DataObjectGroup>'
    units = (
        _unit("U1", _object_ref("NOPE", "DataObjectGroupReferenceId"))
        + _unit("U2", _object_ref("U1", "DataObjectGroupReferenceId"))
        + _unit("U3", '<ArchiveUnit id="L1"><ArchiveUnitRefId>U3</ArchiveUnitRefId></ArchiveUnit>')
    )
    codes = _codes(_validate(tmp_path, _manifest(objects, units), schema_dir))
    assert {"ref_unresolved", "ref_wrong_target", "ref_cycle"} <= set(codes)
    duplicate = _manifest(objects, _unit("G1"))
    assert "ref_duplicate_id" in _codes(_validate(tmp_path, duplicate, schema_dir))


def test_unit_naming_an_object_of_a_group(tmp_path: Path, corpus_xsd_dir: Path) -> None:
    """Vitam refuses it; the official SEDA allows it: a warning there, an error under Vitam."""
    nested = f'<DataObjectGroup id="G1">{_bdo("B1")}</DataObjectGroup>'
    flat = _bdo("B2", "<DataObjectGroupId>G2</DataObjectGroupId>")
    lone = _bdo("B3")  # no group: Vitam makes a technical group, and accepts the link
    units = _unit("U1", _object_ref("B1")) + _unit("U2", _object_ref("B2"))
    xml = _manifest(nested + flat + lone, units + _unit("U3", _object_ref("B3")))
    official = _validate(tmp_path, xml, corpus_xsd_dir)
    vitam = _validate(tmp_path, xml, corpus_xsd_dir, schema_set="vitam")
    grouped = [i for i in official.issues if i.code == "ref_object_in_group"]
    assert [i.xpath for i in grouped] == [
        "//ArchiveUnit[@id='U1']/DataObjectReference/DataObjectReferenceId",
        "//ArchiveUnit[@id='U2']/DataObjectReference/DataObjectReferenceId",
    ]
    assert official.valid and {i.severity for i in grouped} == {Severity.WARNING}
    assert not vitam.valid and _codes(vitam) == {"ref_object_in_group": Severity.ERROR}


def test_vitam_sample_ko_archive_unit_ref_bdo(samples_dir: Path, corpus_xsd_dir: Path) -> None:
    sample = (
        samples_dir / "vitam/integration-test/integration-processing/SIP_KO_ArchiveUnit_ref_BDO.zip"
    )
    official = validate_path(sample, ValidationOptions(schema_dir=corpus_xsd_dir))
    vitam = validate_path(sample, ValidationOptions(schema_dir=corpus_xsd_dir, schema_set="vitam"))
    assert official.valid
    assert not vitam.valid
    assert [i.xpath for i in vitam.issues if i.severity is Severity.ERROR] == [
        "//ArchiveUnit[@id='ID22']/DataObjectReference/DataObjectReferenceId"
    ]


def _sip(tmp_path: Path, declared_size: int, data: bytes = b"x") -> Path:
    import hashlib

    digest = hashlib.sha512(data).hexdigest()
    xml = _manifest(
        f'<DataObjectGroup id="G1">{_bdo("B1", size=declared_size, digest=digest)}</DataObjectGroup>',
        _unit("U1", _object_ref("G1", "DataObjectGroupReferenceId")),
    )
    sip = tmp_path / "sip.zip"
    with zipfile.ZipFile(sip, "w") as archive:
        archive.writestr("manifest.xml", xml)
        archive.writestr("content/B1.txt", data)
    return sip


def test_wrong_declared_size_warns_by_default(tmp_path: Path, schema_dir: Path) -> None:
    sip = _sip(tmp_path, declared_size=99)
    default = validate_path(sip, ValidationOptions(schema_dir=schema_dir))
    strict = validate_path(
        sip, ValidationOptions(schema_dir=schema_dir, size_mismatch=Severity.ERROR)
    )
    assert default.valid and _codes(default) == {"package_size_mismatch": Severity.WARNING}
    assert not strict.valid and _codes(strict) == {"package_size_mismatch": Severity.ERROR}
    assert validate_path(_sip(tmp_path, 1), ValidationOptions(schema_dir=schema_dir)).issues == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"content/B1.txtpayload!", b"content/B1.txtPAYLOAD!"),  # data ≠ CRC-32
        (b"content/B1.txtpayload!", b"content/C1.txtpayload!"),  # local name ≠ central name
        (b"<Title>U1</Title>", b"<Title>U2</Title>"),  # the manifest itself
    ],
)
def test_corrupt_stored_member_is_refused(
    tmp_path: Path, schema_dir: Path, old: bytes, new: bytes
) -> None:
    sip = _sip(tmp_path, declared_size=8, data=b"payload!")
    data = sip.read_bytes()
    first = data.index(old)  # in a local header and the stored bytes that follow it
    sip.write_bytes(data[:first] + new + data[first + len(old) :])
    report = validate_path(sip, ValidationOptions(schema_dir=schema_dir))
    assert report.refused and "sip_corrupt_entry" in report.codes()


def test_a_parent_unit_is_read_after_its_children(tmp_path: Path, schema_dir: Path) -> None:
    """Releasing finished child units must keep the parent's Content and object references."""
    parent = (
        '<ArchiveUnit id="P"><Content><Title>P</Title><StartDate>2020-01-01</StartDate>'
        "<EndDate>2019-01-01</EndDate></Content>"
        + _unit("C1")
        + _object_ref("NOPE", "DataObjectGroupReferenceId")
        + _unit("C2")
        + "</ArchiveUnit>"
    )
    report = _validate(tmp_path, _manifest("", parent), schema_dir)
    found = {(i.code, i.xpath) for i in report.issues}
    assert found == {
        ("date_order", "//ArchiveUnit[@id='P']/Content/EndDate"),
        ("ref_unresolved", "//ArchiveUnit[@id='P']/DataObjectReference/DataObjectGroupReferenceId"),
    }


def test_hold_dates_signed_documents_relationships_and_declared_profile(
    tmp_path: Path, schema_dir: Path
) -> None:
    ns23 = "fr:gouv:culture:archivesdefrance:seda:v2.3"
    hold = (
        "<HoldRule><Rule>HOL-1</Rule><StartDate>2024-01-01</StartDate>"
        "<HoldEndDate>2023-01-01</HoldEndDate></HoldRule>"
    )
    signed = (
        "<Content><Title>S</Title><SigningInformation><SigningRole>SignedDocument</SigningRole>"
        "<SignedDocumentReferenceId>GHOST</SignedDocumentReferenceId></SigningInformation></Content>"
    )
    units = f'<ArchiveUnit id="U1"><Management>{hold}</Management>{signed}</ArchiveUnit>'
    related = _bdo("B1", '<Relationship target="NOWHERE" type="references"/>')
    xml = (
        _manifest(f'<DataObjectGroup id="G1">{related}</DataObjectGroup>', units)
        .replace(NS, ns23)
        .replace(
            "<ManagementMetadata/>",
            f"<ManagementMetadata><ArchivalProfile>PR-9</ArchivalProfile>{hold}</ManagementMetadata>",
        )
    )
    report = _validate(tmp_path, xml, schema_dir, profiles={"PR-1": tmp_path / "p.rng"})
    found = sorted(
        (i.code, i.xpath or "") for i in report.issues if i.code != "package_uri_missing"
    )
    assert found == [
        ("date_order", "//ArchiveUnit[@id='U1']/Management/HoldRule/HoldEndDate"),
        (
            "date_order",
            "/ArchiveTransfer/DataObjectPackage/ManagementMetadata/HoldRule/HoldEndDate",
        ),
        ("profile_unknown", ""),
        (
            "ref_unresolved",
            "//ArchiveUnit[@id='U1']/Content/SigningInformation/SignedDocumentReferenceId",
        ),
        ("ref_unresolved", "//BinaryDataObject[@id='B1']/Relationship"),
    ]


def test_streamed_validation_reports_the_first_xsd_error_and_every_other_issue(
    tmp_path: Path, schema_dir: Path
) -> None:
    """Large manifests are XSD-validated in the same pass as the other checks."""
    from seda.safexml import XmlLimits

    streamed = {"xml_limits": XmlLimits(whole_tree_bytes=0)}
    objects = f'<DataObjectGroup id="G1">{_bdo("B1")}</DataObjectGroup>'
    good = _manifest(objects, _unit("U1", _object_ref("G1", "DataObjectGroupReferenceId")))
    assert _validate(tmp_path, good, schema_dir, **streamed).issues == []
    bad = _manifest(objects, _unit("U1", _object_ref("NOPE", "DataObjectGroupReferenceId")))
    bad = bad.replace("<Title>U1</Title>", "<Oops/>")
    report = _validate(tmp_path, bad, schema_dir, **streamed)
    assert _codes(report) == {
        "xsd_invalid": Severity.ERROR,
        "xsd_first_error_only": Severity.WARNING,
        "ref_unresolved": Severity.ERROR,
    }
    assert next(i.line for i in report.issues if i.code == "xsd_invalid") == 1


def test_a_small_manifest_found_invalid_while_streaming_has_every_xsd_error_listed(
    tmp_path: Path, schema_dir: Path
) -> None:
    """Every manifest is XSD-validated while streaming; one under the whole-tree limit that the
    stream finds invalid is validated again whole, so each of its errors is listed."""
    objects = f'<DataObjectGroup id="G1">{_bdo("B1")}</DataObjectGroup>'
    units = _unit("U1", _object_ref("G1", "DataObjectGroupReferenceId")) + _unit("U2")
    bad = _manifest(objects, units).replace("<Title>U1</Title>", "<Oops/>")
    bad = bad.replace("<Title>U2</Title>", "<Oops/>")
    report = _validate(tmp_path, bad, schema_dir)
    xsd = [i for i in report.issues if i.code.startswith("xsd_")]
    assert [i.code for i in xsd] == ["xsd_invalid", "xsd_invalid"]
    assert [i.xpath for i in xsd] == ["/*/*[4]/*[2]/*[1]/*[1]/*", "/*/*[4]/*[2]/*[2]/*/*"]
