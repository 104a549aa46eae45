"""Séances sent by web-delib, from their description and documents zip to one dossier per
séance, each délibération linked to its acte whichever of the two is imported first — on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ged.domain.inbound import Profile
from ged.domain.lifecycle import event_key
from ged.services import filing
from ged.services.inbound.model import ImportResult
from ged.services.inbound.replay import get_import
from tests.fixtures.ged import Ged
from tests.fixtures.inbound_imports import refused_codes, run_import, stored
from tests.fixtures.inbound_samples import (
    ActeSample,
    DeliberationSample,
    SeanceSample,
    write_file,
    write_folder,
    zip_bytes,
)


def seance(ged: Ged, path: Path) -> ImportResult:
    return run_import(ged, Profile.SEANCE, path)


def acte(ged: Ged, path: Path) -> ImportResult:
    return run_import(ged, Profile.ACTES, path)


def kinds(result: ImportResult) -> list[str]:
    return sorted(doc.metadata.document_type for doc, _ in result.documents)


def test_a_seance_becomes_one_dossier_with_its_deliberations_convocation_and_minutes(
    ged: Ged, tmp_path: Path
) -> None:
    sample = SeanceSample()
    result = seance(ged, write_folder(tmp_path / "depot", sample.files()))

    assert result.created and result.record.business_id == "42"
    dossier = filing.get_dossier(ged.ctx, ged.admin, result.record.dossier_id)
    assert dossier.title == "Conseil municipal du 12/01/2026"
    assert dossier.opened_on == date(2026, 1, 5)
    assert kinds(result) == sorted(
        ["convocation", "ordre_du_jour", "proces_verbal_sommaire", "proces_verbal"]
        + ["deliberation", "rapport", "annexe"] * 2
        + ["description_seance"]
    )
    texts = {
        doc.metadata.extra["numero_deliberation"]: doc.metadata
        for doc, _ in result.documents
        if doc.metadata.document_type == "deliberation"
    }
    budget = texts["2026_014"]
    assert budget.title == "Délibération n° 2026_014 : " + sample.deliberations[0].objet
    assert budget.extra["info.vote_pour"] == "25" and budget.extra["info.vote_contre"] == "2"
    assert budget.extra["rapporteur"] == "Adjoint aux finances"
    assert budget.extra["format_signature"] == "p7s"
    assert budget.created_on == date(2026, 1, 12)
    assert "info.vote_pour" not in texts["2026_015"].extra
    with ged.ctx.uow() as uow:
        events = uow.lifecycle.events_for([result.record.dossier_id])[result.record.dossier_id]
    assert events[event_key("date de la séance")] == date(2026, 1, 12)
    assert events[event_key("date de convocation")] == date(2026, 1, 5)


def test_a_deliberation_imported_after_its_acte_is_linked_to_it(ged: Ged, tmp_path: Path) -> None:
    transmitted = acte(ged, write_folder(tmp_path / "acte", ActeSample().files()))

    voted = seance(ged, write_folder(tmp_path / "depot", SeanceSample().files()))

    assert [(link.number, link.acte_dossier_id) for link in voted.links] == [
        ("2026_014", transmitted.record.dossier_id)
    ]
    text = next(
        d
        for d, _ in voted.documents
        if d.metadata.extra.get("numero_deliberation") == "2026_014"
        and d.metadata.document_type == "deliberation"
    )
    assert voted.links[0].deliberation_document_id == text.id
    seen_from_acte = get_import(ged.ctx, ged.admin, Profile.ACTES, ActeSample().id_acte)
    assert [link.seance_dossier_id for link in seen_from_acte.links] == [voted.record.dossier_id]


def test_an_acte_imported_after_its_deliberation_is_linked_to_it(ged: Ged, tmp_path: Path) -> None:
    voted = seance(ged, write_folder(tmp_path / "depot", SeanceSample().files()))
    assert voted.links == ()

    transmitted = acte(ged, write_folder(tmp_path / "acte", ActeSample().files()))

    assert [(link.number, link.seance_dossier_id) for link in transmitted.links] == [
        ("2026_014", voted.record.dossier_id)
    ]


def test_an_acte_of_another_day_with_the_same_number_is_not_linked(
    ged: Ged, tmp_path: Path
) -> None:
    seance(ged, write_folder(tmp_path / "depot", SeanceSample().files()))

    other_year = acte(
        ged, write_folder(tmp_path / "acte", ActeSample(decided_on=date(2025, 1, 12)).files())
    )

    assert other_year.links == ()


def test_the_documents_beside_the_description_import_like_the_documents_zip(
    ged: Ged, tmp_path: Path
) -> None:
    archive = write_file(tmp_path / "seance.zip", zip_bytes(SeanceSample().files(nested=False)))

    result = seance(ged, archive)

    assert len(result.documents) == 11
    assert not list((ged.settings.home / "spool").glob("inbound-*"))


def test_a_zip_holding_the_description_and_its_documents_zip_is_read_through(
    ged: Ged, tmp_path: Path
) -> None:
    archive = write_file(tmp_path / "seance.zip", zip_bytes(SeanceSample().files()))

    result = seance(ged, archive)

    assert len(result.documents) == 11
    assert not list((ged.settings.home / "spool").glob("inbound-*"))  # the nested zip's copy


def test_a_seance_with_missing_files_is_refused_with_every_problem(
    ged: Ged, tmp_path: Path
) -> None:
    sample = SeanceSample(
        deliberations=(
            DeliberationSample("101", "2026_014", "Budget primitif"),
            DeliberationSample("103", "2026_016", "Sans texte", text=False),
        )
    )
    documents = sample.documents()
    del documents["pv.pdf"], documents["Annexes/1010.pdf"]
    files = {
        f"XML_DESC_{sample.seance_id}.xml": sample.description(),
        "documents.zip": zip_bytes(documents),
    }

    assert refused_codes(ged, Profile.SEANCE, write_folder(tmp_path / "depot", files)) == {
        "seance_file_missing",
        "seance_deliberation_text_missing",
    }


def test_a_documents_zip_with_an_escaping_path_is_refused(ged: Ged, tmp_path: Path) -> None:
    sample = SeanceSample()
    documents = {f"../{name}": data for name, data in sample.documents().items()}
    files = {
        f"XML_DESC_{sample.seance_id}.xml": sample.description(),
        "documents.zip": zip_bytes(documents),
    }

    codes = refused_codes(ged, Profile.SEANCE, write_folder(tmp_path / "depot", files))

    assert "sip_unsafe_path" in codes


def test_an_input_without_a_seance_description_is_refused(ged: Ged, tmp_path: Path) -> None:
    files = {"documents.zip": zip_bytes(SeanceSample().documents())}

    assert refused_codes(ged, Profile.SEANCE, write_folder(tmp_path / "x", files)) == {
        "seance_description_missing"
    }


def test_the_same_seance_again_changes_nothing(ged: Ged, tmp_path: Path) -> None:
    first = seance(ged, write_folder(tmp_path / "depot", SeanceSample().files()))
    after = stored(ged)

    again = seance(ged, write_file(tmp_path / "seance.zip", zip_bytes(SeanceSample().files())))

    assert not again.created and again.record.dossier_id == first.record.dossier_id
    assert stored(ged) == after
