"""axe-core (through axe-playwright-python) on every page of the agent's, the records officer's,
the archivist's and the administrator's screens, in the browser, logged in: no serious or critical
violation (RGAA relies on the same WCAG criteria)."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.conftest import Site, due_courrier, log_in, propose

SEVERE = ("serious", "critical")


def severe_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in SEVERE
    ]


def test_the_login_page_has_no_serious_accessibility_violation(page: Page, site: Site) -> None:
    page.goto(site.url + "/connexion")
    assert severe_violations(page) == []
    page.get_by_label("Identifiant").fill("agent")
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector("[role=alert]")
    assert severe_violations(page) == []


def test_no_page_has_a_serious_accessibility_violation(page: Page, site: Site) -> None:
    log_in(page, site)
    docs = site.documents
    pages = [
        "/",
        "/plan",
        f"/plan?noeud={site.node}",
        f"/dossiers/{site.dossier}",
        f"/dossiers/{site.dossier}/depot",
        f"/documents/{docs['note']}",
        f"/documents/{docs['pdf']}",
        f"/documents/{docs['image']}",
        "/recherche",
        "/recherche?q=budget",
        "/recherche?du=hier",
        "/glossaire",
        "/nulle-part",
    ]
    assert violations_of(page, site, pages) == {}


def test_no_visa_or_administration_page_has_a_serious_accessibility_violation(
    page: Page, site: Site
) -> None:
    proposal = propose(site, "referent", due_courrier(site, "Courrier arrivé 2020, accessibilité"))
    log_in(page, site, "archiviste")
    assert violations_of(page, site, ["/visas", f"/visas/{proposal}"]) == {}
    page.get_by_role("button", name="Se déconnecter").click()
    log_in(page, site, "gestion")
    pages = [
        "/administration",
        "/administration/services",
        "/administration/comptes",
        "/administration/comptes/agent",
        "/administration/jetons",
        "/administration/accords",
    ]
    assert violations_of(page, site, pages) == {}


def violations_of(page: Page, site: Site, paths: list[str]) -> dict[str, list[str]]:
    """The severe violations of each page that has some."""
    found = {}
    for path in paths:
        page.goto(site.url + path)
        found[path] = severe_violations(page)
    return {p: v for p, v in found.items() if v}


def test_no_records_officer_page_has_a_serious_accessibility_violation(
    page: Page, site: Site
) -> None:
    log_in(page, site, "referent")
    pages = [
        "/regles",
        "/regles/AG-01",
        f"/plan/{site.node}/regles",
        f"/dossiers/{site.dossier}/regles",
        "/types-de-documents",
        "/gels",
        f"/dossiers/{site.dossier}/gel",
        "/cycle-de-vie",
        "/cycle-de-vie/simulation?au=2030-01-01",
        "/eliminations",
        f"/eliminations/{site.proposal}",
        f"/eliminations/{site.proposal}/bordereau",
        "/versements",
        "/versements/nouveau",
    ]
    assert violations_of(page, site, pages) == {}
