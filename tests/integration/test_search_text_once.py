"""SQLite: the search index reads each document's text from ``texts`` instead of keeping its own
copy (migration 0022), and stays equal to that content through filing, extraction, metadata
changes, new versions and removal: FTS5's ``integrity-check`` compares the index with its
content (SQLite, "The FTS5 Extension", §6.7)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, exc, text

from ged.domain.model import Metadata
from ged.domain.search import SearchQuery
from ged.services import documents, filing, processing
from ged.services.search import search_documents
from tests.fixtures.ged import Ged, make_ged
from tests.integration.test_search_scope_migration import migrate_to


@pytest.fixture
def sqlite_ged(tmp_path: Path) -> Iterator[Ged]:
    """SQLite only: PostgreSQL's index is a tsvector per document, not the text."""
    made = make_ged(tmp_path, "")
    yield made
    made.ctx.close()
    made.engine.dispose()


def check_index(engine: Engine) -> None:
    """FTS5 raises SQLITE_CORRUPT_VTAB when the index differs from its content."""
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)")
        )


def found(ged: Ged, words: str) -> list[str]:
    page = search_documents(ged.ctx, ged.admin, SearchQuery("", text=words, excerpts=True))
    return sorted(hit.document.metadata.title for hit in page.hits)


def file(ged: Ged, dossier_id: str, title: str, body: bytes) -> str:
    filed = documents.file_document(
        ged.ctx,
        ged.admin,
        dossier_id,
        io.BytesIO(body),
        filename="note.txt",
        metadata=Metadata(title=title),
        mime_type="text/plain",
    )
    check_index(ged.engine)  # indexed with its metadata, its text not yet extracted
    processing.process(ged.ctx, filed.document.id, filed.version.number)
    return filed.document.id


def stored_copies(engine: Engine, word: str) -> int:
    """How many rows of the database hold ``word``: in ``texts``, and in FTS5's own copy of
    its content (``documents_fts_content``) where there is one."""
    with engine.connect() as conn:
        tables = set(conn.execute(text("SELECT name FROM sqlite_master")).scalars())
        like = {"w": f"%{word}%"}
        copies = conn.execute(text("SELECT count(*) FROM texts WHERE body LIKE :w"), like)
        count = int(copies.scalar_one())
        if "documents_fts_content" in tables:  # FTS5 names its columns c0, c1…: body is c5
            own = conn.execute(
                text("SELECT count(*) FROM documents_fts_content WHERE c5 LIKE :w"), like
            )
            count += int(own.scalar_one())
    return count


def test_a_documents_text_is_stored_once_and_found_with_its_excerpt(sqlite_ged: Ged) -> None:
    ged = sqlite_ged
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Conseil")
    file(ged, d.id, "Délibération", b"le conseil accorde la subvention hippomobile")

    assert found(ged, "hippomobile") == ["Délibération"]
    assert stored_copies(ged.engine, "hippomobile") == 1
    page = search_documents(ged.ctx, ged.admin, SearchQuery("", text="hippomobile", excerpts=True))
    assert [f.text for f in page.hits[0].excerpt if f.marked] == ["hippomobile"]
    check_index(ged.engine)


def test_the_index_follows_metadata_new_versions_and_removal(sqlite_ged: Ged) -> None:
    ged = sqlite_ged
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Voirie")
    doc = file(ged, d.id, "Arrêté", b"stationnement interdit rue des tilleuls")
    kept = file(ged, d.id, "Plan", b"plan de circulation des tilleuls")

    documents.update_metadata(ged.ctx, ged.admin, doc, {"title": "Arrêté municipal"})
    check_index(ged.engine)
    assert found(ged, "municipal") == ["Arrêté municipal"]

    filed = documents.add_version(
        ged.ctx, ged.admin, doc, [b"stationnement autorise avenue des platanes"], filename="v2.txt"
    )
    check_index(ged.engine)  # the new version's text is not extracted yet: not indexed
    assert found(ged, "stationnement") == []
    processing.process(ged.ctx, doc, filed.version.number)
    check_index(ged.engine)
    assert found(ged, "platanes") == ["Arrêté municipal"]
    assert found(ged, "tilleuls") == ["Plan"]

    with ged.ctx.uow() as uow:  # as an elimination does: index entries first, then the rows
        for removed in (doc, kept):
            uow.repo.search.remove(uow.repo.document_pk(removed))
        uow.lifecycle.delete_dossier_content(d.id)
        uow.commit()
    check_index(ged.engine)
    assert found(ged, "platanes") == []
    assert found(ged, "tilleuls") == []


def test_a_text_still_indexed_cannot_be_deleted(sqlite_ged: Ged) -> None:
    ged = sqlite_ged
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Conseil")
    doc = file(ged, d.id, "Compte rendu", b"ordre du jour de la commission")

    with pytest.raises(exc.IntegrityError, match="encore indexé"), ged.engine.begin() as conn:
        conn.execute(text("DELETE FROM texts WHERE document_id = :id"), {"id": doc})
    check_index(ged.engine)
    assert found(ged, "commission") == ["Compte rendu"]


def test_documents_indexed_before_the_migration_are_found_after_it_and_back(
    sqlite_ged: Ged,
) -> None:
    ged = sqlite_ged
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Séances")
    filed = documents.file_document(
        ged.ctx,
        ged.admin,
        d.id,
        io.BytesIO(b"budget primitif adopte a l'unanimite"),
        filename="budget.txt",
        metadata=Metadata(title="Budget", keywords=["finances"]),
        mime_type="text/plain",
    )
    processing.process(ged.ctx, filed.document.id, 1)
    file(ged, d.id, "Ordre du jour", b"questions diverses")

    migrate_to(ged, "0021", downgrade=True)  # the index of before: FTS5 with its own copy
    match = text("SELECT rowid FROM documents_fts WHERE documents_fts MATCH :w")
    with ged.engine.connect() as conn:
        assert len(conn.execute(match, {"w": "unanimite"}).all()) == 1
        assert len(conn.execute(match, {"w": "finances"}).all()) == 1
    assert stored_copies(ged.engine, "unanimite") == 2

    migrate_to(ged, "heads")
    check_index(ged.engine)
    assert stored_copies(ged.engine, "unanimite") == 1
    assert found(ged, "unanimite") == ["Budget"]
    assert found(ged, "finances") == ["Budget"]
    assert found(ged, "diverses") == ["Ordre du jour"]
