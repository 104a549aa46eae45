"""The application tokens through the test client: a client and its first token shown once
(never stored by the browser, never shown again, accepted by the API), another token with an
expiry, a revocation refused by the API from the next request on; the administrator's only."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ged.domain.model import Role
from tests.fixtures.web import Web, form_token

TOKENS = "/administration/jetons"
SHOWN = re.compile(r'<code class="jeton">([^<]+)</code>')
REVOKE = re.compile(r'jetons/([^/"]+)/revoquer">[^»]*« initial » de parapheur</button>', re.S)


def administrator(web: Web) -> TestClient:
    web.person("gestion", Role.ADMIN)
    return web.logged_in("gestion")


def create_client(browser: TestClient, web: Web, **fields: object) -> str:
    """A new application client « parapheur »; its first token, as the page shows it."""
    form = {"csrf_token": form_token(browser, TOKENS), "name": "parapheur"}
    form |= {"services": [web.ged.service.id], **fields}
    answer = browser.post(TOKENS, data=form)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    found = SHOWN.search(answer.text)
    assert found is not None
    return found.group(1)


def api_status(browser: TestClient, token: str) -> int:
    return browser.get("/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_new_client_gets_its_first_token_shown_once_and_the_api_takes_it(web: Web) -> None:
    browser = administrator(web)
    token = create_client(browser, web)
    assert api_status(browser, token) == 200
    page = browser.get(TOKENS).text
    assert token not in page and "<td>parapheur</td>" in page
    assert "<td>valide</td>" in page and "<td>jamais</td>" in page
    assert '<option value="' in page  # the client is offered another token


def test_another_token_with_an_expiry_ends_that_day_in_paris(web: Web) -> None:
    browser = administrator(web)
    create_client(browser, web)
    client_id = re.findall(r'<option value="([^"]+)">parapheur</option>', browser.get(TOKENS).text)
    form = {
        "csrf_token": form_token(browser, TOKENS),
        "application_id": client_id[0],
        "token_label": "serveur de secours",
        "token_expires": "2026-01-31",
    }
    answer = browser.post(f"{TOKENS}/nouveau", data=form)
    assert answer.status_code == 200, answer.text
    assert "Valable jusqu'au 31 janvier 2026 à 23 h 59." in answer.text
    found = SHOWN.search(answer.text)
    assert found is not None and api_status(browser, found.group(1)) == 200
    web.ged.clock.advance(days=30)  # the fixed clock starts mid-January 2026
    assert api_status(browser, found.group(1)) == 401
    assert "<td>expiré</td>" in web.logged_in("gestion").get(TOKENS).text


def test_wrong_token_forms_show_each_error_beside_its_field(web: Web) -> None:
    browser = administrator(web)
    token = form_token(browser, TOKENS)
    answer = browser.post(TOKENS, data={"csrf_token": token, "name": "", "expires_at": "demain"})
    assert answer.status_code == 422
    assert 'id="erreur-expires_at">Date attendue sous la forme AAAA-MM-JJ' in answer.text
    answer = browser.post(TOKENS, data={"csrf_token": token, "name": " "})
    assert 'id="erreur-name">Nom du client applicatif : de 1 à 200 caractères' in answer.text
    form = {"csrf_token": token, "name": "parapheur", "expires_at": "2020-01-01"}
    answer = browser.post(TOKENS, data=form)
    assert answer.status_code == 422 and 'id="erreur-expires_at"' in answer.text
    assert not SHOWN.search(answer.text) and "<td>parapheur</td>" not in answer.text
    create_client(browser, web)
    answer = browser.post(TOKENS, data={"csrf_token": token, "name": "parapheur"})
    assert answer.status_code == 409
    assert 'id="erreur-name">« parapheur » existe déjà dans cette organisation' in answer.text
    client_id = re.findall(r'<option value="([^"]+)">parapheur</option>', answer.text)[0]
    form = {"csrf_token": token, "application_id": client_id, "token_expires": "2020-01-01"}
    answer = browser.post(f"{TOKENS}/nouveau", data=form)
    assert answer.status_code == 422
    assert 'id="erreur-token_label">Libellé du jeton : de 1 à 200 caractères' in answer.text
    form |= {"token_label": "secours"}
    answer = browser.post(f"{TOKENS}/nouveau", data=form)
    assert answer.status_code == 422 and 'id="erreur-token_expires"' in answer.text
    assert not SHOWN.search(answer.text)


def test_a_revoked_token_is_refused_by_the_api_from_the_next_request(web: Web) -> None:
    browser = administrator(web)
    token = create_client(browser, web)
    [token_id] = REVOKE.findall(browser.get(TOKENS).text)
    form = {"csrf_token": form_token(browser, TOKENS)}
    answer = browser.post(f"{TOKENS}/{token_id}/revoquer", data=form)
    assert answer.status_code == 303
    page = browser.get(TOKENS).text
    assert "Jeton révoqué : il est refusé dès la requête suivante." in page
    assert "<td>révoqué le" in page
    assert api_status(browser, token) == 401
    again = browser.post(f"{TOKENS}/{token_id}/revoquer", data=form)
    assert again.status_code == 409 and "déjà révoqué" in again.text


@pytest.mark.parametrize("role", [Role.AGENT, Role.RECORDS_OFFICER, Role.ARCHIVIST])
def test_the_token_pages_are_the_administrators_only(web: Web, role: Role) -> None:
    web.person("marie", role)
    browser = web.logged_in("marie")
    assert browser.get(TOKENS).status_code == 403
    token = form_token(browser, "/")
    answer = browser.post(TOKENS, data={"csrf_token": token, "name": "parapheur"})
    assert answer.status_code == 403
    assert "Action réservée au rôle : administrateur" in answer.text


def test_another_organisations_token_or_client_is_the_same_404_page_as_a_missing_one(
    web: Web,
) -> None:
    browser = administrator(web)
    other_admin, _, _ = web.ged.other_organisation()
    with web.ged.ctx.uow() as uow:
        foreign = uow.access.tokens_of_organisation(other_admin.organisation_id)[0][0]
    assert foreign.id not in browser.get(TOKENS).text
    form = {"csrf_token": form_token(browser, TOKENS)}
    missing = browser.post(f"{TOKENS}/{'0' * 32}/revoquer", data=form)
    other = browser.post(f"{TOKENS}/{foreign.id}/revoquer", data=form)
    assert missing.status_code == other.status_code == 404
    issue = {**form, "application_id": other_admin.id, "token_label": "vol"}
    assert browser.post(f"{TOKENS}/nouveau", data=issue).status_code == 404
