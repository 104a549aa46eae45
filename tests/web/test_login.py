"""Logging in and out of the web interface: local accounts, the session cookie, the lock."""

from __future__ import annotations

import base64
import json

from ged.domain.model import Role
from ged.web.setup import WebSetup
from tests.fixtures.web import PASSWORD, Web, csrf_of, log_in


def test_a_visitor_is_sent_to_the_login_page_and_back_afterwards(web: Web) -> None:
    web.person("marie", Role.AGENT, services=(web.ged.service,))
    browser = web.browser()
    asked = browser.get("/plan")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/connexion?suivant=%2Fplan"
    answer = log_in(browser, "marie", PASSWORD, suivant="/plan")
    assert (answer.status_code, answer.headers["location"]) == (303, "/plan")
    assert browser.get("/plan").status_code == 200


def test_after_login_the_browser_never_leaves_for_another_site(web: Web) -> None:
    web.person("marie", Role.AGENT)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        answer = log_in(web.browser(), "marie", PASSWORD, suivant=target)
        assert answer.headers["location"] == "/"


def test_a_wrong_password_shows_the_form_again_with_the_reason_tied_to_the_fields(
    web: Web,
) -> None:
    web.person("marie", Role.AGENT)
    answer = log_in(web.browser(), "marie", "pas le bon mot de passe")
    assert answer.status_code == 401
    html = answer.text
    assert 'id="erreur-connexion"' in html and "Identifiant ou mot de passe incorrect" in html
    assert 'aria-describedby="erreur-connexion"' in html
    assert 'value="marie"' in html


def test_the_fifth_failure_locks_the_account_with_a_retry_after(web: Web) -> None:
    web.person("marie", Role.AGENT)
    browser = web.browser()
    answers = [log_in(browser, "marie", "pas le bon mot de passe") for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    locked = answers[-1]
    assert locked.headers["retry-after"] == str(15 * 60)
    assert "verrouillé pendant 15 min" in locked.text
    assert log_in(browser, "marie", PASSWORD).status_code == 429


def test_the_session_cookie_holds_only_a_random_id_and_is_http_only_and_lax(web: Web) -> None:
    web.person("marie", Role.AGENT)
    browser = web.browser()
    answer = log_in(browser, "marie", PASSWORD)
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("gedsae_session=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # served over http here
    payload = cookie.split("=", 1)[1].split(".", 1)[0]
    content = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert list(content) == ["sid"] and len(content["sid"]) >= 43


def test_cookies_are_secure_when_the_public_address_is_https(web: Web) -> None:
    web.setup = WebSetup(secret_key=b"k" * 32, public_url="https://ged.mairie.example")
    answer = web.browser().get("/connexion")
    assert "secure" in answer.headers["set-cookie"].lower()


def test_logging_in_replaces_the_anonymous_session_id(web: Web) -> None:
    web.person("marie", Role.AGENT)
    browser = web.browser()
    before = csrf_of(browser.get("/connexion").text)
    log_in(browser, "marie", PASSWORD)
    assert csrf_of(browser.get("/").text) != before


def test_after_logout_the_old_session_cookie_opens_nothing(web: Web) -> None:
    web.person("marie", Role.AGENT)
    browser = web.logged_in("marie")
    stolen = browser.cookies.get("gedsae_session")
    token = csrf_of(browser.get("/").text)
    out = browser.post("/deconnexion", data={"csrf_token": token})
    assert (out.status_code, out.headers["location"]) == (303, "/connexion?motif=deconnexion")
    assert "Vous êtes déconnecté(e)." in browser.get(out.headers["location"]).text
    replay = web.browser()
    replay.cookies.set("gedsae_session", stolen or "")
    assert replay.get("/").status_code == 303


def test_a_disabled_account_is_logged_out_at_its_next_request(web: Web) -> None:
    from ged.services.accounts import disable_account

    web.person("marie", Role.AGENT)
    browser = web.logged_in("marie")
    assert browser.get("/").status_code == 200
    disable_account(web.ged.ctx, web.ged.admin, "marie")
    answer = browser.get("/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/connexion")


def test_the_login_page_offers_single_sign_on_only_when_it_is_configured(web: Web) -> None:
    assert "Se connecter avec" not in web.browser().get("/connexion").text
