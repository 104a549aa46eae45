"""Logging in through OpenID Connect against a real provider process (oidc-provider, npm),
driven over HTTP as a browser would: authorization code with PKCE, the provider's login form,
the callback, the session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urljoin

import httpx
import pytest

from tests.fixtures.oidc import OidcProvider, start_provider
from tests.fixtures.processes import GedServer, Service, gedsae_cli, new_port, start_ged

ACCOUNTS = {
    "marie": {
        "email": "marie@mairie.example",
        "email_verified": True,
        "preferred_username": "marie",
    },
    "intrus": {
        "email": "intrus@example.org",
        "email_verified": True,
        "preferred_username": "intrus",
    },
}


@pytest.fixture(scope="module")
def sso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GedServer, OidcProvider]]:
    """One provider and one GED for the module: starting them is most of each test's time."""
    tmp_path, started = tmp_path_factory.mktemp("sso"), list[Service]()
    port = new_port()
    callback = f"http://127.0.0.1:{port}/connexion/oidc/retour"
    provider = start_provider(tmp_path / "oidc.log", callback, ACCOUNTS)
    try:
        config = provider.config(tmp_path / "client-secret")
        ged = start_ged(tmp_path, started, config, port=port)
        create = ["users", "create", "marie", "--role", "agent", "--no-password"]
        gedsae_cli(ged.env, *create, "--email", "marie@mairie.example")
        yield ged, provider
    finally:
        for service in started:
            service.stop()
        provider.stop()


def sign_in_at_provider(browser: httpx.Client, login: str) -> httpx.Response:
    """From the GED's login button to the provider's form, then submit ``login``."""
    start = browser.get("/connexion")
    assert "Se connecter avec ProConnect" in start.text
    form = browser.get("/connexion/oidc")
    assert form.url.host == "127.0.0.1" and "Fournisseur d'identité de test" in form.text
    action = re.search(r'action="([^"]+)"', form.text)
    assert action is not None
    return browser.post(urljoin(str(form.url), action.group(1)), data={"login": login})


def test_a_person_logs_in_through_the_provider_and_lands_on_the_dashboard(
    sso: tuple[GedServer, OidcProvider],
) -> None:
    ged, _ = sso
    with httpx.Client(base_url=ged.base_url, follow_redirects=True, timeout=30) as browser:
        landed = sign_in_at_provider(browser, "marie")
        assert landed.url == httpx.URL(ged.base_url + "/")
        assert "<h1>Tableau de bord</h1>" in landed.text and "<strong>marie</strong>" in landed.text
        again = browser.get("/plan")  # the session holds
        assert again.status_code == 200 and again.url.path == "/plan"
    log = gedsae_cli(ged.env, "log", "verify")
    assert "Journal intègre" in log


def test_an_identity_without_an_account_is_refused_and_nothing_is_created(
    sso: tuple[GedServer, OidcProvider],
) -> None:
    ged, _ = sso
    with httpx.Client(base_url=ged.base_url, follow_redirects=True, timeout=30) as browser:
        refused = sign_in_at_provider(browser, "intrus")
        assert refused.status_code == 403
        assert "Aucun compte ne correspond à cette identité" in refused.text
        assert browser.get("/").url.path == "/connexion"
    listed = gedsae_cli(ged.env, "users", "list")
    assert "marie" in listed and "intrus" not in listed


def test_a_callback_that_was_not_asked_for_is_refused(sso: tuple[GedServer, OidcProvider]) -> None:
    ged, _ = sso
    with httpx.Client(base_url=ged.base_url, timeout=30) as browser:
        forged = browser.get("/connexion/oidc/retour", params={"code": "x", "state": "y"})
        assert forged.status_code == 403
        assert "La connexion a expiré ou n&#39;a pas été demandée ici" in forged.text
