"""Elimination proposals in the web interface: what is due to be destroyed, proposing, the
proposal's page and its bordereau d'élimination as a printable page and as a PDF (volumes,
French dates and sizes, the justification of every derogation); records officers act, agents
are refused, another organisation's proposal is the 404 page."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from ged.domain.lifecycle import BindingTarget
from ged.services import eliminations, filing, lifecycle, rules
from tests.fixtures.web import Web, form_token
from tests.fixtures.web_data import Archive, build_archive, neighbour, people

JUSTIFICATION = "Copies de courriers dont l'original est au service « courrier »"


def archive(web: Web) -> Archive:
    built = build_archive(web)
    people(web)
    return built


def with_derogation(web: Web) -> str:
    """A closed dossier under no plan rule, bound to AG-08 (destroy) by a justified derogation."""
    ctx, admin = web.ged.ctx, web.ged.admin
    dossier = web.dossier("Copies de courriers 2021", opened_on=date(2021, 1, 4))
    web.document(dossier, "copie.txt", b"copie" * 300)
    rules.bind_rule(ctx, admin, BindingTarget.DOSSIER, dossier, "AG-08", JUSTIFICATION)
    filing.close_dossier(ctx, admin, dossier, date(2021, 6, 30))
    lifecycle.run_lifecycle(ctx, admin)
    return dossier


def proposed(web: Web) -> str:
    return eliminations.propose_eliminations(web.ged.ctx, web.ged.admin).proposal.id


def test_the_list_shows_what_is_due_to_be_destroyed_and_proposing_opens_the_proposal(
    web: Web,
) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    page = browser.get("/eliminations").text
    assert f'<a href="/dossiers/{found.courrier}">Courrier arrivé 2020</a>' in page
    assert "AG-08, version 1" in page and "Séance du 12 mars 2020" not in page  # held, kept
    token = form_token(browser, "/eliminations")
    answer = browser.post("/eliminations", data={"csrf_token": token, "au": ""})
    assert answer.status_code == 303
    made = eliminations.list_proposals(web.ged.ctx, web.ged.admin)
    assert answer.headers["location"] == f"/eliminations/{made[0].id}"
    shown = browser.get(answer.headers["location"]).text
    assert "Proposition d&#39;élimination de 1 dossier créée." in shown
    assert f'<a href="/dossiers/{found.courrier}">Courrier arrivé 2020</a>' in shown
    assert "<td>du 2 janvier 2020 au 31 décembre 2020</td>" in shown
    assert "<td>1 document, 1 version, 21 octets</td>" in shown
    assert "<dd>en attente de visa</dd>" in shown
    assert f'href="/eliminations/{made[0].id}/bordereau.pdf"' in shown
    assert "Proposition " + made[0].id in browser.get("/eliminations").text


def test_the_printable_slip_lists_volumes_rules_and_the_justification_of_each_derogation(
    web: Web,
) -> None:
    archive(web)
    with_derogation(web)
    proposal = proposed(web)
    page = web.logged_in("referent").get(f"/eliminations/{proposal}/bordereau")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Bordereau d'élimination</h1>" in html
    assert "AG-08, version 1 — Courrier arrivé (copies et accusés de réception) (2 ans, " in html
    assert "<td>1 document, 1 version, 1,5 Ko</td>" in html
    assert "<dd>2 documents, 2 versions, 1,5 Ko</dd>" in html
    assert "Copies de courriers dont l&#39;original est au service « courrier »" in html
    assert "Visa de l&#39;archiviste (Code du patrimoine, art. R212-14)" in html
    assert 'href="/dossiers/' not in html.split("<main")[1]


def test_the_pdf_slip_carries_the_same_volumes_french_dates_and_justifications(
    web: Web,
) -> None:
    archive(web)
    with_derogation(web)
    proposal = proposed(web)
    answer = web.logged_in("referent").get(f"/eliminations/{proposal}/bordereau.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert (
        answer.headers["content-disposition"]
        == f'attachment; filename="bordereau-elimination-{proposal}.pdf"'
    )
    reader = PdfReader(io.BytesIO(answer.content))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert reader.metadata is not None and reader.metadata.title == (
        f"Bordereau d'élimination {proposal}"
    )
    for expected in (
        "Bordereau d'élimination",
        "Courrier arrivé 2020",
        "du 2 janvier 2020 au 31 décembre 2020",
        "1 document, 1 version, 21 octets",
        "2 documents, 2 versions, 1,5 Ko",
        "en attente de visa",
        "Copies de courriers dont l'original est au service « courrier »",
        "Visa de l'archiviste",
    ):
        assert expected in text, expected


def test_an_archivist_is_led_to_the_visa_and_a_records_officer_is_not(web: Web) -> None:
    archive(web)
    proposal = proposed(web)
    link = f'href="/visas/{proposal}"'
    assert link in web.logged_in("archiviste").get(f"/eliminations/{proposal}").text
    assert link not in web.logged_in("referent").get(f"/eliminations/{proposal}").text


def test_a_proposal_on_a_day_to_come_is_refused_next_to_its_date_and_nothing_is_proposed(
    web: Web,
) -> None:
    archive(web)
    browser = web.logged_in("referent")
    token = form_token(browser, "/eliminations")
    answer = browser.post("/eliminations", data={"csrf_token": token, "au": "2031-01-01"})
    assert answer.status_code == 422
    assert 'aria-describedby="aide-au erreur-au"' in answer.text
    assert 'id="erreur-au">' in answer.text
    assert eliminations.list_proposals(web.ged.ctx, web.ged.admin) == []


def test_with_nothing_due_proposing_says_so_in_french_and_makes_nothing(web: Web) -> None:
    archive(web)
    proposed(web)
    browser = web.logged_in("referent")
    assert "Aucun dossier échu à détruire" in browser.get("/eliminations").text
    token = form_token(browser, "/eliminations")
    answer = browser.post("/eliminations", data={"csrf_token": token, "au": ""})
    assert answer.status_code == 409
    assert "Aucun dossier échu à détruire qui ne soit gelé ou déjà proposé" in answer.text
    assert len(eliminations.list_proposals(web.ged.ctx, web.ged.admin)) == 1


def test_an_agent_can_neither_see_nor_propose_eliminations(web: Web) -> None:
    archive(web)
    proposal = proposed(web)
    browser = web.logged_in("agent")
    for page in (
        "/eliminations",
        f"/eliminations/{proposal}",
        f"/eliminations/{proposal}/bordereau",
    ):
        answer = browser.get(page)
        assert answer.status_code == 403 and "<h1>Accès refusé</h1>" in answer.text, page
    assert browser.get(f"/eliminations/{proposal}/bordereau.pdf").status_code == 403
    assert 'href="/eliminations"' not in browser.get("/").text
    token = form_token(browser, "/")
    assert browser.post("/eliminations", data={"csrf_token": token}).status_code == 403
    assert len(eliminations.list_proposals(web.ged.ctx, web.ged.admin)) == 1


def test_another_organisations_proposal_and_its_slips_are_the_404_page(web: Web) -> None:
    archive(web)
    proposal = proposed(web)
    neighbour(web)
    browser = web.logged_in("voisin")
    assert f"Proposition {proposal}" not in browser.get("/eliminations").text
    for page in ("", "/bordereau", "/bordereau.pdf"):
        answer = browser.get(f"/eliminations/{proposal}{page}")
        assert answer.status_code == 404 and "Courrier arrivé" not in answer.text, page


def test_the_proposal_form_refuses_a_missing_csrf_token(web: Web) -> None:
    archive(web)
    answer = web.logged_in("referent").post("/eliminations", data={"au": ""})
    assert answer.status_code == 403
    assert eliminations.list_proposals(web.ged.ctx, web.ged.admin) == []
