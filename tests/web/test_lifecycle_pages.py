"""The lifecycle screen: the 24-month forecast as an accessible server-drawn chart with its
data table, and a pass of the engine, simulated on any day then recorded for today (a day to
come is refused)."""

from __future__ import annotations

from datetime import date

from ged.domain.lifecycle import BindingTarget, Phase
from ged.services import filing, lifecycle, rules
from tests.fixtures.web import Web, form_token
from tests.fixtures.web_data import Archive, build_archive, neighbour, people


def archive(web: Web) -> Archive:
    built = build_archive(web)
    people(web)
    return built


def test_the_forecast_is_an_accessible_chart_with_its_data_table(web: Web) -> None:
    archive(web)
    dossier = web.dossier("Séance du 1er juin 2016", opened_on=date(2016, 1, 2))
    lifecycle.record_event(
        web.ged.ctx, web.ged.admin, dossier, "date de la séance", date(2016, 6, 1)
    )
    rules.bind_rule(
        web.ged.ctx, web.ged.admin, BindingTarget.DOSSIER, dossier, "AG-01", "séance ancienne"
    )
    filing.close_dossier(web.ged.ctx, web.ged.admin, dossier, date(2016, 6, 30))
    page = web.logged_in("referent").get("/cycle-de-vie")
    assert page.status_code == 200
    html = page.text
    assert 'role="img"' in html and 'aria-labelledby="graphique-titre graphique-desc"' in html
    assert "<title>juin 2026 : 1 dossier, conservation définitive</title>" in html
    assert (
        "1 dossier arrive à échéance dans les 24 prochains mois : 1 dossier en conservation" in html
    )
    assert '<th scope="row">juin 2026</th><td>Direction des finances</td><td>1</td>' in html
    assert "<script" not in html.split("</head>")[1]


def test_a_service_can_be_chosen_and_another_organisations_service_is_not_found(
    web: Web,
) -> None:
    archive(web)
    browser = web.logged_in("referent")
    page = browser.get(f"/cycle-de-vie?service={web.ged.other_service.id}")
    assert page.status_code == 200 and "pour le service Ressources humaines" in page.text
    neighbour(web)
    assert (
        web.logged_in("voisin").get(f"/cycle-de-vie?service={web.ged.service.id}").status_code
        == 404
    )


def test_a_simulation_shows_what_would_change_on_a_day_to_come_and_writes_nothing(
    web: Web,
) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    page = browser.get("/cycle-de-vie/simulation?au=2031-01-01")
    assert page.status_code == 200
    assert (
        "Simulation au 1er janvier 2031" in page.text
        and "Rien n&#39;a été enregistré" not in page.text
    )
    assert "Rien n'a été enregistré." in page.text
    assert "Séance du 12 mars 2020" not in page.text  # held: a hold freezes its phase
    assert (
        "Cette date est à venir" in page.text and 'action="/cycle-de-vie/calcul"' not in page.text
    )
    state = lifecycle.dossier_lifecycle(web.ged.ctx, web.ged.admin, found.courrier).state
    assert state is not None and state.phase is Phase.DUE


def test_recording_a_pass_for_today_then_a_day_to_come_is_refused_beside_the_date(
    web: Web,
) -> None:
    archive(web)
    browser = web.logged_in("referent")
    token = form_token(browser, "/cycle-de-vie/simulation?au=2026-01-15")
    done = browser.post("/cycle-de-vie/calcul", data={"csrf_token": token, "au": "2026-01-15"})
    assert done.status_code == 303
    assert "Calcul au 15 janvier 2026 : 3 dossiers examinés" in browser.get("/cycle-de-vie").text
    refused = browser.post("/cycle-de-vie/calcul", data={"csrf_token": token, "au": "2031-01-01"})
    assert refused.status_code == 422
    assert 'id="erreur-au">La date de calcul (2031-01-01) est postérieure' in refused.text


def test_an_agent_is_refused_the_lifecycle_screen(web: Web) -> None:
    archive(web)
    browser = web.logged_in("agent")
    assert browser.get("/cycle-de-vie").status_code == 403
    assert browser.get("/cycle-de-vie/simulation?au=2026-01-15").status_code == 403
    token = form_token(browser, "/")
    answer = browser.post("/cycle-de-vie/calcul", data={"csrf_token": token, "au": ""})
    assert answer.status_code == 403


def test_the_pass_refuses_a_missing_csrf_token(web: Web) -> None:
    archive(web)
    answer = web.logged_in("referent").post("/cycle-de-vie/calcul", data={"au": ""})
    assert answer.status_code == 403
