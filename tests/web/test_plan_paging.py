"""A plan node's dossiers, 50 at a time with French navigation (it used to show the 200 most
recent and silently leave the others out)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient

from ged.domain.model import Role
from ged.services import filing
from tests.fixtures.web import Web

DOSSIERS = 60


def titles(html: str) -> list[str]:
    return re.findall(r'<li><a href="/dossiers/[^"]+">([^<]+)</a>', html)


def crowded_node(web: Web) -> tuple[TestClient, str]:
    """A node holding 60 dossiers opened one a day (« Dossier 01 » the oldest), another
    service's dossier there too, and an agent of the first service."""
    node = filing.create_plan_node(web.ged.ctx, web.ged.admin, "4", "Voirie", None).id
    for n in range(1, DOSSIERS + 1):
        web.dossier(f"Dossier {n:02d}", node=node, opened_on=date(2020, 1, 1) + timedelta(n))
    web.dossier("Dossier d'un autre service", service=web.ged.other_service, node=node)
    web.person("agent", Role.AGENT, services=(web.ged.service,))
    return web.logged_in("agent"), node


def newest_first(first: int, last: int) -> list[str]:
    return [f"Dossier {n:02d}" for n in range(first, last - 1, -1)]


def test_a_node_with_more_dossiers_than_a_page_shows_the_most_recent_and_the_navigation(
    web: Web,
) -> None:
    browser, node = crowded_node(web)
    page = browser.get("/plan", params={"noeud": node}).text
    assert titles(page) == newest_first(60, 11)
    assert "Dossiers 1 à 50 sur 60" in page
    assert f'<a href="/plan?noeud={node}&amp;page=2" rel="next">Page suivante</a>' in page


def test_the_next_page_of_a_node_shows_the_older_dossiers_and_leads_back(web: Web) -> None:
    browser, node = crowded_node(web)
    page = browser.get("/plan", params={"noeud": node, "page": 2}).text
    assert titles(page) == newest_first(10, 1)
    assert "Dossiers 51 à 60 sur 60" in page and "Page suivante" not in page
    assert f'<a href="/plan?noeud={node}" rel="prev">Page précédente</a>' in page


def test_with_htmx_the_node_list_comes_with_its_navigation(web: Web) -> None:
    browser, node = crowded_node(web)
    answer = browser.get("/plan", params={"noeud": node}, headers={"HX-Request": "true"})
    assert "<html" not in answer.text and "Dossiers 1 à 50 sur 60" in answer.text


def test_a_bad_page_number_of_a_node_is_a_french_422_page(web: Web) -> None:
    browser, node = crowded_node(web)
    answer = browser.get("/plan", params={"noeud": node, "page": "dernière"})
    assert answer.status_code == 422 and "valeur invalide" in answer.text
