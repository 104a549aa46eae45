"""The organisation's archival agreements and the check of their connectors through the test
client, as ``gedsae connectors check`` does it: only the organisation's own agreements, a
usable drop folder, a connector refused by its configuration and an agreement its connector
cannot deliver, each said in French; the check is a form behind its CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from connectors.base import Connector
from connectors.config import ConnectorSettings, build
from ged.domain.model import Role
from ged.services.agreements import Agreement
from ged.services.transfer_setup import TransferSetup
from tests.fixtures.web import Web, form_token

AGREEMENTS = "/administration/accords"


def agreement(name: str, connector: str, organisation: str, **more: Any) -> Agreement:
    table = {
        "connector": connector,
        "seda_version": "2.2",
        "archival_agency": "FR_AD_35",
        "transferring_agency": "FR_DF",
        "organisation": organisation,
        **more,
    }
    return Agreement.from_table(name, table)


def configure(web: Web, tmp_path: Path) -> None:
    """A drop folder that works, a Vitam connector refused by its configuration (and an
    agreement asking it for a signature Vitam refuses), another organisation's agreement."""
    for folder in ("depot", "reponses", "autre"):
        (tmp_path / folder).mkdir()
    own = "Département de test"
    connectors: dict[str, dict[str, Any]] = {
        "depot": {"kind": "drop_folder", "outbox_dir": str(tmp_path / "depot"),
                  "replies_dir": str(tmp_path / "reponses")},
        "vitam": {"kind": "vitam", "verify": False},
        "secret": {"kind": "drop_folder", "outbox_dir": str(tmp_path / "autre"),
                   "replies_dir": str(tmp_path / "autre")},
    }  # fmt: skip
    agreements = [
        agreement("accord-depot", "depot", own, services=["FR_DF"], purge=True),
        agreement("accord-vitam", "vitam", own, archival_profile="PR-DELIB"),
        agreement("accord-voisin", "secret", "Autre collectivité"),
    ]

    def connector(name: str) -> Connector:
        return build(ConnectorSettings.from_table(name, connectors[name]))

    kinds = {name: table["kind"] for name, table in connectors.items()}
    setup = TransferSetup({a.name: a for a in agreements}, connector, tmp_path, None, kinds)
    web.transfers = setup


def administrator(web: Web, tmp_path: Path) -> TestClient:
    configure(web, tmp_path)
    web.person("gestion", Role.ADMIN)
    return web.logged_in("gestion")


def test_the_organisations_own_agreements_are_listed_in_french(web: Web, tmp_path: Path) -> None:
    page = administrator(web, tmp_path).get(AGREEMENTS).text
    for expected in (
        "<td>accord-depot</td>",
        '<td>depot<br><span class="reference">dossier de dépôt</span></td>',
        "<td>FR_DF</td>",
        "signé, fichiers sous content/, contenu local purgé après l'accusé de prise en charge",
        "<td>après 30 jours</td>",
        '<span class="reference">profil PR-DELIB</span>',
        '<span class="reference">Vitam</span>',
    ):
        assert expected in page, expected
    assert "accord-voisin" not in page and "secret" not in page


def test_checking_the_connectors_says_what_works_and_what_is_wrong(
    web: Web, tmp_path: Path
) -> None:
    browser = administrator(web, tmp_path)
    answer = browser.post(
        f"{AGREEMENTS}/verification", data={"csrf_token": form_token(browser, AGREEMENTS)}
    )
    assert answer.status_code == 200
    page = answer.text
    depot, vitam = page.split("<h3>depot (dossier de dépôt)</h3>")[1].split(
        "<h3>vitam (Vitam)</h3>"
    )
    assert '<span class="reussite">Joignable</span> : dossiers de dépôt et de réponse' in depot
    assert 'Accord accord-depot : <span class="reussite">conforme</span>' in depot
    assert '<span class="echec">Échec</span>' in vitam
    assert "la vérification TLS reste active" in vitam
    assert 'Accord accord-vitam : <span class="echec">non conforme</span>' in vitam
    assert "secret" not in page and "connector_misconfigured" not in page


def test_without_any_agreement_the_page_says_where_they_are_declared(web: Web) -> None:
    web.person("gestion", Role.ADMIN)
    page = web.logged_in("gestion").get(AGREEMENTS).text
    assert "Aucun accord de versement pour votre organisation" in page
    assert "Vérifier les connecteurs" not in page


def test_an_agent_may_neither_see_nor_check_the_agreements(web: Web, tmp_path: Path) -> None:
    configure(web, tmp_path)
    web.person("marie", Role.AGENT, services=(web.ged.service,))
    browser = web.logged_in("marie")
    assert browser.get(AGREEMENTS).status_code == 403
    token = form_token(browser, "/")
    answer = browser.post(f"{AGREEMENTS}/verification", data={"csrf_token": token})
    assert answer.status_code == 403
    refused = "Action réservée aux rôles : administrateur, archiviste, référent archives"
    assert refused in answer.text and "Joignable" not in answer.text
