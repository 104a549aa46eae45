"""Signatures in a unit's Content: SEDA 2.3 SigningInformation, SEDA 2.1 / 2.2 Signature, and
RelatedObjectReference in every 2.x version — valid against the official XSDs, read back to the
same values."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from seda.errors import VersionMismatch
from seda.model import (
    Agency,
    ArchiveTransfer,
    ArchiveUnit,
    BinaryDataObject,
    Content,
    DataObjectGroup,
    ObjectReference,
    TransferHeader,
)
from seda.reader import read_transfer
from seda.signing import (
    Party,
    Relation,
    Signature,
    SignatureDescription,
    Signer,
    SigningInformation,
    Timestamping,
    Validator,
    read_related_objects,
    read_signatures,
    read_signing_information,
    related_objects,
    signature,
    signing_information,
)
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion
from seda.writer import write_transfer

DIGEST = "ab" * 64
SIGNER = Signer(
    Party(full_name="Jeanne Martin", identifiers=("CN=Jeanne Martin,O=Ville",)),
    "2024-03-01T10:00:00+00:00",
)
VALIDATOR = Validator(Party(corpname="gedsae"), "2024-03-02T08:30:00+00:00")
INFO = SigningInformation(
    roles=("SignedDocument",),
    detached_roles=("AdditionalProof",),
    descriptions=(SignatureDescription(SIGNER, VALIDATOR),),
    timestamps=(Timestamping("2024-03-01T10:00:05+00:00", "horodatage RFC 3161"),),
    additional_proofs=(("status:valid", "format:pades"),),
)
PROOF_INFO = SigningInformation(roles=("AdditionalProof",), signed_document_reference_ids=("AU_1",))
RELATIONS = (
    Relation("Requires", data_object_group_reference_id="GOT_2"),
    Relation("References", archive_unit_ref_id="AU_2"),
)


def _package(version: SedaVersion, signed: Content, proof: Content) -> ArchiveTransfer:
    header = TransferHeader(version, "MSG-S", Agency("AA"), Agency("TA"), datetime(2024, 5, 6))
    groups = [
        DataObjectGroup(f"GOT_{n}", (BinaryDataObject(f"BDO_{n}", f"content/BDO_{n}.pdf", DIGEST),))
        for n in (1, 2)
    ]
    units = [
        ArchiveUnit("AU_1", signed, object_references=(ObjectReference(None, "GOT_1"),)),
        ArchiveUnit("AU_2", proof, object_references=(ObjectReference(None, "GOT_2"),)),
    ]
    return ArchiveTransfer(header, groups, units)


def _write_and_read(
    transfer: ArchiveTransfer, schema_dir: Path, tmp: Path
) -> tuple[Content, Content]:
    out = tmp / "manifest.xml"
    write_transfer(out, transfer)
    report = validate_path(out, ValidationOptions(schema_dir=schema_dir))
    assert report.valid, report.issues
    signed, proof = list(read_transfer(lambda: out.open("rb")).units)
    return signed.content, proof.content


def test_a_signed_document_and_its_proof_carry_signing_information_in_seda_2_3(
    schema_dir: Path, tmp_path: Path
) -> None:
    version = SedaVersion.V2_3
    signed = Content(
        titles=("Arrêté signé",),
        extra=(related_objects(version, RELATIONS), signing_information(version, INFO)),
    )
    proof = Content(titles=("Bordereau",), extra=(signing_information(version, PROOF_INFO),))
    signed_back, proof_back = _write_and_read(
        _package(version, signed, proof), schema_dir, tmp_path
    )
    assert read_signing_information(signed_back) == INFO
    assert read_signing_information(proof_back) == PROOF_INFO
    assert read_related_objects(signed_back) == RELATIONS


@pytest.mark.parametrize("version", [SedaVersion.V2_1, SedaVersion.V2_2])
def test_a_signed_document_carries_signature_and_related_proofs_before_seda_2_3(
    version: SedaVersion, schema_dir: Path, tmp_path: Path
) -> None:
    described = Signature((SIGNER,), VALIDATOR, "BDO_1", DIGEST)
    signed = Content(
        titles=("Arrêté signé",),
        extra=(related_objects(version, RELATIONS), signature(version, described)),
    )
    signed_back, _ = _write_and_read(
        _package(version, signed, Content(titles=("Bordereau",))), schema_dir, tmp_path
    )
    assert read_signatures(signed_back) == (described,)
    assert read_related_objects(signed_back) == RELATIONS
    assert read_signing_information(signed_back) is None


def test_each_version_refuses_the_signature_element_it_does_not_have() -> None:
    with pytest.raises(VersionMismatch):
        signing_information(SedaVersion.V2_2, INFO)
    with pytest.raises(VersionMismatch):
        signature(SedaVersion.V2_3, Signature((SIGNER,), VALIDATOR, "BDO_1", DIGEST))
    with pytest.raises(VersionMismatch):
        signing_information(SedaVersion.V2_3, SigningInformation(roles=("Signed",)))
