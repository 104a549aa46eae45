"""The administrator's pages through the test client: the overview, the services (list,
create), the people with their roles (who granted each one, and when), a new account, a role
granted and taken back, an account disabled; each page the administrator's only, another
organisation's account the same 404 page as a missing one."""

from __future__ import annotations

import re

import pytest

from ged.domain.model import Role
from tests.fixtures.web import Web, form_token

PEOPLE = "/administration/comptes"


def administrator(web: Web) -> None:
    """« gestion », the organisation's administrator, and two people (agent and archivist)."""
    web.person("gestion", Role.ADMIN)
    web.person("agent", Role.AGENT, services=(web.ged.service,))
    web.person("archiviste", Role.ARCHIVIST)


def logged_actions(web: Web, action: str) -> list[dict[str, object]]:
    with web.ged.ctx.uow() as uow:
        return [e.details or {} for e in uow.iter_log() if e.action == action]


def test_the_menu_leads_the_administrator_to_the_overview(web: Web) -> None:
    administrator(web)
    browser = web.logged_in("gestion")
    assert '<a href="/administration">Administration</a>' in browser.get("/").text
    page = browser.get("/administration").text
    assert "<h1>Administration</h1>" in page
    assert '<a href="/administration/services">Services producteurs</a> : 2 services' in page
    assert '<a href="/administration/comptes">Comptes et rôles</a> : 3 comptes' in page


@pytest.mark.parametrize("login", ["agent", "archiviste"])
def test_the_administration_pages_are_the_administrators_only(web: Web, login: str) -> None:
    administrator(web)
    browser = web.logged_in(login)
    assert "/administration" not in browser.get("/").text
    for page in ("/administration", "/administration/services", PEOPLE, f"{PEOPLE}/agent"):
        answer = browser.get(page)
        assert answer.status_code == 403, page
        assert "Action réservée au rôle : administrateur" in answer.text, page


def test_the_administrator_creates_a_service(web: Web) -> None:
    administrator(web)
    browser = web.logged_in("gestion")
    token = form_token(browser, "/administration/services")
    form = {"csrf_token": token, "name": " Archives ", "seda_identifier": "FR_ARCH"}
    answer = browser.post("/administration/services", data=form)
    assert answer.status_code == 303
    page = browser.get(answer.headers["location"]).text
    assert "Service « Archives » créé (FR_ARCH)." in page
    assert "<tr><td>Archives</td><td>FR_ARCH</td></tr>" in page


def test_a_wrong_service_shows_each_error_beside_its_field_and_keeps_what_was_typed(
    web: Web,
) -> None:
    administrator(web)
    browser = web.logged_in("gestion")
    token = form_token(browser, "/administration/services")
    form = {"csrf_token": token, "name": "", "seda_identifier": "FR DF"}
    answer = browser.post("/administration/services", data=form)
    assert answer.status_code == 422
    assert 'id="erreur-name">Nom du service : de 1 à 200 caractères' in answer.text
    assert 'id="erreur-seda_identifier">Identifiant SEDA sans espace' in answer.text
    assert 'value="FR DF"' in answer.text
    existing = web.ged.service.seda_identifier
    form = {"csrf_token": token, "name": "Doublon", "seda_identifier": existing}
    answer = browser.post("/administration/services", data=form)
    assert answer.status_code == 409
    assert f"Un service a déjà l&#39;identifiant SEDA « {existing} »" in answer.text


def test_the_people_are_listed_with_their_roles_services_and_way_to_log_in(web: Web) -> None:
    administrator(web)
    page = web.logged_in("gestion").get(PEOPLE).text
    row = re.search(r'<a href="/administration/comptes/agent">agent</a>.*?</tr>', page, re.S)
    assert row is not None
    assert "<td>agent</td>" in row.group(0)  # the role, in French
    assert f"<td>{web.ged.service.name}</td>" in row.group(0)
    assert "<td>mot de passe</td>" in row.group(0) and "<td>actif</td>" in row.group(0)
    assert '<a href="/administration/comptes/archiviste">archiviste</a>' in page


def test_the_administrator_creates_an_account_for_single_sign_on(web: Web) -> None:
    administrator(web)
    browser = web.logged_in("gestion")
    token = form_token(browser, PEOPLE)
    form = {
        "csrf_token": token,
        "login": "claire",
        "email": "claire@mairie.example",
        "roles": ["records_officer", "archivist"],
        "services": [web.ged.service.id],
    }
    answer = browser.post(PEOPLE, data=form)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{PEOPLE}/claire"
    page = browser.get(f"{PEOPLE}/claire").text
    assert "Compte « claire » créé pour la connexion unique." in page
    assert "aucun : connexion unique seulement" in page
    assert "<td>archiviste</td>" in page and "<td>référent archives</td>" in page
    assert page.count("<td>gestion</td>") == 2  # who granted each role


def test_a_wrong_account_shows_each_error_beside_its_field(web: Web) -> None:
    administrator(web)
    browser = web.logged_in("gestion")
    token = form_token(browser, PEOPLE)
    form = {"csrf_token": token, "login": "a b", "password": "court", "password_again": "court"}
    answer = browser.post(PEOPLE, data=form)
    assert answer.status_code == 422
    for field in ("login", "roles", "password"):
        assert f'id="erreur-{field}"' in answer.text, field
    form = {"csrf_token": token, "login": "claire", "password": "un", "password_again": "deux"}
    answer = browser.post(PEOPLE, data={**form, "roles": ["agent"]})
    assert answer.status_code == 422
    assert 'id="erreur-password_again">Les deux mots de passe diffèrent' in answer.text
    answer = browser.post(PEOPLE, data={"csrf_token": token, "login": "ali", "roles": ["chef"]})
    assert answer.status_code == 422 and "valeur invalide" in answer.text
    assert browser.get(f"{PEOPLE}/ali").status_code == 404
    answer = browser.post(PEOPLE, data={"csrf_token": token, "login": "agent", "roles": ["agent"]})
    assert answer.status_code == 409
    assert 'id="erreur-login"' in answer.text


def test_a_role_granted_then_taken_back_is_logged_with_who_and_when(web: Web) -> None:
    administrator(web)
    browser = web.logged_in("gestion")
    token = form_token(browser, f"{PEOPLE}/agent")
    web.ged.clock.advance(minutes=5)
    answer = browser.post(f"{PEOPLE}/agent/roles", data={"csrf_token": token, "role": "archivist"})
    assert answer.status_code == 303
    page = browser.get(f"{PEOPLE}/agent").text
    assert "Rôle accordé." in page
    row = re.search(r"<td>archiviste</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", page)
    assert row is not None and row.group(1) == "gestion" and "2026" in row.group(2)
    answer = browser.post(f"{PEOPLE}/agent/roles/archivist/retirer", data={"csrf_token": token})
    assert answer.status_code == 303
    assert "<td>archiviste</td>" not in browser.get(f"{PEOPLE}/agent").text
    assert [d["role"] for d in logged_actions(web, "account.role_grant")] == ["archivist"]
    assert [d["role"] for d in logged_actions(web, "account.role_revoke")] == ["archivist"]


def test_a_refused_role_change_is_said_in_french_on_the_persons_page(web: Web) -> None:
    administrator(web)
    browser = web.logged_in("gestion")
    token = form_token(browser, f"{PEOPLE}/agent")
    answer = browser.post(f"{PEOPLE}/agent/roles/agent/retirer", data={"csrf_token": token})
    assert answer.status_code == 409
    alert = '<div class="alerte" role="alert"><p>« agent » n&#39;a pas d&#39;autre rôle'
    assert alert in answer.text
    answer = browser.post(f"{PEOPLE}/gestion/roles/admin/retirer", data={"csrf_token": token})
    assert answer.status_code == 409
    assert "pas retirer votre propre rôle d&#39;administrateur" in answer.text


def test_a_disabled_account_can_no_longer_be_used(web: Web) -> None:
    administrator(web)
    agent = web.logged_in("agent")
    browser = web.logged_in("gestion")
    token = form_token(browser, f"{PEOPLE}/agent")
    answer = browser.post(f"{PEOPLE}/agent/desactiver", data={"csrf_token": token})
    assert answer.status_code == 303
    page = browser.get(f"{PEOPLE}/agent").text
    assert "Compte désactivé : ses sessions sont fermées et ses jetons refusés." in page
    assert "<dt>État</dt><dd>désactivé le" in page
    assert "Désactiver le compte agent" not in page
    assert agent.get("/").status_code == 303  # back to the login page


def test_another_organisations_account_is_the_same_404_page_as_a_missing_one(web: Web) -> None:
    administrator(web)
    web.ged.other_organisation()
    browser = web.logged_in("gestion")
    missing = browser.get(f"{PEOPLE}/personne")
    foreign = browser.get(f"{PEOPLE}/admin2")
    assert missing.status_code == foreign.status_code == 404
    assert missing.text.replace("personne", "admin2") == foreign.text
    token = form_token(browser, PEOPLE)
    for action in ("desactiver", "roles"):
        data = {"csrf_token": token, "role": "agent"}
        assert browser.post(f"{PEOPLE}/admin2/{action}", data=data).status_code == 404
