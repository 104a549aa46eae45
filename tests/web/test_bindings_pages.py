"""Binding rules in the web interface: to a node of the plan (from the plan tree), to a
document type, to a dossier as a justified derogation (from the dossier page); unbinding."""

from __future__ import annotations

from ged.domain.lifecycle import BindingTarget
from ged.services import rules
from tests.fixtures.web import Web, form_token
from tests.fixtures.web_data import Archive, build_archive, neighbour, people


def archive(web: Web) -> Archive:
    built = build_archive(web)
    people(web)
    return built


def bound(web: Web, target: BindingTarget) -> list[tuple[str, str, str]]:
    found = rules.list_bindings(web.ged.ctx, web.ged.admin, target)
    return [(b.target_id, b.rule_id, b.justification) for b in found]


def test_the_plan_tree_leads_a_records_officer_to_the_rules_of_a_node(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    plan = browser.get(f"/plan?noeud={found.assembly_node}").text
    assert (
        f'<a href="/plan/{found.assembly_node}/regles">Règles de gestion de la rubrique 1.1</a>'
        in plan
    )
    page = browser.get(f"/plan/{found.assembly_node}/regles").text
    assert "<h1>Règles de la rubrique 1.1 Assemblée</h1>" in page
    assert '<a href="/regles/AG-01">AG-01</a>' in page
    assert "Rattacher" in page and "Retirer la règle AG-01" in page
    agent_plan = web.logged_in("agent").get(f"/plan?noeud={found.assembly_node}").text
    assert "Règles de gestion de la rubrique" not in agent_plan


def test_binding_a_rule_to_a_node_replaces_the_one_of_its_category_then_unbinding_removes_it(
    web: Web,
) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    url = f"/plan/{found.assembly_node}/regles"
    answer = browser.post(url, data={"csrf_token": form_token(browser, url), "regle": "AG-02"})
    assert answer.status_code == 303 and answer.headers["location"] == url
    assert "Règle AG-02 rattachée (durée d&#39;utilité administrative (sort final))." in (
        browser.get(url).text
    )
    assert (found.assembly_node, "AG-02", "") in bound(web, BindingTarget.PLAN_NODE)
    assert (found.assembly_node, "AG-01", "") not in bound(web, BindingTarget.PLAN_NODE)
    token = form_token(browser, url)
    answer = browser.post(
        f"{url}/retrait", data={"csrf_token": token, "categorie": "AppraisalRule"}
    )
    assert answer.status_code == 303
    assert found.assembly_node not in {t for t, _, _ in bound(web, BindingTarget.PLAN_NODE)}


def test_a_derogation_on_a_dossier_needs_a_justification_and_shows_it(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    assert (
        f'href="/dossiers/{found.courrier}/regles"'
        in browser.get(f"/dossiers/{found.courrier}").text
    )
    url = f"/dossiers/{found.courrier}/regles"
    refused = browser.post(
        url, data={"csrf_token": form_token(browser, url), "regle": "AG-02", "justification": ""}
    )
    assert refused.status_code == 422
    assert 'id="erreur-justification">Une dérogation sur un dossier doit être justifiée</p>' in (
        refused.text
    )
    assert bound(web, BindingTarget.DOSSIER) == []
    done = browser.post(
        url,
        data={
            "csrf_token": form_token(browser, url),
            "regle": "AG-02",
            "justification": "Courrier du préfet à conserver",
        },
    )
    assert done.status_code == 303
    page = browser.get(url).text
    assert "<td>Courrier du préfet à conserver</td>" in page
    assert bound(web, BindingTarget.DOSSIER) == [
        (found.courrier, "AG-02", "Courrier du préfet à conserver")
    ]
    dossier = browser.get(f"/dossiers/{found.courrier}").text
    assert "dérogation propre au dossier" in dossier
    token = form_token(browser, url)
    browser.post(
        f"{url}/retrait",
        data={"csrf_token": token, "categorie": "AppraisalRule", "motif": "erreur"},
    )
    assert bound(web, BindingTarget.DOSSIER) == []


def test_a_rule_is_bound_to_a_document_type(web: Web) -> None:
    archive(web)
    browser = web.logged_in("referent")
    token = form_token(browser, "/types-de-documents")
    answer = browser.post(
        "/types-de-documents", data={"csrf_token": token, "type": "facture", "regle": "FIN-06"}
    )
    assert answer.status_code == 303
    assert "<td>facture</td>" in browser.get("/types-de-documents").text
    assert bound(web, BindingTarget.DOCUMENT_TYPE) == [("facture", "FIN-06", "")]


def test_a_rule_must_be_chosen(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    url = f"/plan/{found.assembly_node}/regles"
    answer = browser.post(url, data={"csrf_token": form_token(browser, url), "regle": ""})
    assert answer.status_code == 422
    assert 'id="erreur-regle">Choisissez une règle.</p>' in answer.text


def test_an_archivist_reads_the_bindings_but_an_agent_is_refused(web: Web) -> None:
    found = archive(web)
    url = f"/plan/{found.assembly_node}/regles"
    archivist = web.logged_in("archiviste")
    page = archivist.get(url)
    assert page.status_code == 200 and "Rattacher" not in page.text
    refused = archivist.post(url, data={"csrf_token": form_token(archivist, url), "regle": "AG-02"})
    assert refused.status_code == 403
    agent = web.logged_in("agent")
    assert agent.get(url).status_code == 403
    assert agent.get(f"/dossiers/{found.seance}/regles").status_code == 403


def test_another_organisations_node_and_dossier_are_the_404_page(web: Web) -> None:
    found = archive(web)
    neighbour(web)
    browser = web.logged_in("voisin")
    for url in (f"/plan/{found.assembly_node}/regles", f"/dossiers/{found.courrier}/regles"):
        assert browser.get(url).status_code == 404, url
    token = form_token(browser, "/types-de-documents")
    answer = browser.post(
        f"/dossiers/{found.courrier}/regles",
        data={"csrf_token": token, "regle": "AG-02", "justification": "x"},
    )
    assert answer.status_code == 404
    assert bound(web, BindingTarget.DOSSIER) == []


def test_the_binding_forms_refuse_a_missing_csrf_token(web: Web) -> None:
    found = archive(web)
    browser = web.logged_in("referent")
    node = f"/plan/{found.assembly_node}/regles"
    answers = [
        browser.post(node, data={"regle": "AG-02"}),
        browser.post(f"{node}/retrait", data={"categorie": "AppraisalRule"}),
        browser.post(f"/dossiers/{found.courrier}/regles", data={"regle": "AG-02"}),
        browser.post(f"/dossiers/{found.courrier}/regles/retrait", data={"categorie": "x"}),
        browser.post("/types-de-documents", data={"type": "a", "regle": "AG-02"}),
        browser.post("/types-de-documents/retrait", data={"type": "a", "categorie": "x"}),
    ]
    assert [a.status_code for a in answers] == [403] * 6
    assert (found.assembly_node, "AG-01", "") in bound(web, BindingTarget.PLAN_NODE)
