"""``gedsae import`` does what an upload does after its acknowledgement: the signatures of the
imported files are verified (a report stored per version), whether they come from a business
system's export (``--profile parapheur``) or a plain folder tree, and an e-mail imported as a
file has its attachments filed as documents of its dossier, their signatures verified too.

The PKI is made relative to the wall clock (the CLI verifies at its own time)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ged.cli import ADMIN_NAME, Env, main
from ged.domain.model import Relation
from ged.domain.signatures import SignatureReport, SignatureStatus
from tests.fixtures import office_files as office
from tests.fixtures import signatures as samples
from tests.fixtures.inbound_samples import ParapheurSample, pdf, write_file, zip_bytes
from tests.fixtures.processes import INIT


@pytest.fixture(scope="module")
def pki() -> samples.Pki:
    return samples.make_pki(datetime.now(UTC))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pki: samples.Pki) -> Path:
    root = tmp_path / "instance"
    monkeypatch.setenv("GEDSAE_HOME", str(root))
    monkeypatch.setenv("GEDSAE_EXTRACTION_WORKERS", "1")
    gedsae(*INIT)
    gedsae("services", "create", "Assemblées", "FR_ASS")
    (root / "trust").mkdir(exist_ok=True)
    (root / "trust" / "racine.pem").write_bytes(pki.root.pem)
    return root


def gedsae(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def reports(home: Path) -> dict[str, tuple[SignatureReport | None, list[str]]]:
    """Each document's file name, its current version's report, and the message it is an
    attachment of."""
    env = Env(home)
    try:
        ctx = env.context()
        actor = env.principal(ADMIN_NAME, None)
        found = {}
        with ctx.uow() as uow:
            for doc_id, number in uow.signatures.current_versions(actor.organisation_id):
                version = uow.repo.get_version(doc_id, number)
                assert version is not None
                parents = uow.relations.targets(doc_id, Relation.ATTACHMENT_OF)
                found[version.filename] = (uow.signatures.get(doc_id, number), parents)
        return found
    finally:
        env.close()


def test_a_parapheur_export_has_its_signatures_verified_on_import(
    home: Path, tmp_path: Path, pki: samples.Pki
) -> None:
    sample = ParapheurSample(main={"convention-signee.pdf": samples.signed_pdf(pki, pki.agent)})
    archive = write_file(tmp_path / "dossier.zip", zip_bytes(sample.files()))

    gedsae("import", "--profile", "parapheur", str(archive), "--service", "FR_ASS")

    found = reports(home)
    signed, _ = found["convention-signee.pdf"]
    assert signed is not None and signed.status is SignatureStatus.VALID
    annex, _ = found["plan-de-la-salle.pdf"]
    assert annex is not None and annex.status is SignatureStatus.NONE


def test_a_folder_import_verifies_signatures_and_files_an_emails_attachments(
    home: Path, tmp_path: Path, pki: samples.Pki
) -> None:
    tree = tmp_path / "arbo" / "Conseil"
    tree.mkdir(parents=True)
    (tree / "arrete.pdf").write_bytes(samples.signed_pdf(pki, pki.agent))
    (tree / "note.pdf").write_bytes(pdf("Note non signée"))
    attached = samples.signed_pdf(pki, pki.agent, text="Délibération signée")
    message = office.eml(
        "Délibération signée", "Ci-joint.", [("deliberation.pdf", "application/pdf", attached)]
    )
    (tree / "envoi.eml").write_bytes(message)

    gedsae("import", str(tree.parent), "--service", "FR_ASS")

    found = reports(home)
    assert set(found) == {"arrete.pdf", "note.pdf", "envoi.eml", "deliberation.pdf"}
    unsigned, _ = found["note.pdf"]
    assert unsigned is not None and unsigned.status is SignatureStatus.NONE
    arrete, _ = found["arrete.pdf"]
    assert arrete is not None and arrete.status is SignatureStatus.VALID
    deliberation, parents = found["deliberation.pdf"]
    assert parents, "the attachment is related to its message"
    assert deliberation is not None and deliberation.status is SignatureStatus.VALID
