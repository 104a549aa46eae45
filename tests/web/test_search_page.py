"""The search page: highlighted excerpts (escaped), filters, and its form's errors shown by
their fields."""

from __future__ import annotations

import re

from tests.fixtures.web import Web
from tests.fixtures.web_data import build_archive, people


def titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/documents/[^"]+">([^<]+)</a></h3>', html)


def test_a_word_inside_a_document_finds_it_with_the_word_marked_and_the_rest_escaped(
    web: Web,
) -> None:
    build_archive(web)
    people(web)
    page = web.logged_in("agent").get("/recherche", params={"q": "subvention"}).text
    assert titles(page) == ["Compte rendu de la séance"]
    excerpt = re.search(r'<p class="extrait">(.*?)</p>', page, re.S)
    assert excerpt is not None
    assert "<mark>subvention</mark>" in excerpt.group(1)
    assert "&lt;script&gt;" in excerpt.group(1) and "<script>" not in excerpt.group(1)


def test_with_htmx_only_the_results_are_sent(web: Web) -> None:
    build_archive(web)
    people(web)
    answer = web.logged_in("agent").get(
        "/recherche", params={"q": "subvention"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in answer.text and "<mark>subvention</mark>" in answer.text


def test_filters_narrow_by_phase_format_and_service(web: Web) -> None:
    build_archive(web)
    people(web)
    browser = web.logged_in("referent")
    assert titles(browser.get("/recherche", params={"phase": "due"}).text) == ["lettre.txt"]
    assert titles(browser.get("/recherche", params={"format": "application/pdf"}).text) == [
        "deliberation.pdf"
    ]
    other = web.ged.other_service.id
    assert titles(browser.get("/recherche", params={"service": other}).text) == ["budget.txt"]


def test_a_bad_date_or_choice_is_shown_by_its_field_and_nothing_is_searched(web: Web) -> None:
    build_archive(web)
    people(web)
    answer = web.logged_in("agent").get(
        "/recherche", params={"q": "subvention", "du": "31/12/2026", "phase": "inconnue"}
    )
    assert answer.status_code == 422
    page = answer.text
    assert re.search(r'id="champ-du"[^>]*aria-describedby="erreur-du" aria-invalid="true"', page)
    assert '<p class="erreur" id="erreur-du">Date attendue sous la forme AAAA-MM-JJ' in page
    assert '<p class="erreur" id="erreur-phase">Choix inconnu</p>' in page
    assert 'value="31/12/2026"' in page  # what was typed stays in the field
    assert titles(page) == []
