"""Our repository verifies again, at ingest, the signatures the GED declares in the SIP: a signed
PDF transferred from the GED is found valid as declared; a PDF changed after signing but
declared valid is flagged to the archivist (« Vérification de signature »), who decides: the
transfer is not refused for it. The GED and the repository are the real ones (SQLite GED,
repository app over HTTP, signatures verified in sandbox workers)."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ged.domain.model import Metadata
from ged.domain.signatures import SignatureStatus
from ged.services import documents, filing, processing
from ged.services.transfers import TransferParties, prepare_transfer
from kernel.sandbox.pool import SandboxPool
from kernel.signing.documents.sandboxed import sandboxed_verifier
from sae.model import ArchivalAgreement, FileKind
from seda.versions import SedaVersion
from tests.fixtures import signatures as samples
from tests.fixtures.ged import Ged
from tests.fixtures.sae import TestDatabase
from tests.sae import stored
from tests.sae.test_ingest import (
    API,
    ARCHIVIST,
    Repository,
    decide,
    manifest_sha256,
    open_repository,
    pending,
)

AGREEMENT = "ACCORD-SIGNATURES"
PARTIES = TransferParties("ARCH", "FR_DF", AGREEMENT)
AGREEMENTS = {
    AGREEMENT: ArchivalAgreement("ARCH", frozenset({"FR_DF"}), frozenset(SedaVersion)),
}


@pytest.fixture
def pki(sqlite_ged: Ged) -> samples.Pki:
    trust = sqlite_ged.settings.home / "trust"
    trust.mkdir(exist_ok=True)
    made = samples.make_pki(sqlite_ged.clock())
    (trust / "racine.pem").write_bytes(made.root.pem)
    return made


@pytest.fixture
def repo(
    tmp_path: Path, schema_dir: Path, sae_database: TestDatabase, sqlite_ged: Ged, pki: samples.Pki
) -> Iterator[Repository]:
    pool = SandboxPool(1)
    anchors = [(FileKind.SIGNATURE_ANCHORS, pki.root.pem, "")]
    try:
        with open_repository(
            tmp_path,
            sae_database,
            schema_dir,
            AGREEMENTS,
            files=anchors,
            verify_signatures=sandboxed_verifier(pool),
            clock=sqlite_ged.clock,
        ) as repository:
            yield repository
    finally:
        pool.close()


def signed_dossier(ged: Ged, pdf: bytes, *others: tuple[bytes, str]) -> tuple[str, str]:
    """A closed dossier holding the signed ``pdf`` (and ``others``, body and name)."""
    dossier = filing.create_dossier(
        ged.ctx, ged.admin, service_id=ged.service.id, title="Arrêté 2026-001",
        opened_on=date(2026, 1, 2),
    )  # fmt: skip
    filed = documents.file_document(
        ged.ctx, ged.admin, dossier.id, io.BytesIO(pdf), filename="arrete.pdf",
        metadata=Metadata(title="Arrêté", document_type="document_signe"),
    )  # fmt: skip
    processing.process(ged.ctx, filed.document.id, 1)
    for body, name in others:
        other = documents.file_document(
            ged.ctx, ged.admin, dossier.id, io.BytesIO(body), filename=name,
            metadata=Metadata(title=name),
        )  # fmt: skip
        processing.process(ged.ctx, other.document.id, 1)
    filing.close_dossier(ged.ctx, ged.admin, dossier.id, date(2026, 1, 10))
    return dossier.id, filed.document.id


def transferred(ged: Ged, repo: Repository, dossier: str, tmp_path: Path) -> dict[str, Any]:
    """The review summary of the dossier's transfer once the repository checked it."""
    prepared = prepare_transfer(
        ged.ctx, ged.admin, [dossier], tmp_path / "sip.zip", SedaVersion.V2_3, PARTIES
    )
    repo.connector.submit(
        prepared.sip,
        message_identifier=prepared.message_identifier,
        transferring_agency="FR_DF",
        manifest_digest=manifest_sha256(prepared.sip),
    )
    return pending(repo)[prepared.message_identifier]


def test_the_repository_finds_a_signed_pdf_valid_as_the_ged_declared(
    sqlite_ged: Ged, pki: samples.Pki, repo: Repository, tmp_path: Path
) -> None:
    dossier, _ = signed_dossier(sqlite_ged, samples.signed_pdf(pki, pki.agent))

    summary = transferred(sqlite_ged, repo, dossier, tmp_path)

    assert summary["checks_passed"], summary["issues"]
    (check,) = summary["signature_checks"]
    assert check["label"] == "Vérification de signature"
    assert (check["object_id"], check["declared"], check["found"]) == ("BDO_1", "valid", "valid")
    assert check["agrees"] and "Agent signataire" in check["signer"]
    assert not [i for i in summary["issues"] if i["code"] == "signature_discrepancy"]
    accepted = decide(repo, summary["transfer_id"], "accept", "Conforme")
    assert accepted.status_code == 200, accepted.json()  # the report and proofs are archived
    (archive,) = [a["archive_identifier"] for a in accepted.json()["archive_identifiers"] if a["unit"] == "AU_1"]  # fmt: skip
    shown = repo.client.get(f"{API}/archives/{archive}", headers=ARCHIVIST).json()
    assert [(o["object_id"], o["signature_status"]) for o in shown["objects"]] == [
        ("BDO_1", "valid")
    ]


def test_the_repository_verifies_a_detached_signature_over_the_document_it_signs(
    sqlite_ged: Ged, pki: samples.Pki, repo: Repository, tmp_path: Path
) -> None:
    ged, content = sqlite_ged, b"Budget primitif 2026"
    signature = samples.detached_signature(pki, pki.agent, content)
    dossier, _ = signed_dossier(
        ged,
        samples.signed_pdf(pki, pki.agent),
        (content, "budget.txt"),
        (signature, "budget.txt.p7s"),
    )

    summary = transferred(ged, repo, dossier, tmp_path)

    assert summary["checks_passed"], summary["issues"]  # SigningRole Signature valid (XSD)
    found = {c["filename"]: (c["declared"], c["found"]) for c in summary["signature_checks"]}
    assert found == {"arrete.pdf": ("valid", "valid"), "budget.txt": ("valid", "valid")}


def test_a_pdf_changed_after_signing_but_declared_valid_is_flagged_to_the_archivist(
    sqlite_ged: Ged, pki: samples.Pki, repo: Repository, tmp_path: Path
) -> None:
    tampered = samples.tampered_pdf(samples.signed_pdf(pki, pki.agent))
    dossier, document = signed_dossier(sqlite_ged, tampered)
    with sqlite_ged.ctx.uow() as uow:  # a sender whose report says otherwise than the file
        report = uow.signatures.get(document, 1)
        assert report is not None and report.status is SignatureStatus.INVALID
        valid = [dataclasses.replace(c, status=SignatureStatus.VALID, reasons=()) for c in report.signatures]  # fmt: skip
        uow.signatures.save(document, 1, dataclasses.replace(report, status=SignatureStatus.VALID, signatures=tuple(valid)))  # fmt: skip
        uow.commit()

    summary = transferred(sqlite_ged, repo, dossier, tmp_path)

    (check,) = summary["signature_checks"]
    assert (check["declared"], check["found"], check["agrees"]) == ("valid", "invalid", False)
    assert "signature_altered" in check["reasons"]
    (flagged,) = [i for i in summary["issues"] if i["code"] == "signature_discrepancy"]
    assert flagged["severity"] == "warning" and "modifié après" in flagged["message"]
    assert summary["checks_passed"]  # the archivist decides, the transfer is not refused
    (checked,) = [e for e in stored.entries(repo.db) if e.action == "transfer.checked"]
    assert checked.details["signature_checks"] == [
        {"object": "BDO_1", "declared": "valid", "found": "invalid"}
    ]
