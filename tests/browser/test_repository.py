"""The archivist's journey in the real browser, across two real processes: the GED
(``gedsae serve``) transfers two dossiers through its ``sae_http`` connector to the repository
(``gedsae-sae serve``); an archivist logs into the repository's pages, opens the review screen,
sees the files and the checks, accepts one and refuses the other with a reason; the GED's
scheduler collects both replies: the accepted dossier is shown as permanent on the GED's dossier
page, the refusal's reason is on the GED's transfer. The repository's pages pass axe-core."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import severe_violations
from tests.e2e.test_two_processes import (
    file_due_dossiers,
    final_state,
    setup_pair,
    start_transfer,
    wait_for,
)
from tests.fixtures.processes import Service, gedsae_cli, sae_cli
from tests.fixtures.web import PASSWORD


def log_in(page: Page, url: str, login: str, landing: str) -> None:
    page.goto(url + "/connexion")
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(url + landing)


def queue_when_checked(page: Page, url: str, *mids: str) -> None:
    """The queue, reloaded until the transfers' checks are done (they run after reception)."""

    def listed() -> bool:
        page.goto(url + "/versements")
        return all(page.get_by_role("link", name=mid).count() == 1 for mid in mids)

    wait_for(listed, f"{', '.join(mids)} dans la file des versements")


def test_an_archivist_accepts_and_refuses_in_the_browser_and_the_ged_follows(
    page: Page, tmp_path: Path, services: list[Service]
) -> None:
    pair = setup_pair(tmp_path, services)
    password = tmp_path / "password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    sae_cli(pair.sae_env, "users", "create", "alice", "--role", "archivist",
            "--password-file", str(password))  # fmt: skip
    kept, refused = file_due_dossiers(
        pair, ["Tables décennales 2001-2010", "Tables annuelles 2010"]
    )
    gedsae_cli(pair.ged_env, "users", "create", "marie", "--role", "records_officer",
               "--service", "SERVICE-A", "--password-file", str(password))  # fmt: skip
    ged = httpx.Client(base_url=pair.ged.base_url, headers=pair.admin, timeout=60)
    with ged:
        accepted_mid, refused_mid = start_transfer(ged, kept), start_transfer(ged, refused)
        sae_url = pair.sae.base_url
        log_in(page, sae_url, "alice", "/versements")
        queue_when_checked(page, sae_url, accepted_mid, refused_mid)
        screenshot(page, "depot-versements")
        page.get_by_role("link", name=accepted_mid).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Versement {accepted_mid}")
        # the manifest's signature (not the documents' « Vérification de signature » row)
        expect(page.get_by_role("row", name=re.compile(r"^Signature\b"))).to_contain_text(
            "conforme"
        )
        expect(page.get_by_role("row", name="Empreintes et tailles")).to_contain_text("conforme")
        expect(page.get_by_role("heading", name="Fichiers")).to_be_visible()
        screenshot(page, "depot-controle")
        assert severe_violations(page) == []
        page.get_by_role("button", name="Accepter le versement").click()
        expect(page.get_by_role("status")).to_contain_text(f"Versement {accepted_mid} accepté")

        page.get_by_role("link", name=refused_mid).click()
        page.get_by_label("Motif du refus").fill("Dates extrêmes absentes du bordereau")
        page.get_by_role("button", name="Refuser le versement").click()
        expect(page.get_by_role("status")).to_contain_text(f"Versement {refused_mid} refusé")
        for path in ("/versements", "/archives", "/archives?q=tables", "/journal"):
            page.goto(sae_url + path)
            assert severe_violations(page) == [], path

        wait_for(final_state(ged, accepted_mid), "réponse positive collectée par la GED")
        rejected = wait_for(final_state(ged, refused_mid), "réponse négative collectée")
        assert any("Dates extrêmes absentes" in r for r in rejected["reasons"])
    page.context.clear_cookies()
    log_in(page, pair.ged.base_url, "marie", "/")
    page.goto(f"{pair.ged.base_url}/dossiers/{kept}")
    expect(page.get_by_text("versé (archives définitives)")).to_be_visible()
