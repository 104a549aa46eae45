"""The tableaux de gestion screen: the rules in force and their versions, an import that shows
every bad line of a refused file and imports nothing, the export; for records officers (and
administrators), read by archivists, refused to agents."""

from __future__ import annotations

import io

from ged.services import rules, rules_io
from tests.fixtures.web import Web, form_token
from tests.fixtures.web_data import build_archive, neighbour, people

BAD_TABLEAU = """Code;Intitulé;DUA;Point de départ;Sort final
AG-01;Délibérations;10 ans;date de la séance;C
AG-02;Procès-verbaux;dix ans;date de la séance;C
AG-03;Commission;10 ans;;X
;Sans code;5 ans;;D
"""
GOOD_TABLEAU = """Code;Intitulé;DUA;Point de départ;Sort final
AG-01;Délibérations (registre);12 ans;date de la séance;C
NEW-01;Nouveaux dossiers;3 ans;clôture du dossier;D
"""


def send(browser: object, data: bytes, name: str, **fields: str) -> object:
    token = form_token(browser, "/regles")  # type: ignore[arg-type]
    form = {"csrf_token": token, "format": "auto", **fields}
    return browser.post(  # type: ignore[attr-defined]
        "/regles/import", data=form, files={"fichier": (name, data, "text/csv")}
    )


def test_a_records_officer_sees_the_rules_in_force_with_their_version_and_the_import_form(
    web: Web,
) -> None:
    build_archive(web)
    people(web)
    page = web.logged_in("referent").get("/regles")
    assert page.status_code == 200
    assert '<a href="/regles/AG-01">AG-01</a>' in page.text
    assert "Délibérations du conseil départemental" in page.text
    assert "<td>10 ans</td>" in page.text and "<td>conservation définitive</td>" in page.text
    assert 'action="/regles/import"' in page.text
    assert '<a href="/regles/export?format=xlsx">' in page.text


def test_an_archivist_reads_the_rules_but_gets_no_import_form(web: Web) -> None:
    build_archive(web)
    people(web)
    page = web.logged_in("archiviste").get("/regles")
    assert page.status_code == 200 and "AG-01" in page.text
    assert 'action="/regles/import"' not in page.text


def test_an_agent_gets_the_french_403_page(web: Web) -> None:
    build_archive(web)
    people(web)
    page = web.logged_in("agent").get("/regles")
    assert page.status_code == 403
    assert "<h1>Accès refusé</h1>" in page.text
    assert "référent archives, archiviste, administrateur" in page.text
    assert "records_officer" not in page.text


def test_a_refused_tableau_shows_every_bad_line_with_its_column_and_reason_and_imports_nothing(
    web: Web,
) -> None:
    build_archive(web)
    people(web)
    browser = web.logged_in("referent")
    before = rules.referential(web.ged.ctx, web.ged.admin)
    answer = send(browser, BAD_TABLEAU.encode(), "tableau.csv")
    assert answer.status_code == 422
    page = answer.text
    assert "« tableau.csv » refusé : rien n'a été importé" in page
    assert "3 problèmes trouvés" in page
    for line, column, reason in (
        ("3", "DUA", "Durée illisible : « dix ans »"),
        ("4", "Sort final", "Sort final inconnu « X »"),
        ("5", "Code", "Code manquant"),
    ):
        assert f"<tr><td>{line}</td><td>{column}</td><td>{reason}" in page, line
    assert rules.referential(web.ged.ctx, web.ged.admin) == before


def test_a_corrected_tableau_is_imported_and_the_rule_keeps_its_versions(web: Web) -> None:
    build_archive(web)
    people(web)
    browser = web.logged_in("referent")
    answer = send(browser, GOOD_TABLEAU.encode(), "tableau.csv")
    assert answer.status_code == 303 and answer.headers["location"] == "/regles"
    page = browser.get("/regles").text
    assert "« tableau.csv » importé : 1 règle créée, 1 révisée, 0 inchangée, 0 retirée." in page
    detail = browser.get("/regles/AG-01").text
    assert "<td>2</td>\n        <td>en vigueur</td>" in detail
    assert "<td>1</td>\n        <td>remplacée</td>" in detail
    assert "<td>12 ans</td>" in detail and "<td>10 ans</td>" in detail
    assert ">1.1 Assemblée</a>" in detail  # where the rule is bound


def test_a_spreadsheet_is_recognised_by_its_extension(web: Web) -> None:
    build_archive(web)
    people(web)
    parsed = rules_io.parse_tableau(io.BytesIO(GOOD_TABLEAU.encode()), "csv")
    workbook = io.BytesIO()
    rules_io.write_tableau(parsed, workbook, "xlsx")
    answer = send(web.logged_in("referent"), workbook.getvalue(), "tableau.xlsx")
    assert answer.status_code == 303
    assert rules.rule_history(web.ged.ctx, web.ged.admin, "NEW-01")


def test_an_archivist_cannot_import(web: Web) -> None:
    build_archive(web)
    people(web)
    answer = send(web.logged_in("archiviste"), GOOD_TABLEAU.encode(), "tableau.csv")
    assert answer.status_code == 403
    assert "NEW-01" not in {r.identifier for r in rules.referential(web.ged.ctx, web.ged.admin)}


def test_a_form_without_a_file_says_so_next_to_the_field(web: Web) -> None:
    people(web)
    browser = web.logged_in("referent")
    token = form_token(browser, "/regles")
    answer = browser.post(
        "/regles/import",
        data={"csrf_token": token, "format": "auto"},
        files={"fichier": ("", b"", "application/octet-stream")},
    )
    assert answer.status_code == 422
    assert '<p class="erreur" id="erreur-fichier">Choisissez un fichier.</p>' in answer.text


def test_the_export_is_a_download_of_the_rules_in_force(web: Web) -> None:
    build_archive(web)
    people(web)
    answer = web.logged_in("referent").get("/regles/export?format=csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="tableau-de-gestion.csv"'
    assert "AG-01;Délibérations du conseil départemental" in answer.content.decode("utf-8-sig")


def test_another_organisations_rule_is_the_same_404_page_as_a_missing_one(web: Web) -> None:
    build_archive(web)
    neighbour(web)
    browser = web.logged_in("voisin")
    theirs, missing = browser.get("/regles/AG-01"), browser.get("/regles/inconnue")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace("AG-01", "inconnue") == missing.text


def test_the_import_refuses_a_missing_csrf_token(web: Web) -> None:
    people(web)
    browser = web.logged_in("referent")
    answer = browser.post(
        "/regles/import",
        data={"format": "auto"},
        files={"fichier": ("t.csv", GOOD_TABLEAU.encode(), "text/csv")},
    )
    assert answer.status_code == 403
    assert rules.referential(web.ged.ctx, web.ged.admin) == []
