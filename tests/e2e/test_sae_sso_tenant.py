"""Single sign-on into the tenant a repository's login page is for: the archival service gives
its people ``/connexion?locataire=FR_AD_29``; the provider returns to the repository's one
callback address, which comes back once more with the tenant so the whole callback runs for it.
The person lands on that tenant's pages; the same identity with no account in the default tenant
is refused there. Real processes: the repository and an OpenID Connect provider (oidc-provider,
npm), driven over HTTP as a browser would."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.fixtures.oidc import start_provider
from tests.fixtures.processes import SAE, Service, new_port, sae_cli
from tests.fixtures.seda_corpus import shared_path

ACCOUNTS = {
    "yann": {"email": "yann@finistere.example", "email_verified": True,
             "preferred_username": "yann"},
}  # fmt: skip


def sign_in(browser: httpx.Client, page: str) -> httpx.Response:
    start = browser.get(page)
    link = re.search(r'href="(/connexion/oidc\?[^"]+)"', start.text)
    assert link is not None, start.text
    form = browser.get(link.group(1).replace("&amp;", "&"))
    action = re.search(r'action="([^"]+)"', form.text)
    assert action is not None, form.text
    return browser.post(urljoin(str(form.url), action.group(1)), data={"login": "yann"})


def test_a_person_signs_in_to_the_tenant_the_login_page_is_for(tmp_path: Path) -> None:
    port, home = new_port(), tmp_path / "sae"
    env = {"GEDSAE_SAE_HOME": str(home)}
    provider = start_provider(
        tmp_path / "oidc.log", f"http://127.0.0.1:{port}/connexion/oidc/retour", ACCOUNTS
    )
    server = Service("sae", ("serve",), env, port, "/api/v1/sae/health", tmp_path / "sae.log", SAE)
    try:
        sae_cli(env, "init", "--organisation", "ARCH", "--port", str(port),
                "--schemas-from", str(shared_path("official")))  # fmt: skip
        with (home / "sae.toml").open("a", encoding="utf-8") as config:
            config.write(provider.config(tmp_path / "client-secret"))
        sae_cli(env, "tenants", "create", "FR_AD_29", "--name", "Archives du Finistère")
        sae_cli(env, "users", "create", "yann", "--tenant", "FR_AD_29", "--role", "archivist",
                "--no-password", "--email", "yann@finistere.example")  # fmt: skip
        server.start()
        with httpx.Client(base_url=server.base_url, follow_redirects=True, timeout=30) as browser:
            landed = sign_in(browser, "/connexion?locataire=FR_AD_29")
            assert landed.status_code == 200, landed.text
            assert "yann" in landed.text and "Se déconnecter" in landed.text
        with httpx.Client(base_url=server.base_url, follow_redirects=True, timeout=30) as browser:
            refused = sign_in(browser, "/connexion")  # the default tenant has no such person
            assert refused.status_code == 403
    finally:
        server.stop()
        provider.stop()
