"""The agent's screens through the test client: what each shows, to whom, and the French 404
page for what belongs to another organisation or another service."""

from __future__ import annotations

import re
from datetime import date

import pytest

from ged.domain.lifecycle import BindingTarget
from ged.domain.model import Role
from ged.services import filing, lifecycle, rules
from tests.fixtures.web import Web
from tests.fixtures.web_data import Archive, build_archive, people

MISSING = "00000000-0000-0000-0000-000000000000"


def archive(web: Web) -> Archive:
    built = build_archive(web)
    people(web)
    return built


def test_the_dashboard_lists_open_dossiers_latest_documents_and_tasks(web: Web) -> None:
    found = archive(web)
    page = web.logged_in("referent").get("/").text
    assert "Budget 2026" in page  # open, in the other service: the records officer sees it
    assert "Séance du 12 mars 2020" not in page  # closed
    assert "Compte rendu de la séance" in page
    assert (
        '<a href="/recherche?phase=due">1 dossier à la DUA échue attend son sort final</a>' in page
    )
    assert found.courrier not in page


def test_an_agent_sees_only_the_dossiers_of_their_services(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("agent")
    page = browser.get("/").text
    assert "Budget 2026" not in page and "budget.txt" not in page
    assert browser.get(f"/dossiers/{found.budget}").status_code == 404
    assert browser.get(f"/dossiers/{found.seance}").status_code == 200


def test_another_organisations_objects_are_the_same_404_page_as_missing_ones(web: Web) -> None:
    found = archive(web)
    other_admin, _, _ = web.ged.other_organisation()
    from ged.services import accounts

    stranger = accounts.NewPerson(
        "voisin", frozenset({Role.ADMIN}), password="un mot de passe assez long"
    )
    accounts.create_person(web.ged.ctx, other_admin, stranger)
    browser = web.logged_in("voisin")
    pages = [
        ("/dossiers/{}", found.seance),
        ("/documents/{}", found.note),
        ("/documents/{}/versions/1/pages/1", found.pdf),
        ("/documents/{}/versions/1/image", found.image),
        ("/documents/{}/versions/1/contenu", found.note),
        ("/plan?noeud={}", found.assembly_node),
    ]
    for page, theirs in pages:
        answer = browser.get(page.format(theirs))
        missing = browser.get(page.format(MISSING))
        assert answer.status_code == missing.status_code == 404, page
        assert answer.text == missing.text, page
    assert "Séance" not in browser.get("/recherche?q=subvention").text


def test_the_plan_is_a_keyboard_tree_and_a_node_lists_its_dossiers(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("agent")
    page = browser.get("/plan").text
    assert re.search(
        r"<details open>\s*<summary><span class=\"code\">1</span> Administration générale</summary>",
        page,
    )
    node = browser.get(f"/plan?noeud={found.assembly_node}", headers={"HX-Request": "true"})
    assert "<html" not in node.text  # htmx gets only the list
    assert "Séance du 12 mars 2020" in node.text and "clos, ouvert le 1er mars 2020" in node.text
    assert browser.get("/plan?noeud=inconnu").status_code == 404


def test_the_dossier_page_shows_its_rules_their_origin_start_dates_phase_and_hold(
    web: Web,
) -> None:
    found = archive(web)
    page = web.logged_in("agent").get(f"/dossiers/{found.seance}").text
    for expected in (
        "<dd>intermédiaire</dd>",
        "<dd>12 mars 2030</dd>",
        "<dd>conservation définitive</dd>",
        "gelé (1 gel en cours)",
        "Recours contentieux en cours",
        "Délibérations du conseil départemental",
        "AG-01, version 1",
        "<td>date de la séance</td>",
        "<td>12 mars 2020</td>",
        "plan de classement (rubrique 1.1 Assemblée)",
        "Compte rendu de la séance",
    ):
        assert expected in page, expected


def test_the_dossier_page_shows_when_it_becomes_communicable_once_the_death_is_known(
    web: Web,
) -> None:
    archive(web)
    ctx, admin = web.ged.ctx, web.ged.admin
    node = filing.create_plan_node(ctx, admin, "8.5", "Personnes handicapées", None).id
    rules.bind_rule(ctx, admin, BindingTarget.PLAN_NODE, node, "SAN-05-ACC")
    dossier = web.dossier("Dossier MDPH de M. X", node=node, opened_on=date(2001, 2, 3))
    browser = web.logged_in("referent")
    page = browser.get(f"/dossiers/{dossier}").text
    assert "non calculable : date de départ inconnue (date du décès)" in page
    lifecycle.record_event(ctx, admin, dossier, "date du décès", date(2020, 5, 4))
    page = browser.get(f"/dossiers/{dossier}").text
    assert "<dt>Communicable</dt>\n    <dd>le 4 mai 2045</dd>" in page


def test_a_rule_with_an_alternative_shows_both_periods(web: Web) -> None:
    archive(web)
    ctx, admin = web.ged.ctx, web.ged.admin
    node = filing.create_plan_node(ctx, admin, "8.3", "Aide sociale à l'enfance", None).id
    rules.bind_rule(ctx, admin, BindingTarget.PLAN_NODE, node, "SAN-03-ACC")
    dossier = web.dossier("Dossier ASE de Mlle Y", node=node, opened_on=date(2001, 2, 3))
    page = web.logged_in("referent").get(f"/dossiers/{dossier}").text
    assert "75 ans, ou 25 ans à compter de la date du décès si ce délai est plus bref" in page


def test_the_document_page_shows_text_escaped_and_never_runs_it(web: Web) -> None:
    found = archive(web)
    page = web.logged_in("agent").get(f"/documents/{found.note}").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "Télécharger compte-rendu.txt (84 octets)" in page


def test_pdf_pages_and_images_are_served_as_sandboxed_images(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("agent")
    assert "Page 1 sur 2" in browser.get(f"/documents/{found.pdf}").text
    for url in (
        f"/documents/{found.pdf}/versions/1/pages/2",
        f"/documents/{found.image}/versions/1/image",
    ):
        answer = browser.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["content-type"] == "image/png"
        assert answer.headers["content-security-policy"] == "sandbox"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.content.startswith(b"\x89PNG")
    assert browser.get(f"/documents/{found.pdf}/versions/1/pages/3").status_code == 404
    assert browser.get(f"/documents/{found.note}/versions/1/image").status_code == 404


def test_a_download_is_an_attachment_under_its_original_name(web: Web) -> None:
    found = archive(web)
    answer = web.logged_in("agent").get(f"/documents/{found.note}/versions/1/contenu")
    assert answer.headers["content-disposition"].startswith(
        'attachment; filename="compte-rendu.txt"'
    )
    assert answer.headers["content-security-policy"] == "sandbox"
    assert b"subvention" in answer.content


def test_the_glossary_is_open_to_everyone(web: Web) -> None:
    page = web.browser().get("/glossaire")
    assert page.status_code == 200
    for term in (
        "Versement",
        "Bordereau",
        "Sort final",
        "DUA (durée d&#39;utilité administrative)",
        "Visa",
        "Gel",
        "Communicabilité",
    ):
        assert f">{term}</dt>" in page.text, term


def test_an_unknown_page_is_french_and_the_api_keeps_its_json(web: Web) -> None:
    browser = web.browser()
    page = browser.get("/nulle-part")
    assert page.status_code == 404 and "<h1>Page introuvable</h1>" in page.text
    assert page.headers["content-type"].startswith("text/html")
    api = browser.get("/api/v1/nulle-part")
    assert api.headers["content-type"] == "application/problem+json"


def test_an_unexpected_failure_is_a_french_500_page_with_a_request_id(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from ged.web.views import dashboard

    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    web.person("marie", Role.AGENT)
    browser = web.logged_in("marie")
    monkeypatch.setattr(dashboard, "dashboard", broken)
    quiet = TestClient(browser.app, raise_server_exceptions=False, cookies=browser.cookies)
    answer = quiet.get("/")
    assert answer.status_code == 500
    assert "<h1>Erreur interne</h1>" in answer.text
    assert re.search(r"identifiant de requête [0-9a-f-]{36}", answer.text)
    assert "boom" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
