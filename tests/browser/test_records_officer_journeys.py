"""The records officer's journeys in a real browser: a tableau de gestion refused with every
bad line shown, fixed and imported; a hold placed on a dossier and lifted; a transfer prepared
and sent through the agreement's drop folder; an elimination proposal and its slip."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, log_in, screenshot

HEADER = "Code;Intitulé;DUA;Point de départ;Sort final;Délai de communicabilité;Référence;Obs.\n"
BAD = (
    HEADER
    + "JR-01;Journal des rapprochements;dix ans;clôture du dossier;D;;;\n"
    + "JR-02;Registre des visites;5 ans;clôture du dossier;X;;;\n"
)
FIXED = BAD.replace("dix ans", "10 ans").replace(";X;", ";D;")


def test_a_records_officer_reads_each_bad_line_of_a_refused_tableau_then_imports_it_fixed(
    page: Page, site: Site, tmp_path: Path
) -> None:
    tableau = tmp_path / "tableau-comptabilite.csv"
    tableau.write_text(BAD, encoding="utf-8")
    log_in(page, site, "referent")
    page.get_by_role("link", name="Tableaux de gestion").click()
    page.get_by_label("Fichier", exact=True).set_input_files(tableau)
    page.get_by_role("button", name="Importer").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("« tableau-comptabilite.csv » refusé : rien n'a été importé")
    expect(refusal).to_contain_text("2 problèmes trouvés")
    rows = refusal.get_by_role("row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("Durée illisible : « dix ans »")
    expect(rows.nth(2)).to_contain_text("Sort final inconnu « X »")
    expect(page.get_by_role("link", name="JR-01")).to_have_count(0)
    screenshot(page, "tableaux-de-gestion-refus")
    tableau.write_text(FIXED, encoding="utf-8")
    page.get_by_label("Fichier", exact=True).set_input_files(tableau)
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("status")).to_contain_text(
        "« tableau-comptabilite.csv » importé : 2 règles créées"
    )
    page.get_by_role("link", name="JR-01").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Règle JR-01 — Journal des rapprochements"
    )


def test_a_records_officer_places_a_hold_with_its_reason_then_lifts_it(
    page: Page, site: Site
) -> None:
    log_in(page, site, "referent")
    page.goto(site.url + f"/dossiers/{site.dossier}")
    page.get_by_role("link", name="Geler ce dossier").click()
    page.get_by_label("Motif du gel").fill("Recours contre la délibération")
    page.get_by_role("button", name="Geler le dossier").click()
    expect(page.get_by_role("status")).to_have_text("Dossier gelé : Recours contre la délibération")
    page.get_by_role("link", name="Gels").click()
    row = page.get_by_role("row").filter(has_text="Recours contre la délibération")
    expect(row).to_contain_text("Conseil municipal du 12 mars 2026")
    screenshot(page, "gels")
    row.get_by_label("Motif de la levée").fill("Recours rejeté")
    row.get_by_role("button", name="Lever le gel").click()
    expect(page.get_by_role("status")).to_have_text("Gel levé : Recours rejeté")
    expect(page.get_by_text("Aucun gel en cours.")).to_be_visible()


def test_a_records_officer_prepares_a_transfer_and_follows_it(page: Page, site: Site) -> None:
    log_in(page, site, "referent")
    page.get_by_role("link", name="Versements").click()
    page.get_by_role("link", name="Préparer un versement").click()
    expect(page.get_by_label("Conseil municipal du 2 février 2010")).to_be_checked()
    screenshot(page, "versement-preparation")
    page.get_by_role("button", name="Verser les dossiers cochés").click()
    expect(page.get_by_role("status")).to_have_text("Versement de 1 dossier : envoyé.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Versement GEDSAE-")
    expect(page.get_by_role("link", name="Conseil municipal du 2 février 2010")).to_be_visible()
    screenshot(page, "versement")
    page.get_by_role("link", name="Versements", exact=True).first.click()
    expect(page.get_by_role("cell", name="envoyé")).to_be_visible()


def test_a_records_officer_reads_an_elimination_proposal_and_its_slip(
    page: Page, site: Site
) -> None:
    log_in(page, site, "referent")
    page.get_by_role("link", name="Éliminations").click()
    page.get_by_role("link", name=f"Proposition {site.proposal}").click()
    expect(page.get_by_role("link", name="Courrier arrivé 2019")).to_be_visible()
    expect(
        page.get_by_text("Copies dont les originaux sont au service du courrier")
    ).to_be_visible()
    screenshot(page, "elimination")
    page.get_by_role("link", name="Bordereau à imprimer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bordereau d'élimination")
    screenshot(page, "bordereau-elimination")
    with page.expect_download() as download:
        page.get_by_role("link", name="version PDF").click()
    assert download.value.suggested_filename == f"bordereau-elimination-{site.proposal}.pdf"
