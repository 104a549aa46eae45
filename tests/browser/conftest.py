"""The browser suite: Python Playwright driving Debian's chromium (``executable_path``; never a
browser downloaded by ``playwright install``), headless, with an empty profile, against a real
``gedsae serve`` process and a real OpenID Connect provider.

One site for the whole suite (starting it is most of the time): a collectivity with a plan, a
dossier under a rule of its tableau de gestion, documents (text, PDF, image), an agent with a
password and an agent who logs in through the provider. Set ``GEDSAE_SCREENSHOTS=docs/
screenshots`` to (re)write the screenshots shown in the README.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect, sync_playwright

from tests.fixtures.hostile_pdfs import text_pdf
from tests.fixtures.oidc import OidcProvider, start_provider
from tests.fixtures.processes import (
    ORGANISATION,
    GedServer,
    Service,
    gedsae_cli,
    new_port,
    start_ged,
)
from tests.fixtures.web import PASSWORD
from tests.fixtures.web_data import TABLEAU, tiny_png

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SSO_ACCOUNTS = {
    "claire": {
        "email": "claire@mairie.example",
        "email_verified": True,
        "preferred_username": "claire",
    }
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are marked, and run last: Playwright's synchronous driver keeps an event
    loop running in the main thread while it is started (``playwright`` below, per module), where
    ``asyncio.run`` (pyHanko's synchronous validation, among others) would refuse to start."""
    browser = [item for item in items if "tests/browser/" in str(item.fspath)]
    for item in browser:
        item.add_marker(pytest.mark.browser)
    items[:] = [item for item in items if item not in browser] + browser


@dataclass
class Site:
    ged: GedServer
    provider: OidcProvider
    dossier: str = ""
    node: str = ""
    service: str = ""
    courrier_node: str = ""  # under AG-08: two years after closing, then destroyed
    documents: dict[str, str] = field(default_factory=dict)
    due: str = ""  # a sitting of 2010, due and to keep: it leaves by the transfer journey
    proposal: str = ""  # an elimination proposal of the 2019 mail, its DUA over

    @property
    def url(self) -> str:
        return self.ged.base_url


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp, started = tmp_path_factory.mktemp("site"), list[Service]()
    port = new_port()
    provider = start_provider(
        tmp / "oidc.log", f"http://127.0.0.1:{port}/connexion/oidc/retour", SSO_ACCOUNTS
    )
    try:
        config = provider.config(tmp / "client-secret") + transfer_config(tmp)
        ged = start_ged(tmp, started, config, port=port)
        yield populate(Site(ged, provider), tmp)
    finally:
        for service in started:
            service.stop()
        provider.stop()


def populate(site: Site, tmp: Path) -> Site:
    env = site.ged.env
    service = gedsae_cli(
        env, "services", "create", "Direction de l'administration générale", "FR_DAG"
    ).strip()
    gedsae_cli(env, "rules", "import", str(TABLEAU))
    password = tmp / "password"
    password.write_text(PASSWORD + "\n", encoding="utf-8")
    roles = {
        "agent": "agent",
        "referent": "records_officer",
        "archiviste": "archivist",
        "archiviste2": "archivist",
        "gestion": "admin",
    }
    for login, role in roles.items():
        gedsae_cli(
            env,
            "users",
            "create",
            login,
            "--role",
            role,
            "--service",
            "FR_DAG",
            "--password-file",
            str(password),
        )
    gedsae_cli(
        env,
        "users",
        "create",
        "claire",
        "--role",
        "agent",
        "--service",
        "FR_DAG",
        "--email",
        "claire@mairie.example",
        "--no-password",
    )
    with site.ged.client() as api:
        root = api.post(
            "/api/v1/plan", json={"code": "1", "label": "Administration générale"}
        ).json()["id"]
        node = api.post(
            "/api/v1/plan",
            json={"code": "1.1", "label": "Assemblée délibérante", "parent_id": root},
        ).json()["id"]
        courrier = api.post(
            "/api/v1/plan", json={"code": "1.2", "label": "Courrier", "parent_id": root}
        ).json()["id"]
        api.put(
            "/api/v1/bindings",
            json={"target": "plan_node", "target_id": courrier, "rule_id": "AG-08"},
        ).raise_for_status()
        api.put(
            "/api/v1/bindings", json={"target": "plan_node", "target_id": node, "rule_id": "AG-01"}
        ).raise_for_status()
        dossier = api.post(
            "/api/v1/dossiers",
            json={
                "service_id": service,
                "title": "Conseil municipal du 12 mars 2026",
                "plan_node_id": node,
                "reference": "CM-2026-03",
            },
        ).json()["id"]
        api.post(
            f"/api/v1/dossiers/{dossier}/events",
            json={"name": "date de la séance", "on": "2026-03-12"},
        ).raise_for_status()
        site.documents = {
            "note": upload(
                api,
                dossier,
                "ordre-du-jour.txt",
                "Ordre du jour : vote du budget primitif et de la subvention au comité des fêtes.".encode(),
            ),
            "pdf": upload(
                api,
                dossier,
                "deliberation.pdf",
                text_pdf(["Délibération n° 2026-014", "Budget primitif 2026"]),
            ),
            "image": upload(api, dossier, "plan-de-la-salle.png", tiny_png()),
        }
    site.dossier, site.node = dossier, node
    site.service, site.courrier_node = service, courrier
    with site.ged.client() as api:
        site.due = closed_dossier(api, service, node, "Conseil municipal du 2 février 2010")
        api.post(
            f"/api/v1/dossiers/{site.due}/events",
            json={"name": "date de la séance", "on": "2010-02-02"},
        ).raise_for_status()
        mail = closed_dossier(api, service, None, "Courrier arrivé 2019")
        api.put(
            "/api/v1/bindings",
            json={
                "target": "dossier",
                "target_id": mail,
                "rule_id": "AG-08",
                "justification": "Copies dont les originaux sont au service du courrier",
            },
        ).raise_for_status()
        gedsae_cli(env, "lifecycle", "run")
        site.proposal = api.post("/api/v1/eliminations", json={}).json()["id"]
    return site


def due_courrier(site: Site, title: str) -> str:
    """A dossier of letters closed at the end of 2020 under AG-08: due for destruction."""
    with site.ged.client() as api:
        made = api.post(
            "/api/v1/dossiers",
            json={
                "service_id": site.service,
                "title": title,
                "plan_node_id": site.courrier_node,
                "opened_on": "2020-01-02",
            },
        )
        dossier = str(made.json()["id"])
        upload(api, dossier, "lettre.txt", "Demande de subvention du comité des fêtes.".encode())
        closing = api.post(f"/api/v1/dossiers/{dossier}/close", json={"closed_on": "2020-12-31"})
        closing.raise_for_status()
    return dossier


def propose(site: Site, login: str, dossier: str) -> str:
    """``login`` proposes the dossier for elimination, from the command line."""
    found = gedsae_cli(site.ged.env, "eliminations", "propose", "--as", login, "--dossier", dossier)
    return found.strip().splitlines()[0]


def closed_dossier(api: httpx.Client, service: str, node: str | None, title: str) -> str:
    """A dossier of ``title``'s year, with one document, closed at the end of that year."""
    year = title[-4:]
    dossier = api.post(
        "/api/v1/dossiers",
        json={
            "service_id": service,
            "title": title,
            "plan_node_id": node,
            "opened_on": f"{year}-01-04",
        },
    ).json()["id"]
    upload(api, dossier, "piece.txt", f"{title} : pièce unique".encode())
    api.post(
        f"/api/v1/dossiers/{dossier}/close", json={"closed_on": f"{year}-12-31"}
    ).raise_for_status()
    return str(dossier)


def transfer_config(tmp: Path) -> str:
    """One agreement of the organisation, through a drop folder the repository would watch."""
    outbox, replies = tmp / "depot" / "sortie", tmp / "depot" / "reponses"
    outbox.mkdir(parents=True)
    replies.mkdir()
    return (
        f'\n[connectors.depot]\nkind = "drop_folder"\noutbox_dir = "{outbox}"\n'
        f'replies_dir = "{replies}"\n'
        f'\n[agreements.ad35]\norganisation = "{ORGANISATION}"\nconnector = "depot"\n'
        'seda_version = "2.2"\narchival_agency = "FR_AD_35"\ntransferring_agency = "FR_DAG"\n'
        "sign_package = false\n"
    )


def upload(api: httpx.Client, dossier: str, name: str, body: bytes) -> str:
    answer = api.post(
        f"/api/v1/dossiers/{dossier}/documents",
        params={"filename": name},
        content=io.BytesIO(body).read(),
        headers={"Content-Type": "application/octet-stream"},
    )
    answer.raise_for_status()
    return str(answer.json()["id"])


# A deadline, not a timing: what a page shows after uploads or a server's work may take longer
# than Playwright's 5 s on a loaded machine (or under scripts/test-faketime's preload).
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Per module, not per session: under pytest-xdist's work stealing a worker may run another
    module's tests between browser tests, and pytest ends a module's fixtures before moving on
    to the next module, so the driver's event loop never outlives a browser module."""
    with sync_playwright() as driver:
        yield driver


def browser_env() -> dict[str, str | float | bool]:
    """The browser's environment without ``scripts/test-faketime``'s preload: the calendar moved
    is the servers' (what the suite proves independent of the date); chromium under libfaketime
    never finishes loading a page."""
    moved = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC")
    return {k: v for k, v in os.environ.items() if k not in moved}


@pytest.fixture
def browser(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh chromium with an empty profile: nobody logged in, nothing cached."""
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "profile",
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        locale="fr-FR",
        viewport={"width": 1280, "height": 900},
        env=browser_env(),
    )
    yield context
    context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Page:
    return browser.pages[0] if browser.pages else browser.new_page()


def log_in(page: Page, site: Site, login: str = "agent") -> None:
    page.goto(site.url + "/connexion")
    page.get_by_label("Identifiant").fill(login)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(site.url + "/")


def screenshot(page: Page, name: str) -> None:
    """Saves the screen for the README when GEDSAE_SCREENSHOTS names a folder."""
    folder = os.environ.get("GEDSAE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)
