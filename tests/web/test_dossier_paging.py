"""The dossier page shows its documents one page at a time (50 rows), with French navigation:
« Documents 51 à 100 sur 120 », previous and next; never the whole dossier at once."""

from __future__ import annotations

import html
import io
import re

import pytest
from fastapi.testclient import TestClient

from ged.domain.model import Metadata, Role
from ged.services import documents
from tests.fixtures.web import Web

PIECES = 120


def titles(html: str) -> list[str]:
    return re.findall(r'<td><a href="/documents/[^"]+">([^<]+)</a></td>', html)


def pieces(first: int, last: int) -> list[str]:
    return [f"Pièce {n:03d}" for n in range(first, last + 1)]


def big_dossier(web: Web, count: int = PIECES) -> tuple[TestClient, str]:
    """A dossier of ``count`` short documents filed in order, and an agent's browser."""
    dossier = web.dossier("Marché de travaux de la voirie")
    for n in range(1, count + 1):
        documents.file_document(
            web.ged.ctx,
            web.ged.admin,
            dossier,
            io.BytesIO(f"pièce {n}".encode()),
            filename=f"piece-{n:03d}.txt",
            metadata=Metadata(title=f"Pièce {n:03d}"),
        )
    web.person("agent", Role.AGENT, services=(web.ged.service,))
    return web.logged_in("agent"), dossier


def test_a_dossier_larger_than_a_page_shows_its_first_page_and_the_navigation(web: Web) -> None:
    browser, dossier = big_dossier(web)
    page = browser.get(f"/dossiers/{dossier}").text
    assert titles(page) == pieces(1, 50)
    assert "Documents 1 à 50 sur 120" in page
    assert f'<a href="/dossiers/{dossier}?page=2" rel="next">Page suivante</a>' in page
    assert "Page précédente" not in page


def test_the_next_pages_show_the_next_documents_and_lead_back(web: Web) -> None:
    browser, dossier = big_dossier(web)
    second = browser.get(f"/dossiers/{dossier}", params={"page": 2}).text
    assert titles(second) == pieces(51, 100)
    assert "Documents 51 à 100 sur 120" in second
    assert f'<a href="/dossiers/{dossier}" rel="prev">Page précédente</a>' in second
    last = browser.get(f"/dossiers/{dossier}", params={"page": 3}).text
    assert titles(last) == pieces(101, 120)
    assert "Documents 101 à 120 sur 120" in last and "Page suivante" not in last


def test_a_page_past_the_end_shows_the_last_page(web: Web) -> None:
    browser, dossier = big_dossier(web)
    answer = browser.get(f"/dossiers/{dossier}", params={"page": 9})
    assert answer.status_code == 200
    assert titles(answer.text) == pieces(101, 120)


@pytest.mark.parametrize("number", ["0", "-1", "deux", "2.5", str(10**30)])
def test_a_bad_page_number_is_a_french_422_page_naming_it(web: Web, number: str) -> None:
    browser, dossier = big_dossier(web, count=1)
    answer = browser.get(f"/dossiers/{dossier}", params={"page": number})
    assert answer.status_code == 422
    text = html.unescape(answer.text)
    assert "Un paramètre de l'adresse est invalide." in text
    assert "<li>valeur invalide</li>" in text


def test_a_dossier_that_fits_on_one_page_has_no_navigation(web: Web) -> None:
    browser, dossier = big_dossier(web, count=3)
    page = browser.get(f"/dossiers/{dossier}").text
    assert titles(page) == pieces(1, 3)
    assert "Page suivante" not in page and "Documents 1 à" not in page
