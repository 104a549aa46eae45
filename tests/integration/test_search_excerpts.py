"""Search hits come with an excerpt whose matching words are marked (SQLite FTS5 snippet(),
PostgreSQL ts_headline) and can be filtered by their dossier's phase and their format; every
test runs on both databases."""

from __future__ import annotations

import io
from datetime import date

from ged.domain.lifecycle import LifecycleState, Phase
from ged.domain.model import Metadata
from ged.domain.search import Fragment, SearchQuery
from ged.services import documents, filing, processing
from ged.services.search import search_documents
from tests.fixtures.ged import Ged


def file(ged: Ged, dossier_id: str, title: str, body: bytes, name: str = "") -> str:
    filed = documents.file_document(
        ged.ctx,
        ged.admin,
        dossier_id,
        io.BytesIO(body),
        filename=name or f"{title}.txt",
        metadata=Metadata(title=title),
    )
    processing.process(ged.ctx, filed.document.id, filed.version.number)
    return filed.document.id


def dossier(ged: Ged, title: str) -> str:
    return filing.create_dossier(ged.ctx, ged.admin, service_id=ged.service.id, title=title).id


def search(ged: Ged, **fields: object) -> list[tuple[str, tuple[Fragment, ...]]]:
    query = SearchQuery(organisation_id="", excerpts=True, **fields)  # type: ignore[arg-type]
    page = search_documents(ged.ctx, ged.admin, query)
    return [(h.document.metadata.title, h.excerpt) for h in page.hits]


def test_a_hit_carries_an_excerpt_with_the_matching_word_marked(ged: Ged) -> None:
    body = b"Le conseil a vote la subvention au club de rugby malgre l'opposition."
    file(ged, dossier(ged, "Conseil"), "Deliberation", body)
    [(title, excerpt)] = search(ged, text="subvention")
    assert title == "Deliberation"
    marked = [f.text.lower() for f in excerpt if f.marked]
    assert marked == ["subvention"]
    assert "au club de rugby" in "".join(f.text for f in excerpt)


def test_without_words_or_without_asking_there_is_no_excerpt(ged: Ged) -> None:
    file(ged, dossier(ged, "Conseil"), "Deliberation", b"subvention au club")
    assert search(ged) == [("Deliberation", ())]
    plain = search_documents(ged.ctx, ged.admin, SearchQuery("", text="subvention"))
    assert plain.hits[0].excerpt == ()


def test_hits_are_filtered_by_the_phase_of_their_dossier(ged: Ged) -> None:
    closed = dossier(ged, "Ancien")
    file(ged, closed, "Archive", b"budget 2019")
    file(ged, dossier(ged, "Nouveau"), "Courant", b"budget 2026")
    with ged.ctx.uow() as uow:
        state = LifecycleState(
            closed, ged.admin.organisation_id, ged.service.id, Phase.DUE, date(2026, 1, 1)
        )
        uow.lifecycle.save_state(state, new=True)
        uow.commit()
    assert [t for t, _ in search(ged, text="budget", phase="due")] == ["Archive"]
    assert [t for t, _ in search(ged, text="budget", phase="current")] == ["Courant"]


def test_hits_are_filtered_by_the_format_of_their_current_version(ged: Ged) -> None:
    where = dossier(ged, "Formats")
    file(ged, where, "Note", b"budget")
    file(ged, where, "Tableau", b"poste;budget", name="tableau.csv")
    assert [t for t, _ in search(ged, text="budget", mime_type="text/csv")] == ["Tableau"]
