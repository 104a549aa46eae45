"""Whole journeys in a real browser: logging in with a password, dropping several files on the
upload page and watching their progress, finding one by a word inside it with the word marked,
logging in through the single sign-on provider."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, log_in, screenshot
from tests.fixtures.web import PASSWORD

DROPPED = {
    "compte-rendu-commission.txt": "La commission a examiné le dossier de la zygomorphe du parc.",
    "convocation.txt": "Convocation des élus à la séance du conseil municipal.",
    "liste-presence.csv": "nom;présent\nDupont;oui\nMartin;non\n",
}


def test_a_person_logs_in_with_their_password_and_out_again(page: Page, site: Site) -> None:
    page.goto(site.url + "/plan")
    expect(page).to_have_url(site.url + "/connexion?suivant=%2Fplan")
    screenshot(page, "connexion")
    page.get_by_label("Identifiant").fill("agent")
    page.get_by_label("Mot de passe").fill("pas le bon")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_have_text("Identifiant ou mot de passe incorrect")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(site.url + "/plan")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan de classement")
    screenshot(page, "plan")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("status")).to_have_text("Vous êtes déconnecté(e).")


def test_an_agent_drops_files_sees_their_progress_and_finds_one_by_a_word_inside(
    page: Page, site: Site
) -> None:
    log_in(page, site)
    screenshot(page, "tableau-de-bord")
    page.goto(f"{site.url}/dossiers/{site.dossier}")
    screenshot(page, "dossier")
    page.get_by_role("link", name="Déposer des documents").click()
    drop(page, DROPPED)
    expect(page.locator("#depot-bilan")).to_have_text("3 fichier(s) déposé(s) sur 3.")
    bars = page.locator("#depot-progression progress")
    expect(bars).to_have_count(3)
    for i in range(3):
        expect(bars.nth(i)).to_be_visible()
        assert bars.nth(i).evaluate("bar => bar.value === bar.max && bar.max > 0")
    expect(page.locator("#depot-progression li").first).to_contain_text("Déposé")
    screenshot(page, "depot")
    find(page, site, "zygomorphe")
    mark = page.locator("#resultats mark")
    expect(mark.first).to_have_text("zygomorphe")
    expect(page.locator("#resultats h3")).to_have_text(["compte-rendu-commission.txt"])
    screenshot(page, "recherche")


def drop(page: Page, files: dict[str, str]) -> None:
    """Drops files on the upload zone as the system's file manager would, once the page has
    loaded (its script listens for drops from DOMContentLoaded on: a drop before is lost)."""
    page.wait_for_load_state("load")
    transfer = page.evaluate_handle(
        """files => {
            const transfer = new DataTransfer();
            for (const [name, text] of Object.entries(files)) {
                transfer.items.add(new File([text], name, {type: name.endsWith('.csv') ? 'text/csv' : 'text/plain'}));
            }
            return transfer;
        }""",
        files,
    )
    page.dispatch_event(".depot-zone", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event(".depot-zone", "drop", {"dataTransfer": transfer})


def find(page: Page, site: Site, word: str) -> None:
    """Searches until the word is indexed: text is extracted just after each upload's answer."""
    page.goto(site.url + "/recherche")
    for _ in range(20):
        page.get_by_label("Mots recherchés").fill(word)
        page.get_by_role("button", name="Rechercher").click()
        page.wait_for_load_state("networkidle")
        if page.locator("#resultats mark").count():
            return
        page.wait_for_timeout(250)


def test_a_person_logs_in_through_the_single_sign_on_provider(page: Page, site: Site) -> None:
    page.goto(site.url + "/connexion")
    page.get_by_role("link", name="Se connecter avec ProConnect").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fournisseur d'identité de test")
    page.get_by_label("Identifiant").fill("claire")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(site.url + "/")
    expect(page.locator(".compte strong")).to_have_text("claire")


def test_the_document_page_shows_a_pdf_page_drawn_by_the_server(page: Page, site: Site) -> None:
    log_in(page, site)
    page.goto(f"{site.url}/documents/{site.documents['pdf']}")
    image = page.get_by_role("img", name="Page 1 sur 2 du document « deliberation.pdf »")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 500")
    screenshot(page, "document")
