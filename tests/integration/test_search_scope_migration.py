"""Migration 0019: PostgreSQL's search rows hold their document's scope (organisation, service,
date), filled for the documents already indexed and kept equal to ``documents`` afterwards;
SQLite is unchanged. Both databases run the same checks."""

from __future__ import annotations

import io
from datetime import date

from alembic import command
from sqlalchemy import text

from ged.adapters.db.engine import alembic_config
from ged.domain.model import Metadata
from ged.domain.search import SearchQuery
from ged.services import documents, filing, processing
from ged.services.search import search_documents
from tests.fixtures.ged import Ged


def file_dated(ged: Ged, dossier_id: str, title: str, created_on: date) -> str:
    filed = documents.file_document(
        ged.ctx,
        ged.admin,
        dossier_id,
        io.BytesIO(b"compte rendu du conseil"),
        filename="note.txt",
        metadata=Metadata(title=title, created_on=created_on),
        mime_type="text/plain",
    )
    processing.process(ged.ctx, filed.document.id, filed.version.number)
    return filed.document.id


def found(ged: Ged, **filters: object) -> list[str]:
    query = SearchQuery(organisation_id="", text="conseil", **filters)  # type: ignore[arg-type]
    page = search_documents(ged.ctx, ged.admin, query)
    return [hit.document.metadata.title for hit in page.hits]


def migrate_to(ged: Ged, revision: str, downgrade: bool = False) -> None:
    cfg = alembic_config(ged.engine)
    with ged.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if downgrade else command.upgrade)(cfg, revision)


def test_documents_indexed_before_the_migration_are_filtered_by_their_scope(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Séances")
    file_dated(ged, d.id, "Séance de 2001", date(2001, 3, 1))
    file_dated(ged, d.id, "Séance de 2020", date(2020, 3, 1))
    migrate_to(ged, "0018", downgrade=True)
    migrate_to(ged, "heads")

    assert found(ged, created_from=date(2019, 1, 1)) == ["Séance de 2020"]
    assert found(ged, created_to=date(2002, 1, 1)) == ["Séance de 2001"]
    assert found(ged, service_ids=frozenset({ged.other_service.id})) == []
    assert sorted(found(ged, service_ids=frozenset({ged.service.id}))) == [
        "Séance de 2001",
        "Séance de 2020",
    ]


def test_a_document_whose_date_or_service_changes_is_found_by_its_new_scope(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Séances")
    moved = file_dated(ged, d.id, "Séance", date(2001, 3, 1))
    documents.update_metadata(ged.ctx, ged.admin, moved, {"created_on": date(2020, 3, 1)})

    assert found(ged, created_from=date(2019, 1, 1)) == ["Séance"]
    assert found(ged, created_to=date(2002, 1, 1)) == []

    with ged.engine.begin() as conn:  # as a move to another service's dossier would
        conn.execute(
            text("UPDATE documents SET service_id = :svc WHERE id = :id"),
            {"svc": ged.other_service.id, "id": moved},
        )
    assert found(ged, service_ids=frozenset({ged.service.id})) == []
    assert found(ged, service_ids=frozenset({ged.other_service.id})) == ["Séance"]
