"""Actes exported by a TdT, from a folder or its tar.gz to one dossier per acte (IDActe), with
the acte's metadata, its acknowledgement kept as a proof, and nothing stored for a refused one —
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ged.domain.inbound import Profile
from ged.domain.lifecycle import event_key
from ged.services import filing
from ged.services.inbound.model import ImportResult, InboundConflict
from ged.services.inbound.settings import InboundMisconfigured
from tests.fixtures.ged import Ged
from tests.fixtures.inbound_imports import refused_codes, run_import, stored
from tests.fixtures.inbound_samples import (
    ActeSample,
    tar_gz_bytes,
    write_file,
    write_folder,
    zip_bytes,
)


def imported(
    ged: Ged, path: Path, *, inbound: dict[str, object] | None = None, name: str | None = None
) -> ImportResult:
    return run_import(ged, Profile.ACTES, path, inbound=inbound, name=name)


def refused(ged: Ged, path: Path, **options: object) -> set[str]:
    return refused_codes(ged, Profile.ACTES, path, **options)


def test_an_acte_exported_by_the_tdt_becomes_one_dossier_with_its_metadata(
    ged: Ged, tmp_path: Path
) -> None:
    sample = ActeSample()
    result = imported(ged, write_folder(tmp_path / "export", sample.files()))

    assert result.created and result.record.business_id == sample.id_acte
    dossier = filing.get_dossier(ged.ctx, ged.admin, result.record.dossier_id)
    assert (dossier.title, dossier.reference) == (sample.objet, sample.id_acte)
    assert dossier.opened_on == sample.decided_on
    kinds = {doc.metadata.document_type: doc for doc, _ in result.documents}
    assert sorted(kinds) == [
        "accuse_reception",
        "acte",
        "annexe",
        "enveloppe_tdt",
        "message_actes",
    ]
    acte = kinds["acte"].metadata
    assert acte.extra["id_acte"] == sample.id_acte
    assert acte.extra["nature"] == "DE" and acte.extra["nature_libelle"] == "Délibérations"
    assert acte.extra["matiere"] == "7.1"
    assert acte.extra["numero_interne"] == "2026_014"
    assert acte.extra["date_decision"] == "2026-01-12"
    assert acte.extra["date_accuse_reception"] == "2026-01-14"
    assert acte.extra["version_classification"] == "2025-06-02"
    assert acte.extra["typologie"] == "99_DE"
    assert (acte.created_on, acte.received_on) == (date(2026, 1, 12), date(2026, 1, 14))
    assert kinds["accuse_reception"].metadata.received_on == date(2026, 1, 14)


def test_the_decision_and_acknowledgement_dates_become_the_dossiers_business_events(
    ged: Ged, tmp_path: Path
) -> None:
    result = imported(ged, write_folder(tmp_path / "export", ActeSample().files()))

    with ged.ctx.uow() as uow:
        events = uow.lifecycle.events_for([result.record.dossier_id])[result.record.dossier_id]
    assert events[event_key("date de la décision")] == date(2026, 1, 12)
    assert events[event_key("date de l'accusé de réception")] == date(2026, 1, 14)


def test_the_acknowledgement_in_windows_1252_without_declaration_is_read(
    ged: Ged, tmp_path: Path
) -> None:
    sample = ActeSample(objet="Délégation de service public : crèche « Les Écureuils » – 2026")
    assert b"\x96" in sample.acknowledgement()  # the en dash, in windows-1252

    result = imported(ged, write_folder(tmp_path / "export", sample.files()))

    assert result.record.business_id == sample.id_acte


def test_the_tdt_tar_gz_imports_like_the_folder_and_once_only(ged: Ged, tmp_path: Path) -> None:
    sample = ActeSample()
    archive = write_file(tmp_path / "transaction.tar.gz", tar_gz_bytes(sample.files()))
    first = imported(ged, archive)
    after_first = stored(ged)

    again = imported(ged, write_folder(tmp_path / "export", sample.files()))

    assert first.created and not again.created
    assert again.record.dossier_id == first.record.dossier_id
    assert [d.id for d, _ in again.documents] == [d.id for d, _ in first.documents]
    assert stored(ged) == after_first


def test_other_files_under_an_imported_idacte_are_a_conflict(ged: Ged, tmp_path: Path) -> None:
    sample = ActeSample()
    imported(ged, write_folder(tmp_path / "first", sample.files()))
    before = stored(ged)
    changed = {**sample.files(), sample.acte_file: b"%PDF-1.4 another text"}

    with pytest.raises(InboundConflict):
        imported(ged, write_folder(tmp_path / "second", changed))
    assert stored(ged) == before


def test_an_acte_without_its_acknowledgement_is_refused_and_nothing_is_stored(
    ged: Ged, tmp_path: Path
) -> None:
    sample = ActeSample()
    files = sample.files()
    del files[f"{sample.id_acte}-1-2.xml"]

    assert refused(ged, write_folder(tmp_path / "export", files)) == {
        "actes_acknowledgement_missing"
    }


def test_an_idacte_that_does_not_match_its_files_is_refused_with_every_problem(
    ged: Ged, tmp_path: Path
) -> None:
    sample = ActeSample()
    other = sample.but(number="2026_015")
    files = sample.files()
    # the acte file of another acte instead of this one's, and an acknowledgement of the other
    files[other.acte_file] = files.pop(sample.acte_file)
    files[f"{sample.id_acte}-1-2.xml"] = other.acknowledgement()

    assert refused(ged, write_folder(tmp_path / "export", files)) == {
        "actes_file_missing",
        "actes_foreign_file",
        "actes_acknowledgement_mismatch",
    }


def test_a_message_that_contradicts_its_idacte_is_refused(ged: Ged, tmp_path: Path) -> None:
    sample = ActeSample()
    files = sample.files()
    files[f"{sample.id_acte}-1-1_0.xml"] = sample.but(
        decided_on=date(2026, 1, 13), number="2026_099"
    ).message()

    assert "actes_id_mismatch" in refused(ged, write_folder(tmp_path / "export", files))


def test_an_unknown_nature_is_refused_with_every_problem(ged: Ged, tmp_path: Path) -> None:
    sample = ActeSample(nature_code="9", letters="ZZ", matieres=("7",))

    assert refused(ged, write_folder(tmp_path / "export", sample.files())) == {
        "actes_unknown_nature",
        "actes_bad_matiere",
    }


def test_an_acte_is_filed_under_the_plan_node_of_its_nature_and_matiere(
    ged: Ged, tmp_path: Path
) -> None:
    for code in ("DELIB", "BUDGET", "ACTES"):
        filing.create_plan_node(ged.ctx, ged.admin, code, code.title(), None)
    plan = {"actes": {"plan": {"DE": "DELIB", "DE 7.1": "BUDGET", "*": "ACTES"}}}
    budget = ActeSample()
    other = ActeSample(number="2026_020", matieres=("5", "3"))
    arrete = ActeSample(number="A2026_003", nature_code="2", matieres=("6", "1"))

    placed = {
        sample.number: imported(
            ged, write_folder(tmp_path / sample.number, sample.files()), inbound=plan
        )
        for sample in (budget, other, arrete)
    }

    nodes = {n.id: n.code for n in filing.list_plan(ged.ctx, ged.admin)}
    codes = {
        number: nodes[filing.get_dossier(ged.ctx, ged.admin, r.record.dossier_id).plan_node_id]  # type: ignore[index]
        for number, r in placed.items()
    }
    assert codes == {"2026_014": "BUDGET", "2026_020": "DELIB", "A2026_003": "ACTES"}


def test_an_acte_no_plan_entry_classifies_is_refused(ged: Ged, tmp_path: Path) -> None:
    filing.create_plan_node(ged.ctx, ged.admin, "DELIB", "Délibérations", None)
    plan = {"actes": {"plan": {"DE": "DELIB", "AR": "ARRETES"}}}
    arrete = ActeSample(nature_code="3", matieres=("4", "1"))
    folder = write_folder(tmp_path / "export", arrete.files())

    assert refused(ged, folder, inbound=plan) == {"actes_no_plan_node"}
    assert refused(ged, folder, inbound={"actes": {"plan": {"AI": "ARRETES"}}}) == {
        "plan_node_unknown"
    }


def test_a_wrong_inbound_table_is_refused_whole(ged: Ged, tmp_path: Path) -> None:
    wrong = {"actes": {"plan": {"DELIB": "X", "DE 7": ""}}, "courrier": {}}

    with pytest.raises(InboundMisconfigured) as caught:
        imported(ged, tmp_path, inbound=wrong)
    assert {i.code for i in caught.value.issues} == {
        "inbound_unknown_profile",
        "inbound_bad_plan_key",
        "inbound_bad_plan_code",
    }


def test_an_archive_with_an_escaping_path_is_refused_before_anything_is_read(
    ged: Ged, tmp_path: Path
) -> None:
    files = {f"../{name}": data for name, data in ActeSample().files().items()}
    archive = write_file(tmp_path / "evil.zip", zip_bytes(files))

    assert refused(ged, archive) == {"sip_unsafe_path"}


def test_a_message_with_a_doctype_is_refused(ged: Ged, tmp_path: Path) -> None:
    sample = ActeSample()
    files = sample.files()
    message = files[f"{sample.id_acte}-1-1_0.xml"]
    files[f"{sample.id_acte}-1-1_0.xml"] = message.replace(
        b"?>\n", b'?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n', 1
    )

    assert refused(ged, write_folder(tmp_path / "export", files)) == {"xml_dtd_forbidden"}
