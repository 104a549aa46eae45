"""Migration 0020: a dossier's documents are read in filing order from ``(dossier_id, pk)``, on
both databases; the downgrade puts the index on ``dossier_id`` back."""

from __future__ import annotations

import io

from sqlalchemy import inspect

from ged.domain.model import Metadata
from ged.services import documents, filing
from tests.fixtures.ged import Ged
from tests.integration.test_search_scope_migration import migrate_to


def document_indexes(ged: Ged) -> dict[str, list[str]]:
    found = inspect(ged.engine).get_indexes("documents")
    return {str(ix["name"]): [str(c) for c in ix["column_names"]] for ix in found}


def test_the_pages_of_a_dossier_come_from_one_index_and_the_downgrade_restores_the_old(
    ged: Ged,
) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Marchés")
    filed = [
        documents.file_document(
            ged.ctx,
            ged.admin,
            d.id,
            io.BytesIO(b"x%d" % i),
            filename=f"{i}.txt",
            metadata=Metadata(title=f"Pièce {i}"),
        ).document.id
        for i in range(5)
    ]
    assert document_indexes(ged)["ix_documents_dossier_pk"] == ["dossier_id", "pk"]
    assert "ix_documents_dossier" not in document_indexes(ged)
    with ged.ctx.uow() as uow:
        pages = [
            uow.repo.documents_in(d.id, limit=2),
            uow.repo.documents_in(d.id, limit=2, after=filed[1]),
        ]
    assert [doc.id for page in pages for doc in page] == filed[:4]

    migrate_to(ged, "0019", downgrade=True)
    assert document_indexes(ged)["ix_documents_dossier"] == ["dossier_id"]
    assert "ix_documents_dossier_pk" not in document_indexes(ged)
    migrate_to(ged, "heads")
    assert document_indexes(ged)["ix_documents_dossier_pk"] == ["dossier_id", "pk"]
