"""Filing documents from the browser: the script's raw uploads and the plain multipart form
both stream into the store; each refusal leaves nothing behind and says why in French."""

from __future__ import annotations

import hashlib

from ged.domain.model import Role
from ged.services import documents, filing
from tests.fixtures.web import Web, csrf_of, form_token


def test_the_script_posts_one_file_and_gets_its_document_back(web: Web) -> None:
    web.person("marie", Role.AGENT, services=(web.ged.service,))
    dossier = web.dossier("Budget")
    browser = web.logged_in("marie")
    token = form_token(browser, f"/dossiers/{dossier}/depot")
    answer = browser.post(
        f"/dossiers/{dossier}/depot/fichier?nom=budget%20primitif.txt",
        content=b"budget primitif vote",
        headers={"X-CSRF-Token": token, "Content-Type": "text/plain", "Accept": "application/json"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["titre"] == "budget primitif.txt" and body["taille"] == "20 octets"
    _, [version] = documents.get_document(web.ged.ctx, web.ged.admin, body["id"])
    assert version.sha256 == hashlib.sha256(b"budget primitif vote").hexdigest()
    assert version.extraction_status.value == "done"  # processed after the answer


def test_the_plain_form_files_several_documents_and_says_so_once(web: Web) -> None:
    web.person("marie", Role.AGENT, services=(web.ged.service,))
    dossier = web.dossier("Budget")
    browser = web.logged_in("marie")
    token = form_token(browser, f"/dossiers/{dossier}/depot")
    answer = browser.post(
        f"/dossiers/{dossier}/depot",
        data={"csrf_token": token},
        files=[
            ("fichiers", ("note.txt", b"premiere note", "text/plain")),
            ("fichiers", ("annexe.csv", b"a;b\n1;2", "text/csv")),
        ],
    )
    assert (answer.status_code, answer.headers["location"]) == (303, f"/dossiers/{dossier}")
    page = browser.get(f"/dossiers/{dossier}").text
    assert "2 documents déposés." in page
    assert "note.txt" in page and "annexe.csv" in page
    assert "2 documents déposés." not in browser.get(f"/dossiers/{dossier}").text
    stored = {d.metadata.title for d in filing_documents(web, dossier)}
    assert stored == {"note.txt", "annexe.csv"}


def filing_documents(web: Web, dossier: str) -> list[documents.Document]:
    with web.ged.ctx.uow() as uow:
        return uow.repo.documents_in(dossier)


def test_the_form_without_a_file_is_shown_again_with_the_reason_by_the_field(web: Web) -> None:
    web.person("marie", Role.AGENT, services=(web.ged.service,))
    dossier = web.dossier("Budget")
    browser = web.logged_in("marie")
    token = form_token(browser, f"/dossiers/{dossier}/depot")
    answer = browser.post(
        f"/dossiers/{dossier}/depot",
        data={"csrf_token": token},
        files=[("fichiers", ("", b"", "application/octet-stream"))],
    )
    assert answer.status_code == 422
    assert (
        'id="erreur-fichiers"' in answer.text and "Choisissez au moins un fichier." in answer.text
    )
    assert 'aria-describedby="aide-fichiers erreur-fichiers"' in answer.text


def test_an_archivist_reads_but_cannot_file(web: Web) -> None:
    web.person("alice", Role.ARCHIVIST)
    dossier = web.dossier("Budget")
    browser = web.logged_in("alice")
    assert "Déposer des documents" not in browser.get(f"/dossiers/{dossier}").text
    token = csrf_of(browser.get(f"/dossiers/{dossier}").text)
    answer = browser.post(
        f"/dossiers/{dossier}/depot/fichier?nom=a.txt",
        content=b"contenu",
        headers={"X-CSRF-Token": token},
    )
    assert answer.status_code == 403
    assert "Ce rôle ne permet pas de verser des documents" in answer.text
    assert filing_documents(web, dossier) == []


def test_a_closed_dossier_refuses_files_and_keeps_no_blob(web: Web) -> None:
    web.person("marie", Role.AGENT, services=(web.ged.service,))
    dossier = web.dossier("Budget")
    browser = web.logged_in("marie")
    token = form_token(browser, f"/dossiers/{dossier}/depot")
    filing.close_dossier(web.ged.ctx, web.ged.admin, dossier)
    answer = browser.post(
        f"/dossiers/{dossier}/depot/fichier?nom=a.txt",
        content=b"un contenu unique",
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert "aucun document ne peut y être versé" in answer.json()["detail"]
    assert not web.ged.ctx.blobs.exists(hashlib.sha256(b"un contenu unique").hexdigest())


def test_another_organisations_dossier_is_a_french_404_page(web: Web) -> None:
    other_admin, _, elsewhere = web.ged.other_organisation()
    foreign = filing.create_dossier(
        web.ged.ctx, other_admin, service_id=elsewhere.id, title="Secret"
    )
    web.person("marie", Role.AGENT, services=(web.ged.service,))
    browser = web.logged_in("marie")
    for page in (f"/dossiers/{foreign.id}", f"/dossiers/{foreign.id}/depot", "/dossiers/inconnu"):
        answer = browser.get(page)
        assert answer.status_code == 404, page
        assert "<h1>Page introuvable</h1>" in answer.text and "Secret" not in answer.text
