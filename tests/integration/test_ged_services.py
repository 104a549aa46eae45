"""The GED use cases against a real database: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from sqlalchemy import text

from ged.domain.model import DossierClosed, ExtractionStatus, Metadata, Role
from ged.domain.search import SearchQuery, SortKey
from ged.services import documents, filing, pending, processing
from ged.services.oplog import verify_log
from ged.services.search import search_documents
from kernel.errors import ForbiddenError, NotFoundError
from tests.fixtures.ged import Ged


def file_text(
    ged: Ged, dossier_id: str, title: str, body: bytes, **meta: object
) -> documents.Filed:
    filed = documents.file_document(
        ged.ctx,
        ged.admin,
        dossier_id,
        io.BytesIO(body),
        filename=f"{title}.txt",
        metadata=Metadata(title=title, **meta),  # type: ignore[arg-type]
        mime_type="text/plain",
    )
    processing.process(ged.ctx, filed.document.id, filed.version.number)
    return filed


def test_file_version_and_read_back(ged: Ged) -> None:
    dossier = filing.create_dossier(
        ged.ctx, ged.admin, service_id=ged.service.id, title="Budget 2026"
    )
    first = file_text(ged, dossier.id, "Budget primitif", b"budget primitif vote")
    assert first.version.sha256 == hashlib.sha256(b"budget primitif vote").hexdigest()
    assert first.version.sha512 == hashlib.sha512(b"budget primitif vote").hexdigest()
    second = documents.add_version(
        ged.ctx,
        ged.admin,
        first.document.id,
        io.BytesIO(b"budget primitif amende"),
        filename="v2.txt",
    )
    doc, versions = documents.get_document(ged.ctx, ged.admin, first.document.id)
    assert doc.current_version == 2 and [v.number for v in versions] == [1, 2]
    assert (
        versions[0].puid == "x-fmt/111" and versions[0].extraction_status is ExtractionStatus.DONE
    )
    _, stream = documents.open_version(ged.ctx, ged.admin, doc.id, 1)
    with stream:
        assert stream.read() == b"budget primitif vote"
    assert second.version.number == 2


def test_zero_byte_file_is_stored_and_hashed(ged: Ged) -> None:
    dossier = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Vide")
    filed = file_text(ged, dossier.id, "vide", b"")
    assert filed.version.size == 0
    assert filed.version.sha256 == hashlib.sha256(b"").hexdigest()


def test_identical_content_is_stored_once(ged: Ged) -> None:
    dossier = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Doublons")
    a = file_text(ged, dossier.id, "a", b"meme contenu")
    b = file_text(ged, dossier.id, "b", b"meme contenu")
    assert a.document.id != b.document.id and a.version.sha256 == b.version.sha256
    assert list(ged.ctx.blobs.iter_digests()) == [a.version.sha256]


def test_closed_dossier_refuses_documents_and_leaves_no_blob(ged: Ged) -> None:
    dossier = filing.create_dossier(
        ged.ctx, ged.admin, service_id=ged.service.id, title="Clos", opened_on=date(2025, 1, 1)
    )
    filing.close_dossier(ged.ctx, ged.admin, dossier.id, date(2025, 12, 31))
    with pytest.raises(DossierClosed):
        file_text(ged, dossier.id, "tard", b"trop tard")
    assert list(ged.ctx.blobs.iter_digests()) == []


def test_failed_transaction_leaves_no_orphan_blob(
    ged: Ged, monkeypatch: pytest.MonkeyPatch
) -> None:
    dossier = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Panne")

    def broken_log(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    from ged.adapters.db.uow import SqlUnitOfWork

    monkeypatch.setattr(SqlUnitOfWork, "log", broken_log)
    with pytest.raises(RuntimeError):
        documents.file_document(
            ged.ctx,
            ged.admin,
            dossier.id,
            io.BytesIO(b"x" * 1000),
            filename="x.bin",
            metadata=Metadata(title="x"),
        )
    monkeypatch.undo()
    assert list(ged.ctx.blobs.iter_digests()) == []
    assert search_documents(ged.ctx, ged.admin, SearchQuery(organisation_id="")).hits == []


def test_agents_see_only_their_services(ged: Ged) -> None:
    agent, _ = ged.user("agent.rh", Role.AGENT, services=(ged.other_service,))
    finance = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Mandats")
    with pytest.raises(NotFoundError):
        filing.get_dossier(ged.ctx, agent, finance.id)
    with pytest.raises(NotFoundError):
        filing.create_dossier(ged.ctx, agent, service_id=ged.service.id, title="Intrus")
    own = filing.create_dossier(ged.ctx, agent, service_id=ged.other_service.id, title="Carrières")
    assert [d.id for d in filing.list_dossiers(ged.ctx, agent)] == [own.id]


def test_another_organisation_is_not_found(ged: Ged) -> None:
    other_admin, _, other_service = ged.other_organisation()
    dossier = filing.create_dossier(
        ged.ctx, other_admin, service_id=other_service.id, title="Secret"
    )
    filed = file_text(
        ged,
        filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="D").id,
        "t",
        b"x",
    )
    with pytest.raises(NotFoundError):
        filing.get_dossier(ged.ctx, ged.admin, dossier.id)
    with pytest.raises(NotFoundError):
        documents.get_document(ged.ctx, other_admin, filed.document.id)
    assert (
        search_documents(ged.ctx, other_admin, SearchQuery(organisation_id="", text="t")).hits == []
    )


def test_archivist_cannot_file(ged: Ged) -> None:
    archivist, _ = ged.user("archiviste", Role.ARCHIVIST)
    with pytest.raises(ForbiddenError):
        filing.create_dossier(ged.ctx, archivist, service_id=ged.service.id, title="Non")


def test_search_text_filters_sort_and_pages(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Délibérations")
    file_text(
        ged,
        d.id,
        "Délibération budget",
        b"le conseil municipal approuve le budget",
        document_type="deliberation",
        keywords=["budget"],
    )
    file_text(
        ged,
        d.id,
        "Arrêté voirie",
        b"arrete de circulation rue de la Republique",
        document_type="arrete",
    )
    file_text(
        ged,
        d.id,
        "Budget annexe",
        b"budget annexe de l'eau",
        document_type="deliberation",
        extra={"exercice": "2026"},
    )

    def titles(**kwargs: object) -> list[str]:
        query = SearchQuery(organisation_id="", **kwargs)  # type: ignore[arg-type]
        return [h.document.metadata.title for h in search_documents(ged.ctx, ged.admin, query).hits]

    assert set(titles(text="budget")) == {"Délibération budget", "Budget annexe"}
    assert titles(text="deliberation") == ["Délibération budget"]  # accents folded
    assert titles(text="république") == ["Arrêté voirie"]  # in the extracted text, accents folded
    assert titles(document_type="arrete") == ["Arrêté voirie"]
    assert titles(keyword="budget") == ["Délibération budget"]
    assert titles(extra={"exercice": "2026"}) == ["Budget annexe"]
    assert titles(sort=SortKey.TITLE, descending=False) == [
        "Arrêté voirie",
        "Budget annexe",
        "Délibération budget",
    ]
    first = search_documents(
        ged.ctx,
        ged.admin,
        SearchQuery(organisation_id="", sort=SortKey.TITLE, descending=False, limit=2),
    )
    assert first.next_offset == 2
    rest = search_documents(
        ged.ctx,
        ged.admin,
        SearchQuery(organisation_id="", sort=SortKey.TITLE, descending=False, limit=2, offset=2),
    )
    assert [h.document.metadata.title for h in rest.hits] == [
        "Délibération budget"
    ] and rest.next_offset is None


def test_metadata_update_is_searchable(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="D")
    filed = file_text(ged, d.id, "Courrier", b"contenu du courrier")
    documents.update_metadata(
        ged.ctx, ged.admin, filed.document.id, {"title": "Réclamation usager"}
    )
    hits = search_documents(
        ged.ctx, ged.admin, SearchQuery(organisation_id="", text="reclamation")
    ).hits
    assert [h.document.id for h in hits] == [filed.document.id]
    hits = search_documents(
        ged.ctx, ged.admin, SearchQuery(organisation_id="", text="courrier")
    ).hits
    assert [h.document.id for h in hits] == [filed.document.id]  # the body stays indexed


def test_failed_extraction_keeps_the_document(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="D")
    filed = file_text(ged, d.id, "piege", b"HOSTILE content")
    _, versions = documents.get_document(ged.ctx, ged.admin, filed.document.id)
    assert versions[0].extraction_status is ExtractionStatus.FAILED


def test_operation_log_detects_tampering(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Journal")
    file_text(ged, d.id, "a", b"a")
    file_text(ged, d.id, "b", b"b")
    report = verify_log(ged.ctx)
    assert report.ok and report.entries >= 6
    with ged.ctx.uow() as uow:
        conn = uow.repo.conn  # type: ignore[attr-defined]
        conn.execute(text("UPDATE oplog SET actor = 'mallory' WHERE seq = 5"))
        uow.commit()
    bad = verify_log(ged.ctx).first_break
    assert bad is not None and bad.seq == 5 and bad.reason == "edited"


def test_operation_log_detects_deletion(ged: Ged) -> None:
    filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Journal")
    filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Journal 2")
    with ged.ctx.uow() as uow:
        uow.repo.conn.execute(text("DELETE FROM oplog WHERE seq = 3"))  # type: ignore[attr-defined]
        uow.commit()
    bad = verify_log(ged.ctx).first_break
    assert bad is not None and bad.seq == 4


def test_pending_versions_are_processed_after_a_restart(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Reprise")
    filed = documents.file_document(
        ged.ctx,
        ged.admin,
        d.id,
        io.BytesIO(b"texte en attente"),
        filename="a.txt",
        metadata=Metadata(title="a"),
    )
    assert filed.version.extraction_status is ExtractionStatus.PENDING  # the server "stopped" here
    assert pending.process_pending(ged.ctx) == 1
    _, versions = documents.get_document(ged.ctx, ged.admin, filed.document.id)
    assert versions[0].extraction_status is ExtractionStatus.DONE
    assert pending.process_pending(ged.ctx) == 0
