"""Preparing a transfer: dossiers become a SIP that the SEDA validator accepts, digests included."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from ged.domain.model import Metadata
from ged.services import documents, filing, processing, transfer_description
from ged.services.ports import UnitOfWork
from ged.services.transfer_description import items_of, load_files
from ged.services.transfers import TransferParties, prepare_transfer
from kernel.errors import InvalidError, NotFoundError
from seda.validate import ValidationOptions, validate_path
from seda.versions import SedaVersion
from tests.fixtures.ged import Ged

PARTIES = TransferParties("FR_AD_35", "FR_DF", "ACCORD-2026-01")


def filed_dossier(ged: Ged) -> str:
    dossier = filing.create_dossier(
        ged.ctx,
        ged.admin,
        service_id=ged.service.id,
        title="Marché 2019-004 : voirie",
        opened_on=date(2019, 3, 1),
    )
    for name, body in (
        ("rapport.txt", b"rapport d'analyse des offres"),
        ("rapport (1).txt", b"seconde version"),
    ):
        filed = documents.file_document(
            ged.ctx,
            ged.admin,
            dossier.id,
            io.BytesIO(body),
            filename=name,
            metadata=Metadata(title=name),
        )
        processing.process(ged.ctx, filed.document.id, 1)
    filing.close_dossier(ged.ctx, ged.admin, dossier.id, date(2020, 6, 30))
    return dossier.id


@pytest.mark.parametrize("version", [SedaVersion.V2_1, SedaVersion.V2_2, SedaVersion.V2_3])
def test_prepared_sip_validates_with_digests(
    ged: Ged, tmp_path: Path, schema_dir: Path, version: SedaVersion
) -> None:
    dossier_id = filed_dossier(ged)
    prepared = prepare_transfer(
        ged.ctx, ged.admin, [dossier_id], tmp_path / "sip.zip", version, PARTIES
    )
    assert prepared.objects == 2 and prepared.message_identifier.startswith("GEDSAE-")
    report = validate_path(prepared.sip, ValidationOptions(schema_dir=schema_dir))
    assert report.valid, [(i.code, i.message) for i in report.issues]
    with zipfile.ZipFile(prepared.sip) as sip:
        names = sorted(sip.namelist())
    assert names[0] == "content/BDO_1.txt" and "manifest.xml" in names  # portable member names


def test_unknown_or_foreign_dossier_is_refused(ged: Ged, tmp_path: Path) -> None:
    with pytest.raises(InvalidError):
        prepare_transfer(ged.ctx, ged.admin, [], tmp_path / "x.zip", SedaVersion.V2_2, PARTIES)
    other_admin, _, other_service = ged.other_organisation()
    foreign = filing.create_dossier(
        ged.ctx, other_admin, service_id=other_service.id, title="Autre"
    )
    with pytest.raises(NotFoundError):
        prepare_transfer(
            ged.ctx, ged.admin, [foreign.id], tmp_path / "x.zip", SedaVersion.V2_2, PARTIES
        )


def test_a_dossier_s_documents_are_read_a_page_at_a_time(sqlite_ged: Ged) -> None:
    """The SIP's writing asks for documents as it writes them: a page is read only when the
    previous one has been handed over."""
    dossier_id = filed_dossier(sqlite_ged)
    with sqlite_ged.ctx.uow() as uow:
        (found,) = load_files(uow, sqlite_ged.admin, [dossier_id], date(2030, 1, 1))
    pages = 0

    @contextmanager
    def counted() -> Iterator[UnitOfWork]:
        nonlocal pages
        pages += 1
        with sqlite_ged.ctx.uow() as uow:
            yield uow

    read = items_of(counted, found, page=1)
    assert [(next(read).document.metadata.title, pages) for _ in range(2)] == [
        ("rapport.txt", 1),
        ("rapport (1).txt", 2),
    ]
    assert next(read, None) is None and pages == 3


def test_dossiers_read_in_pages_of_one_make_the_same_valid_sip(
    sqlite_ged: Ged, tmp_path: Path, schema_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Groups, units and files are three readings of the documents: the n-th document is the
    same in each, whatever the page size (digests and references checked by the validator)."""
    dossiers = [filed_dossier(sqlite_ged), filed_dossier(sqlite_ged)]
    version = SedaVersion.V2_2
    whole = prepare_transfer(
        sqlite_ged.ctx, sqlite_ged.admin, dossiers, tmp_path / "a.zip", version, PARTIES
    )
    monkeypatch.setattr(transfer_description, "PAGE", 1)
    paged = prepare_transfer(
        sqlite_ged.ctx, sqlite_ged.admin, dossiers, tmp_path / "b.zip", version, PARTIES
    )
    assert paged.objects == whole.objects == 4
    report = validate_path(paged.sip, ValidationOptions(schema_dir=schema_dir))
    assert report.valid, [(i.code, i.message) for i in report.issues]
    with zipfile.ZipFile(whole.sip) as a, zipfile.ZipFile(paged.sip) as b:
        contents = [{n: z.read(n) for n in z.namelist() if n != "manifest.xml"} for z in (a, b)]
    assert contents[0] == contents[1]
