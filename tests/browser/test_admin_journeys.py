"""The administrator in a real browser: an account made on the administration pages, with a
role, a service and a password, and the new person logging in with it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, log_in, screenshot

NEW_PASSWORD = "phrase de passe de Lucie"


def test_an_administrator_creates_an_account_and_the_new_person_logs_in(
    page: Page, site: Site
) -> None:
    log_in(page, site, "gestion")
    page.get_by_role("link", name="Administration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")
    screenshot(page, "administration")
    page.get_by_role("link", name="Comptes et rôles").click()
    page.get_by_label("Identifiant").fill("lucie")
    page.get_by_label("Adresse électronique").fill("lucie@mairie.example")
    page.get_by_label("agent", exact=True).check()
    page.get_by_label("Direction de l'administration générale").check()
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Mot de passe, une seconde fois").fill(NEW_PASSWORD)
    screenshot(page, "comptes")
    page.get_by_role("button", name="Créer le compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compte lucie")
    expect(page.get_by_role("status")).to_have_text("Compte « lucie » créé avec un mot de passe.")
    expect(page.get_by_role("cell", name="gestion")).to_be_visible()  # who granted the role
    screenshot(page, "compte")
    page.get_by_role("button", name="Se déconnecter").click()
    page.goto(site.url + "/connexion")
    page.get_by_label("Identifiant").fill("lucie")
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(site.url + "/")
    expect(page.locator(".compte strong")).to_have_text("lucie")
