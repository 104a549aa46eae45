"""The archivist's elimination visas through the test client: the queue, the proposal with its
dossiers, volumes, rules and derogations, the visa given by a second person, its refusals said
in French (Code du patrimoine R212-14), the refusal with a reason, the execution and the
tombstone on the dossier's page."""

from __future__ import annotations

import re

import pytest

from ged.domain.access import Principal
from ged.domain.lifecycle import BindingTarget
from ged.domain.model import Role
from ged.presentation.labels import VISA_REFUSALS
from ged.services import accounts, rules
from tests.fixtures.web import PASSWORD, Web, form_token
from tests.fixtures.web_data import Archive, build_archive, people, propose_courrier

MISSING = "00000000-0000-0000-0000-000000000000"


def archive(web: Web) -> Archive:
    built = build_archive(web)
    people(web)
    web.person("archiviste2", Role.ARCHIVIST)
    return built


def refusals_logged(web: Web, proposal_id: str) -> list[str]:
    with web.ged.ctx.uow() as uow:
        return [
            (e.details or {}).get("reason", "")
            for e in uow.iter_log()
            if e.action == "elimination.approval_refused" and e.object_id == proposal_id
        ]


def principal_of(web: Web, login: str) -> Principal:
    people = accounts.list_people(web.ged.ctx, web.ged.admin)
    return next(p.principal for p in people if p.account.login == login)


def test_the_dashboard_task_leads_to_the_proposals_awaiting_a_visa(web: Web) -> None:
    found = archive(web)
    pid = propose_courrier(web, web.ged.admin)
    browser = web.logged_in("archiviste")
    home = browser.get("/").text
    assert '<a href="/visas">1 proposition d&#39;élimination attend votre visa</a>' in home
    assert '<a href="/visas">Visas d&#39;élimination</a>' in home  # the menu
    queue = browser.get("/visas").text
    assert f'<a href="/visas/{pid}">Proposition du 15 janvier 2026</a>' in queue
    assert "<td>admin</td>" in queue and "<td>1 dossier</td>" in queue
    assert "Aucune proposition visée n'attend son exécution." in queue
    assert found.courrier not in queue


def test_the_proposal_shows_each_dossier_its_rule_volume_and_derogations(web: Web) -> None:
    found = archive(web)
    rules.bind_rule(
        web.ged.ctx,
        web.ged.admin,
        BindingTarget.DOSSIER,
        found.courrier,
        "AG-08",
        "Copies des courriers : les originaux sont au service émetteur",
    )
    pid = propose_courrier(web)
    page = web.logged_in("archiviste").get(f"/visas/{pid}").text
    for expected in (
        "<h1>Proposition d'élimination du 15 janvier 2026</h1>",
        "<dd>en attente de visa</dd>",
        "<dd>1 dossier : 1 document, 1 version, 21 octets</dd>",
        f'<a href="/dossiers/{found.courrier}">Courrier arrivé 2020</a>',
        "du 2 janvier 2020 au 31 décembre 2020",
        "Courrier arrivé (copies et accusés de réception) ; 2 ans",
        "AG-08, version 1",
        "DUA échue — destruction",
        "<td>31 décembre 2022</td>",
        "durée d&#39;utilité administrative (sort final) : Courrier arrivé",
        "Justification : Copies des courriers : les originaux sont au service émetteur",
        "Viser l'élimination",
        "Refuser le visa",
    ):
        assert expected in page, expected


def test_a_second_archivist_gives_the_visa_then_the_elimination_leaves_a_tombstone(
    web: Web,
) -> None:
    found = archive(web)
    pid = propose_courrier(web, principal_of(web, "archiviste"))
    second = web.logged_in("archiviste2")
    token = form_token(second, f"/visas/{pid}")
    given = second.post(f"/visas/{pid}/viser", data={"csrf_token": token, "observations": "Vu"})
    assert (given.status_code, given.headers["location"]) == (303, f"/visas/{pid}")
    page = second.get(f"/visas/{pid}").text
    assert "Élimination visée : elle peut maintenant être exécutée." in page
    assert "<dd>archiviste2 (vous), le 15 janvier 2026 à 10 h 31</dd>" in page
    assert "<dd>Vu</dd>" in page and "Viser l'élimination" not in page
    done = second.post(f"/visas/{pid}/executer", data={"csrf_token": token})
    assert done.status_code == 303
    page = second.get(f"/visas/{pid}").text
    assert "Élimination exécutée : 1 dossier éliminé, 0 dossier laissé." in page
    assert "<dd>exécutée</dd>" in page and "éliminé, le 15 janvier 2026" in page
    assert "<dd>1 dossier : 1 document, 1 version, 21 octets</dd>" in page  # from the tombstone
    dossier = second.get(f"/dossiers/{found.courrier}").text
    assert "<dd>éliminé</dd>" in dossier
    assert '<h2 id="titre-trace">Élimination et trace conservée</h2>' in dossier
    for expected in (
        "Éliminé le 15 janvier 2026 à 10 h 31 par archiviste2, avec le visa de archiviste2 du 15 janvier 2026",
        "<dd>AG-08, version 1</dd>",
        "<dd>1 document, 1 version, 21 octets</dd>",
    ):
        assert expected in dossier, expected
    assert re.search(r'<td class="empreinte">[0-9a-f]{64}</td>', dossier)


# An application client never logs in to a page: its refusal is tested over HTTP (e2e).
PEOPLE_REFUSED = sorted(set(VISA_REFUSALS) - {"approval_by_application"})


@pytest.mark.parametrize("refusal", PEOPLE_REFUSED)
def test_each_refusal_of_the_visa_is_said_in_french_and_logged(web: Web, refusal: str) -> None:
    archive(web)
    web.person("auteur", Role.ARCHIVIST, Role.RECORDS_OFFICER)
    author = principal_of(web, "auteur")
    if refusal == "approver_appointed_by_author":  # web.person: appointed by the admin
        web.person("nomme-par-l-auteur", Role.ARCHIVIST)
        author = web.ged.admin  # administrator and records officer: proposes too
    pid = propose_courrier(web, author)
    if refusal == "approver_role_too_recent":
        web.person("trop-recent", Role.ARCHIVIST)
    login = {
        "approval_by_author": "auteur",
        "approver_appointed_by_author": "nomme-par-l-auteur",
        "approver_role_too_recent": "trop-recent",
        "approver_not_archivist": "referent",
    }[refusal]
    browser = web.logged_in(login)
    token = form_token(browser, f"/visas/{pid}")
    answer = browser.post(f"/visas/{pid}/viser", data={"csrf_token": token})
    assert answer.status_code == 403
    said = VISA_REFUSALS[refusal].replace("'", "&#39;")
    assert f"<p><strong>Visa refusé.</strong> {said}</p>" in answer.text
    assert '<div class="alerte" role="alert">' in answer.text
    assert "<dd>en attente de visa</dd>" in answer.text
    assert refusals_logged(web, pid) == [refusal]


def test_refusing_the_visa_needs_a_reason_shown_beside_its_field(web: Web) -> None:
    archive(web)
    pid = propose_courrier(web)
    browser = web.logged_in("archiviste")
    token = form_token(browser, f"/visas/{pid}")
    empty = browser.post(f"/visas/{pid}/refuser", data={"csrf_token": token, "motif": " "})
    assert empty.status_code == 422
    assert 'aria-describedby="aide-motif erreur-motif" aria-invalid="true"' in empty.text
    assert '<p class="erreur" id="erreur-motif">Refus du visa : un motif est obligatoire</p>' in (
        empty.text
    )
    reason = "Dossiers à conserver : contentieux annoncé"
    refused = browser.post(f"/visas/{pid}/refuser", data={"csrf_token": token, "motif": reason})
    assert refused.status_code == 303
    page = browser.get(f"/visas/{pid}").text
    assert "<dd>refusée</dd>" in page and f"<dd>{reason}</dd>" in page
    assert "Motif du refus</dt>" in page and "Refuser le visa" not in page


def test_only_records_officers_archivists_and_administrators_see_the_visas(web: Web) -> None:
    archive(web)
    pid = propose_courrier(web)
    agent = web.logged_in("agent")
    for page in ("/visas", f"/visas/{pid}"):
        answer = agent.get(page)
        assert answer.status_code == 403 and "<h1>Accès refusé</h1>" in answer.text, page
    assert "Visas d&#39;élimination" not in agent.get("/").text  # not in the agent's menu
    assert web.logged_in("referent").get(f"/visas/{pid}").status_code == 200


def test_another_organisations_proposal_is_the_same_404_page_as_a_missing_one(
    web: Web,
) -> None:
    archive(web)
    pid = propose_courrier(web)
    other_admin, _, _ = web.ged.other_organisation()
    stranger = accounts.NewPerson("voisine", frozenset({Role.ARCHIVIST}), password=PASSWORD)
    accounts.create_person(web.ged.ctx, other_admin, stranger)
    browser = web.logged_in("voisine")
    theirs, missing = browser.get(f"/visas/{pid}"), browser.get(f"/visas/{MISSING}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace(pid, MISSING) == missing.text
    assert pid not in browser.get("/visas").text
    token = form_token(browser, "/visas")
    refused = browser.post(f"/visas/{pid}/refuser", data={"csrf_token": token, "motif": "non"})
    assert refused.status_code == 404
