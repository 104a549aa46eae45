"""Folders signed in i-Parapheur, from their export to one dossier per folder: every file's
SHA-256 checked against the PREMIS (version 5), the circuit kept as the signed documents'
history, the bordereau and the PREMIS or history kept as proofs — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from ged.domain.inbound import Profile
from ged.domain.lifecycle import event_key
from ged.services import filing
from ged.services.inbound.model import ImportResult
from ged.services.inbound.replay import document_history
from tests.fixtures.ged import Ged
from tests.fixtures.inbound_imports import refused_codes, run_import, stored
from tests.fixtures.inbound_samples import (
    Parapheur4Sample,
    ParapheurSample,
    pdf,
    write_file,
    write_folder,
    zip_bytes,
)


def imported(ged: Ged, path: Path, name: str | None = None) -> ImportResult:
    return run_import(ged, Profile.PARAPHEUR, path, name=name)


def by_kind(result: ImportResult) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = {}
    for doc, filename in result.documents:
        kinds.setdefault(doc.metadata.document_type, []).append(filename)
    return kinds


def test_an_iparapheur_5_zip_becomes_one_dossier_with_its_proofs(ged: Ged, tmp_path: Path) -> None:
    sample = ParapheurSample()
    result = imported(ged, write_file(tmp_path / "dossier.zip", zip_bytes(sample.files())))

    assert result.created and result.record.business_id == sample.folder_id
    dossier = filing.get_dossier(ged.ctx, ged.admin, result.record.dossier_id)
    assert (dossier.title, dossier.reference) == (sample.name, sample.folder_id)
    assert dossier.opened_on == date(2026, 2, 3)
    assert by_kind(result) == {
        "document_signe": ["convention-signee.pdf"],
        "annexe": ["plan-de-la-salle.pdf"],
        "bordereau_signature": [f"{sample.name}_bordereau.pdf"],
        "premis_parapheur": ["i_Parapheur_internal_premis.xml"],
    }
    signed = next(d for d, _ in result.documents if d.metadata.document_type == "document_signe")
    assert signed.metadata.extra["dossier_parapheur"] == sample.folder_id
    assert signed.metadata.extra["sous_type"] == "Conventions"
    assert signed.metadata.extra["numero_marche"] == "M2026-007"


def test_the_circuit_becomes_the_signed_documents_history(ged: Ged, tmp_path: Path) -> None:
    result = imported(ged, write_folder(tmp_path / "dossier", ParapheurSample().files()))
    signed = next(d for d, _ in result.documents if d.metadata.document_type == "document_signe")
    annex = next(d for d, _ in result.documents if d.metadata.document_type == "annexe")

    history = document_history(ged.ctx, ged.admin, signed.id)

    assert [(e.kind, e.agent) for e in history] == [
        ("START", "Agent redacteur (Secrétariat général)"),
        ("READ", "Agent dgs (Direction générale)"),
        ("VISA", "Agent dgs (Direction générale)"),
        ("SIGNATURE", "Agent maire (Maire)"),
        ("ARCHIVE", "Agent redacteur (Secrétariat général)"),
    ]
    assert history[3].occurred_at == datetime(2026, 2, 4, 16, 5, 10, tzinfo=UTC)
    assert document_history(ged.ctx, ged.admin, annex.id) == []
    with ged.ctx.uow() as uow:
        events = uow.lifecycle.events_for([result.record.dossier_id])[result.record.dossier_id]
    assert events[event_key("date de signature")] == date(2026, 2, 4)
    assert events[event_key("date de fin du circuit")] == date(2026, 2, 4)


def test_a_digest_mismatch_with_the_premis_is_refused_and_nothing_is_stored(
    ged: Ged, tmp_path: Path
) -> None:
    sample = ParapheurSample(declared={"convention-signee.pdf": pdf("la version signée d'origine")})
    archive = write_file(tmp_path / "dossier.zip", zip_bytes(sample.files()))

    assert refused_codes(ged, Profile.PARAPHEUR, archive) == {
        "parapheur_digest_mismatch",
        "parapheur_size_mismatch",
    }


def test_files_the_premis_does_not_vouch_for_are_refused_with_every_problem(
    ged: Ged, tmp_path: Path
) -> None:
    files = ParapheurSample().files()
    files["Documents principaux/ajout-apres-signature.pdf"] = pdf("ajouté après coup")
    del files["Annexes/plan-de-la-salle.pdf"]
    del files["Convention salle polyvalente_bordereau.pdf"]

    assert refused_codes(ged, Profile.PARAPHEUR, write_folder(tmp_path / "d", files)) == {
        "parapheur_file_not_in_premis",
        "parapheur_file_missing",
        "parapheur_bordereau_missing",
    }


def test_the_same_folder_again_changes_nothing(ged: Ged, tmp_path: Path) -> None:
    archive = write_file(tmp_path / "dossier.zip", zip_bytes(ParapheurSample().files()))
    first = imported(ged, archive)
    after = stored(ged)

    again = imported(ged, write_folder(tmp_path / "dossier", ParapheurSample().files()))

    assert not again.created and again.record.dossier_id == first.record.dossier_id
    assert stored(ged) == after


def test_an_iparapheur_4_folder_as_pastell_keeps_it_is_imported_with_its_history(
    ged: Ged, tmp_path: Path
) -> None:
    sample = Parapheur4Sample()
    folder = write_folder(tmp_path / "ARRETE-2026-031", sample.files())

    result = imported(ged, folder)

    assert result.record.business_id == "ARRETE-2026-031"
    assert by_kind(result) == {
        "document_signe": ["arrete-2026-031.pdf"],
        "document_original": ["arrete-2026-031_orig.pdf"],
        "bordereau_signature": ["bordereau-de-signature.pdf"],
        "annexe": ["plan-de-situation.pdf"],
        "historique_parapheur": ["iparapheur_historique.xml"],
    }
    signed = next(d for d, _ in result.documents if d.metadata.document_type == "document_signe")
    history = document_history(ged.ctx, ged.admin, signed.id)
    assert [(e.kind, e.agent, e.detail) for e in history][2] == (
        "Signe",
        "Maire",
        "Signature électronique",
    )
    with ged.ctx.uow() as uow:
        events = uow.lifecycle.events_for([result.record.dossier_id])[result.record.dossier_id]
    assert events[event_key("date de signature")] == date(2026, 3, 3)


def test_an_iparapheur_4_folder_without_its_bordereau_is_refused(ged: Ged, tmp_path: Path) -> None:
    files = Parapheur4Sample().files()
    del files["bordereau-de-signature.pdf"]

    codes = refused_codes(ged, Profile.PARAPHEUR, write_folder(tmp_path / "ARRETE", files))

    assert codes == {"parapheur_bordereau_missing"}


def test_an_iparapheur_4_zip_uploaded_without_its_name_is_refused(ged: Ged, tmp_path: Path) -> None:
    archive = write_file(tmp_path / "spooled-body", zip_bytes(Parapheur4Sample().files()))

    codes = refused_codes(ged, Profile.PARAPHEUR, archive, unnamed=True)

    assert codes == {"parapheur_folder_id_missing"}


def test_an_export_of_neither_version_is_refused(ged: Ged, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "x", {"document.pdf": pdf("seul")})

    assert refused_codes(ged, Profile.PARAPHEUR, folder) == {"parapheur_not_an_export"}


def test_parapheur_folders_go_to_the_plan_node_of_the_profile(ged: Ged, tmp_path: Path) -> None:
    node = filing.create_plan_node(ged.ctx, ged.admin, "PARAPHEUR", "Parapheur", None)
    folder = write_folder(tmp_path / "dossier", ParapheurSample().files())

    result = run_import(
        ged, Profile.PARAPHEUR, folder, inbound={"parapheur": {"plan": "PARAPHEUR"}}
    )

    dossier = filing.get_dossier(ged.ctx, ged.admin, result.record.dossier_id)
    assert dossier.plan_node_id == node.id


def test_an_imported_dossiers_content_can_still_be_removed_with_its_history(
    ged: Ged, tmp_path: Path
) -> None:
    result = imported(ged, write_folder(tmp_path / "dossier", ParapheurSample().files()))

    with ged.ctx.uow() as uow:  # what an elimination or a purge after transfer does
        uow.lifecycle.delete_dossier_content(result.record.dossier_id)
        uow.commit()

    counts = stored(ged)
    assert (counts["documents"], counts["document_events"]) == (0, 0)
