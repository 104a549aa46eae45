"""A signed document's validation report travels into the SIP with its proofs: SEDA 2.3's
SigningInformation, SEDA 2.1 / 2.2's Signature, RelatedObjectReference to the proofs, and the
report itself as a JSON file of the package — valid against the official XSDs and read back."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from ged.domain.model import Metadata
from ged.services import documents, filing, processing
from ged.services.transfers import TransferParties, prepare_transfer
from kernel.signing.report_file import REPORT_SUFFIX, load_report
from seda.model import ArchiveUnit
from seda.reader import read_transfer
from seda.signing import read_related_objects, read_signatures, read_signing_information
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion
from tests.fixtures import signatures as samples
from tests.fixtures.ged import Ged

PARTIES = TransferParties("FR_AD_35", "FR_DF", "ACCORD-2026-01")
BUDGET = b"Budget primitif 2026"


def _file(ged: Ged, dossier: str, body: bytes, name: str, kind: str = "") -> str:
    filed = documents.file_document(
        ged.ctx,
        ged.admin,
        dossier,
        io.BytesIO(body),
        filename=name,
        metadata=Metadata(title=name, document_type=kind),
    )
    processing.process(ged.ctx, filed.document.id, 1)
    return filed.document.id


def signed_dossier(ged: Ged, pki: samples.Pki) -> str:
    """A signed arrêté with its signature bordereau, and a budget with its detached signature;
    the anchors trust the signer's root."""
    trust = ged.settings.home / "trust"
    trust.mkdir(exist_ok=True)
    (trust / "racine.pem").write_bytes(pki.root.pem)
    dossier = filing.create_dossier(
        ged.ctx, ged.admin, service_id=ged.service.id, title="Arrêté 2026-001",
        opened_on=date(2026, 1, 2),
    )  # fmt: skip
    _file(ged, dossier.id, samples.signed_pdf(pki, pki.agent), "arrete.pdf", "document_signe")
    _file(ged, dossier.id, b"bordereau", "bordereau.txt", "bordereau_signature")
    _file(ged, dossier.id, BUDGET, "budget.txt")
    _file(ged, dossier.id, samples.detached_signature(pki, pki.agent, BUDGET), "budget.txt.p7s")
    filing.close_dossier(ged.ctx, ged.admin, dossier.id, date(2026, 1, 10))
    return dossier.id


def _units(manifest: bytes) -> dict[str, ArchiveUnit]:
    found: dict[str, ArchiveUnit] = {}
    stack = list(read_transfer(lambda: io.BytesIO(manifest)).units)
    while stack:
        unit = stack.pop()
        found[unit.id] = unit
        stack += unit.children
    return found


@pytest.mark.parametrize("version", [SedaVersion.V2_1, SedaVersion.V2_2, SedaVersion.V2_3])
def test_a_signed_documents_report_and_proofs_travel_into_the_sip(
    sqlite_ged: Ged, tmp_path: Path, schema_dir: Path, version: SedaVersion
) -> None:
    ged = sqlite_ged
    pki = samples.make_pki(ged.clock())
    dossier = signed_dossier(ged, pki)

    prepared = prepare_transfer(
        ged.ctx, ged.admin, [dossier], tmp_path / "sip.zip", version, PARTIES
    )

    report = validate_path(prepared.sip, ValidationOptions(schema_dir=schema_dir))
    assert report.valid, [(i.code, i.message) for i in report.issues]
    with zipfile.ZipFile(prepared.sip) as sip:
        units = _units(sip.read("manifest.xml"))
        declared = load_report(sip.read("content/BDO_1_SR.json"))
    signed, bordereau, budget, p7s = units["AU_1"], units["AU_2"], units["AU_3"], units["AU_4"]
    assert [c.id for c in signed.children] == ["AU_1_SR"]
    assert (declared.status, declared.document.object) == ("valid", "BDO_1")
    assert declared.document.filename + REPORT_SUFFIX == "arrete.pdf" + REPORT_SUFFIX
    assert "Agent signataire" in (declared.signatures[0].signer or "")
    related = {r.archive_unit_ref_id for r in read_related_objects(signed.content)}
    assert related == {"AU_2", "AU_1_SR"}
    related = {r.archive_unit_ref_id for r in read_related_objects(budget.content)}
    assert related == {"AU_2", "AU_4", "AU_3_SR"}
    if version is SedaVersion.V2_3:
        info = read_signing_information(signed.content)
        assert info is not None and info.roles == ("SignedDocument",)
        assert "status:valid" in info.additional_proofs[0]
        validator = info.descriptions[0].validator
        assert validator is not None and validator.party.corpname == "gedsae"
        proof = read_signing_information(bordereau.content)
        assert proof is not None and proof.roles == ("AdditionalProof",)
        assert proof.signed_document_reference_ids == ("AU_1", "AU_3")
        detached = read_signing_information(p7s.content)
        assert detached is not None and detached.roles == ("Signature",)
        assert detached.signed_document_reference_ids == ("AU_3",)
    else:
        (described,) = read_signatures(signed.content)
        assert described.signed_object_id == "BDO_1"
        assert "Agent signataire" in (described.signers[0].party.full_name or "")
