"""Ranked search on both databases: what outranks what, and the window of recent matches that
relevance ranks (``ged.domain.search.RANKED_WINDOW``)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from ged.adapters.db import search as search_adapter
from ged.domain.model import Metadata
from ged.domain.search import SearchPage, SearchQuery, SortKey
from ged.services import documents, filing, processing
from ged.services.search import search_documents
from tests.fixtures.ged import Ged


def file_text(ged: Ged, dossier_id: str, title: str, body: str) -> str:
    filed = documents.file_document(
        ged.ctx,
        ged.admin,
        dossier_id,
        io.BytesIO(body.encode()),
        filename="note.txt",
        metadata=Metadata(title=title),
        mime_type="text/plain",
    )
    processing.process(ged.ctx, filed.document.id, filed.version.number)
    return filed.document.metadata.title


def search(ged: Ged, text: str, **kwargs: object) -> SearchPage:
    query = SearchQuery(organisation_id="", text=text, **kwargs)  # type: ignore[arg-type]
    return search_documents(ged.ctx, ged.admin, query)


def titles(page: SearchPage) -> list[str]:
    return [hit.document.metadata.title for hit in page.hits]


def test_a_title_match_outranks_a_match_in_the_text(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Voirie")
    file_text(ged, d.id, "Compte rendu de chantier", "réfection de la chaussée rue Pasteur")
    file_text(ged, d.id, "Chaussée de la rue Pasteur", "travaux prévus au printemps")
    file_text(ged, d.id, "Courrier", "sans rapport")

    page = search(ged, "chaussée")

    assert titles(page) == ["Chaussée de la rue Pasteur", "Compte rendu de chantier"]
    first, second = (hit.rank for hit in page.hits)
    assert first is not None and second is not None


def test_relevance_ranks_only_the_most_recently_filed_matches(
    ged: Ged, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_adapter, "RANKED_WINDOW", 2)
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Budget")
    file_text(ged, d.id, "Budget primitif", "budget primitif de la commune")
    file_text(ged, d.id, "Note", "le budget annexe")
    file_text(ged, d.id, "Courrier", "une ligne du budget")

    ranked = search(ged, "budget")
    by_date = search(ged, "budget", sort=SortKey.CREATED_AT)

    assert set(titles(ranked)) == {"Note", "Courrier"} and ranked.next_offset is None
    assert set(titles(by_date)) == {"Budget primitif", "Note", "Courrier"}


def blocks_of_one_document(monkeypatch: pytest.MonkeyPatch, window: int) -> None:
    """A window of ``window`` matches filled by blocks of one document, every word read by
    blocks (its share below the rare threshold)."""
    monkeypatch.setattr(search_adapter, "RANKED_WINDOW", window)
    monkeypatch.setattr(search_adapter, "PG_BLOCK", 1)
    monkeypatch.setattr(search_adapter, "PG_RARE_SHARE", 1.0)


# PostgreSQL reads a word's matches by blocks of documents, the newest first, twice as
# many blocks each time: blocks of one document here, the first read spanning two.
def test_a_read_by_blocks_goes_back_until_the_window_is_full(
    ged: Ged, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks_of_one_document(monkeypatch, window=2)
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Eau")
    for title in ("Forage", "Captage", "Réseau", "Station", "Compteurs", "Relevés"):
        body = "eau potable" if title in ("Forage", "Captage", "Réseau") else "épuration"
        file_text(ged, d.id, title, body)

    assert set(titles(search(ged, "potable"))) == {"Captage", "Réseau"}


def ten_notes(ged: Ged, potable: set[int]) -> None:
    """Notes 1 to 10, filed oldest first; those numbered in ``potable`` say « eau potable »."""
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Eau")
    for i in range(1, 11):
        file_text(ged, d.id, f"Note {i}", "eau potable" if i in potable else "épuration")


def test_a_read_by_blocks_reads_as_many_more_blocks_as_its_matches_say_are_missing(
    ged: Ged, monkeypatch: pytest.MonkeyPatch
) -> None:
    # window 3, blocks of one document: the first read (three blocks, the word in every
    # document by its share) finds two matches, the second reads the two blocks the third one
    # should be in, and nothing older is read
    blocks_of_one_document(monkeypatch, window=3)
    ten_notes(ged, potable={1, 3, 6, 9, 10})

    assert set(titles(search(ged, "potable"))) == {"Note 6", "Note 9", "Note 10"}


def test_a_window_completed_from_the_rest_of_the_index_takes_its_newest_older_matches(
    ged: Ged, monkeypatch: pytest.MonkeyPatch
) -> None:
    # window 3, blocks of one document: the first read (three blocks) finds the newest match
    # only, the next would span eight blocks, past the oldest, so the rest of the index is
    # read with the ranking: its two newest matches older than the blocks read, not the one
    # already found again
    blocks_of_one_document(monkeypatch, window=3)
    ten_notes(ged, potable={1, 2, 3, 10})

    assert set(titles(search(ged, "potable"))) == {"Note 2", "Note 3", "Note 10"}


def test_the_window_is_taken_after_the_filters(ged: Ged, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_adapter, "RANKED_WINDOW", 1)
    old = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Ancien")
    new = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Récent")
    file_text(ged, old.id, "Marché de voirie", "marché de travaux")
    file_text(ged, new.id, "Marché scolaire", "marché de restauration")

    assert titles(search(ged, "marché", dossier_id=old.id)) == ["Marché de voirie"]


def test_pages_of_a_ranked_search_follow_one_order(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Actes")
    for i in range(5):
        file_text(ged, d.id, f"Arrêté {i}", "arrêté " * (i + 1))

    first = search(ged, "arrêté", limit=3)
    rest = search(ged, "arrêté", limit=3, offset=3)

    assert first.next_offset == 3 and rest.next_offset is None
    assert sorted(titles(first) + titles(rest)) == [f"Arrêté {i}" for i in range(5)]
    ranks = [hit.rank or 0.0 for hit in (*first.hits, *rest.hits)]
    # one order across the pages (bm25 on SQLite is lower for better, ts_rank higher)
    assert ranks in (sorted(ranks), sorted(ranks, reverse=True))


def test_postgresql_reads_the_share_of_a_word_from_its_statistics(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Conseil")
    for i in range(4):
        file_text(ged, d.id, f"Séance {i}", "délibération du conseil" + " budget" * (i % 2))
    with ged.ctx.uow() as uow:
        index = uow.repo.search
        if not isinstance(index, search_adapter.PostgresSearch):
            pytest.skip("PostgreSQL only: SQLite walks its FTS5 doclist for every word")
        index.conn.execute(text("ANALYZE document_search"))

        assert index._share("conseil") == pytest.approx(1.0)
        assert index._share("budget") == pytest.approx(0.5)
        assert index._share("conseil budget") == pytest.approx(0.5)
        assert index._share("introuvable") == 0.0


def test_postgresql_reads_the_shares_again_once_analyze_counted_anew(ged: Ged) -> None:
    d = filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title="Conseil")
    for i in range(4):
        file_text(ged, d.id, f"Séance {i}", "délibération du conseil" + " budget" * (i % 2))

    def analyzed_share(word: str) -> float:
        with ged.ctx.uow() as uow:
            index = uow.repo.search
            if not isinstance(index, search_adapter.PostgresSearch):
                pytest.skip("PostgreSQL only: SQLite walks its FTS5 doclist for every word")
            index.conn.execute(text("ANALYZE document_search"))
            uow.commit()
        with ged.ctx.uow() as uow:
            return uow.repo.search._share(word)  # type: ignore[attr-defined, no-any-return]

    assert analyzed_share("budget") == pytest.approx(0.5)
    for i in range(4):
        file_text(ged, d.id, f"Commission {i}", "délibération du conseil")
    assert analyzed_share("budget") == pytest.approx(0.25)
