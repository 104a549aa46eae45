"""An elimination in a real browser, under the two-person rule (Code du patrimoine, R212-14):
the records officer proposes, an archivist gives the visa and executes it, the dossier's page
shows it eliminated with its tombstone; an archivist who proposed is refused the visa of their
own proposal, said in French."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, due_courrier, log_in, propose, screenshot


def test_a_second_person_gives_the_visa_and_the_elimination_leaves_a_tombstone(
    page: Page, site: Site
) -> None:
    dossier = due_courrier(site, "Courrier arrivé 2020")
    proposal = propose(site, "referent", dossier)
    log_in(page, site, "archiviste")
    page.get_by_role("link", name=re.compile(r"attend(ent)? votre visa")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Visas d'élimination")
    screenshot(page, "visas")
    page.locator(f'a[href="/visas/{proposal}"]').click()
    expect(page.get_by_role("cell", name=re.compile("Courrier arrivé 2020"))).to_be_visible()
    screenshot(page, "visa")
    page.get_by_label("Observations du visa").fill(
        "Copies : les originaux sont au service émetteur."
    )
    page.get_by_role("button", name="Viser l'élimination").click()
    expect(page.get_by_role("status")).to_have_text(
        "Élimination visée : elle peut maintenant être exécutée."
    )
    page.get_by_role("button", name="Exécuter l'élimination").click()
    expect(page.get_by_role("status")).to_contain_text("1 dossier éliminé")
    page.get_by_role("link", name="trace conservée").click()
    expect(page.get_by_role("heading", name="Élimination et trace conservée")).to_be_visible()
    expect(page.locator("main")).to_contain_text("archiviste")
    screenshot(page, "dossier-elimine")


def test_the_author_of_a_proposal_is_refused_its_visa_in_french(page: Page, site: Site) -> None:
    dossier = due_courrier(site, "Courrier arrivé 2020, second envoi")
    proposal = propose(site, "archiviste2", dossier)
    log_in(page, site, "archiviste2")
    page.goto(f"{site.url}/visas/{proposal}")
    page.get_by_role("button", name="Viser l'élimination").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Visa refusé.")
    expect(alert).to_contain_text("Vous êtes l'auteur de cette proposition")
    expect(page.locator(".fiche")).to_contain_text("en attente de visa")
    screenshot(page, "visa-refuse")
