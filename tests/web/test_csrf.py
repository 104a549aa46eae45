"""Every web request other than GET needs the CSRF token of its own session (403 otherwise),
whatever it carries: a form, a multipart upload, raw bytes."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from ged.domain.model import Role
from tests.fixtures.web import PASSWORD, Web, csrf_of

REFUSED = "Formulaire expiré ou invalide"
MISSING = "00000000-0000-0000-0000-000000000000"  # refused before anyone looks for it
SAMPLES = {"token_id": MISSING}  # the other path parameters of the administration forms
ADMINISTRATION = [
    ("POST", "/administration/services"),
    ("POST", "/administration/comptes"),
    ("POST", "/administration/comptes/{login}/roles"),
    ("POST", "/administration/comptes/{login}/roles/{role}/retirer"),
    ("POST", "/administration/comptes/{login}/desactiver"),
    ("POST", "/administration/jetons"),
    ("POST", "/administration/jetons/nouveau"),
    ("POST", "/administration/jetons/{token_id}/revoquer"),
    ("POST", "/administration/accords/verification"),
]
# the records officer's forms; each one's refusal is tested beside its screen
OFFICER_FORMS = [
    ("POST", "/regles/import"),
    ("POST", "/gels/{hold_id}/levee"),
    ("POST", "/dossiers/{dossier_id}/gel"),
    ("POST", "/plan/{node_id}/regles"),
    ("POST", "/plan/{node_id}/regles/retrait"),
    ("POST", "/dossiers/{dossier_id}/regles"),
    ("POST", "/dossiers/{dossier_id}/regles/retrait"),
    ("POST", "/types-de-documents"),
    ("POST", "/types-de-documents/retrait"),
    ("POST", "/cycle-de-vie/calcul"),
    ("POST", "/eliminations"),
    ("POST", "/versements"),
    ("POST", "/versements/{message_identifier}/relance"),
    ("POST", "/versements/{message_identifier}/reponse"),
]


def routes_of(routes: list[Any]) -> list[APIRoute]:
    """Every route, included routers opened (FastAPI keeps them as included routers)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif (router := getattr(route, "original_router", None)) is not None:
            found.extend(routes_of(router.routes))
    return found


def web_form_routes(web: Web) -> list[tuple[str, str]]:
    app = web.browser().app
    return [
        (method, route.path)
        for route in routes_of(app.routes)  # type: ignore[attr-defined]
        if route.endpoint.__module__.startswith(("ged.web", "kernel.web"))
        for method in route.methods - {"GET", "HEAD"}
    ]


def test_every_state_changing_page_route_is_known_here(web: Web) -> None:
    """A new POST route must be added to the refusals below (and so be protected)."""
    assert sorted(web_form_routes(web)) == sorted(
        [
            ("POST", "/connexion"),
            ("POST", "/deconnexion"),
            ("POST", "/dossiers/{dossier_id}/depot"),
            ("POST", "/dossiers/{dossier_id}/depot/fichier"),
            ("POST", "/visas/{proposal_id}/viser"),
            ("POST", "/visas/{proposal_id}/refuser"),
            ("POST", "/visas/{proposal_id}/executer"),
            *ADMINISTRATION,
            *OFFICER_FORMS,
        ]
    )


@pytest.mark.parametrize("token", [None, "0" * 64])
def test_every_state_changing_route_refuses_a_missing_or_foreign_token(
    web: Web, token: str | None
) -> None:
    web.person("marie", Role.AGENT, services=(web.ged.service,))
    dossier = web.dossier("Budget")
    browser = web.logged_in("marie")
    form = {"csrf_token": token} if token else {}
    headers = {"X-CSRF-Token": token} if token else {}
    answers = {
        "login": browser.post("/connexion", data={**form, "login": "marie", "password": PASSWORD}),
        "logout": browser.post("/deconnexion", data=form),
        "form": browser.post(
            f"/dossiers/{dossier}/depot",
            files={"fichiers": ("a.txt", b"contenu", "text/plain")},
            data=form,
        ),
        "raw": browser.post(
            f"/dossiers/{dossier}/depot/fichier?nom=a.txt", content=b"contenu", headers=headers
        ),
        **{
            action: browser.post(f"/visas/{MISSING}/{action}", data={**form, "motif": "non"})
            for action in ("viser", "refuser", "executer")
        },
    }
    for what, answer in answers.items():
        assert answer.status_code == 403, what
        assert REFUSED in answer.text or "expiré" in answer.text, what
    assert browser.get("/").status_code == 200  # still logged in: the logout was refused
    assert not web.ged.ctx.blobs.exists(hashlib.sha256(b"contenu").hexdigest())


@pytest.mark.parametrize("token", [None, "0" * 64])
def test_every_administration_form_refuses_a_missing_or_foreign_token(
    web: Web, token: str | None
) -> None:
    web.person("gestion", Role.ADMIN)
    web.person("marie", Role.AGENT, Role.ARCHIVIST)
    browser = web.logged_in("gestion")
    form = {
        "name": "Archives",
        "seda_identifier": "FR_ARCH",
        "login": "paul",
        "roles": ["agent"],
        "role": "records_officer",
        "token_label": "secours",
    }
    if token:
        form["csrf_token"] = token
    for _, path in ADMINISTRATION:
        url = path.format(login="marie", role="archivist", **SAMPLES)
        answer = browser.post(url, data=form)
        assert answer.status_code == 403, url
        assert REFUSED in answer.text or "expiré" in answer.text, url
    assert browser.get("/administration/services").text.count("FR_ARCH") == 0
    person = browser.get("/administration/comptes/marie").text
    assert "<td>archiviste</td>" in person and "<td>référent archives</td>" not in person
    assert "<dd>actif</dd>" in person
    assert browser.get("/administration/comptes/paul").status_code == 404
    assert "Archives" not in browser.get("/administration/jetons").text


def test_a_token_from_another_session_is_refused(web: Web) -> None:
    web.person("marie", Role.AGENT)
    web.person("paul", Role.AGENT)
    marie, paul = web.logged_in("marie"), web.logged_in("paul")
    token = csrf_of(paul.get("/").text)
    assert marie.post("/deconnexion", data={"csrf_token": token}).status_code == 403


def test_the_login_form_itself_is_protected_before_any_login(web: Web) -> None:
    web.person("marie", Role.AGENT)
    browser = web.browser()
    page = browser.get("/connexion").text
    assert re.search(r'name="csrf_token" value="[0-9a-f]{64}"', page)
    assert (
        browser.post("/connexion", data={"login": "marie", "password": PASSWORD}).status_code == 403
    )
