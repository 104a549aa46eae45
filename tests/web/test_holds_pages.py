"""Holds (gels) in the web interface: placing one on a dossier with a reason, lifting it with a
reason, the list of holds; records officers act, agents are refused, another organisation's
hold or dossier is the 404 page."""

from __future__ import annotations

from ged.services import holds
from tests.fixtures.web import Web, form_token
from tests.fixtures.web_data import Archive, build_archive, neighbour, people


def archive(web: Web) -> Archive:
    built = build_archive(web)
    people(web)
    return built


def test_the_list_shows_each_active_hold_with_its_dossier_reason_and_a_lift_form(
    web: Web,
) -> None:
    found = archive(web)
    page = web.logged_in("referent").get("/gels").text
    assert f'<a href="/dossiers/{found.seance}">Séance du 12 mars 2020</a>' in page
    assert "Recours contentieux en cours" in page and "<td>15 janvier 2026</td>" in page
    assert "<td>sans fin</td>" in page
    assert 'action="/gels/' in page and "Lever le gel" in page


def test_a_records_officer_places_a_hold_with_a_reason_then_lifts_it_with_another(
    web: Web,
) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    dossier_page = browser.get(f"/dossiers/{found.courrier}").text
    assert f'href="/dossiers/{found.courrier}/gel">Geler ce dossier</a>' in dossier_page
    token = form_token(browser, f"/dossiers/{found.courrier}/gel")
    placed = browser.post(
        f"/dossiers/{found.courrier}/gel",
        data={"csrf_token": token, "motif": "Demande du juge", "jusqu_au": "", "regle": ""},
    )
    assert placed.status_code == 303 and placed.headers["location"] == f"/dossiers/{found.courrier}"
    assert "Dossier gelé : Demande du juge" in browser.get(placed.headers["location"]).text
    hold = holds.list_holds(web.ged.ctx, web.ged.admin, found.courrier)[0]
    assert hold.reason == "Demande du juge"
    token = form_token(browser, "/gels")
    lifted = browser.post(f"/gels/{hold.id}/levee", data={"csrf_token": token, "motif": "Non-lieu"})
    assert lifted.status_code == 303
    assert "Gel levé : Non-lieu" in browser.get("/gels").text
    assert holds.list_holds(web.ged.ctx, web.ged.admin, found.courrier) == []
    everything = browser.get("/gels?tous=1").text
    assert "levé le 15 janvier 2026 : Non-lieu" in everything


def test_a_hold_without_a_reason_is_refused_next_to_its_field_and_nothing_is_placed(
    web: Web,
) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    token = form_token(browser, f"/dossiers/{found.courrier}/gel")
    answer = browser.post(
        f"/dossiers/{found.courrier}/gel",
        data={"csrf_token": token, "motif": " ", "jusqu_au": "2025-01-01"},
    )
    assert answer.status_code == 422
    assert 'id="erreur-motif">Gel : un motif est obligatoire</p>' in answer.text
    assert holds.list_holds(web.ged.ctx, web.ged.admin, found.courrier) == []


def test_an_end_before_the_start_is_refused_next_to_the_date(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    token = form_token(browser, f"/dossiers/{found.courrier}/gel")
    answer = browser.post(
        f"/dossiers/{found.courrier}/gel",
        data={"csrf_token": token, "motif": "Enquête", "jusqu_au": "2025-01-01"},
    )
    assert answer.status_code == 422
    assert 'id="erreur-jusqu_au">La fin du gel précède son début</p>' in answer.text


def test_a_lift_without_a_reason_is_refused_next_to_that_hold(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    hold = holds.list_holds(web.ged.ctx, web.ged.admin, found.seance)[0]
    token = form_token(browser, "/gels")
    answer = browser.post(f"/gels/{hold.id}/levee", data={"csrf_token": token, "motif": ""})
    assert answer.status_code == 422
    assert f'id="erreur-motif-{hold.id}">Levée de gel : un motif est obligatoire</p>' in answer.text
    assert holds.list_holds(web.ged.ctx, web.ged.admin, found.seance) == [hold]


def test_an_agent_can_neither_see_the_holds_nor_place_one(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("agent")
    assert browser.get("/gels").status_code == 403
    assert browser.get(f"/dossiers/{found.seance}/gel").status_code == 403
    assert "Geler ce dossier" not in browser.get(f"/dossiers/{found.seance}").text
    token = form_token(browser, f"/dossiers/{found.seance}")
    answer = browser.post(
        f"/dossiers/{found.seance}/gel", data={"csrf_token": token, "motif": "non"}
    )
    assert answer.status_code == 403 and "<h1>Accès refusé</h1>" in answer.text


def test_another_organisations_hold_and_dossier_are_the_404_page(web: Web) -> None:
    found = archive(web)
    neighbour(web)
    browser = web.logged_in("voisin")
    hold = holds.list_holds(web.ged.ctx, web.ged.admin, found.seance)[0]
    assert "Séance" not in browser.get("/gels").text
    assert browser.get(f"/dossiers/{found.seance}/gel").status_code == 404
    token = form_token(browser, "/gels")
    answers = [
        browser.post(f"/gels/{hold.id}/levee", data={"csrf_token": token, "motif": "x"}),
        browser.post(f"/dossiers/{found.seance}/gel", data={"csrf_token": token, "motif": "x"}),
    ]
    assert [a.status_code for a in answers] == [404, 404]
    assert holds.list_holds(web.ged.ctx, web.ged.admin, found.seance) == [hold]


def test_the_hold_forms_refuse_a_missing_csrf_token(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    hold = holds.list_holds(web.ged.ctx, web.ged.admin, found.seance)[0]
    answers = [
        browser.post(f"/gels/{hold.id}/levee", data={"motif": "x"}),
        browser.post(f"/dossiers/{found.courrier}/gel", data={"motif": "x"}),
    ]
    assert [a.status_code for a in answers] == [403, 403]
    assert holds.list_holds(web.ged.ctx, web.ged.admin, found.seance) == [hold]
    assert holds.list_holds(web.ged.ctx, web.ged.admin, found.courrier) == []
