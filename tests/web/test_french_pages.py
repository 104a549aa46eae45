"""No raw code on a page: every page, as every role, and the error pages, are scanned for the
codes and English words that must stay in the API (``intermediate``, ``Keep``,
``dua_over_destroy``, ``0 an``, a MIME type, a raw timestamp…)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from ged.domain.lifecycle import NoDueDate, Phase
from ged.domain.model import DossierStatus, ExtractionStatus, Role
from ged.domain.retention import FinalAction, StartEventKind
from ged.services.ports import TransferState
from kernel.retention import RuleCategory
from tests.fixtures.web import PASSWORD, Web, form_token, log_in
from tests.fixtures.web_data import (
    admin_pages,
    build_archive,
    elimination_pages,
    officer_pages,
    pages,
    people,
    visa_pages,
)

# Codes that are also ordinary French words are left out: "permanent", "agent", "application",
# "dossier".
CODES = {
    *(p.value for p in Phase if p is not Phase.PERMANENT),
    *(a.value for a in FinalAction if a is not FinalAction.SORT),  # « Sort final » is French
    *(s.value for s in TransferState),
    *(r.value for r in Role if r not in (Role.AGENT, Role.APPLICATION)),
    *(s.value for s in ExtractionStatus),
    *(s.value for s in DossierStatus),
    *(c.value for c in RuleCategory),
    *(n.value for n in NoDueDate),
    *(k.value for k in StartEventKind),
    "dua_over_destroy",
    "sorted_for_destruction",
    "plan_node",
    "document_type",
    "None",
    "null",
    "True",
    "False",
}
ENGLISH = {
    "error",
    "Error",
    "Not Found",
    "Forbidden",
    "Unauthorized",
    "Internal Server",
    "unknown",
    "Method Not Allowed",
}
PATTERNS = [
    re.compile(r"\b0 an\b"),
    re.compile(r"\b(?:application|text|image)/[a-z0-9.+-]+"),  # MIME types
    re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}"),  # raw timestamps
    re.compile(r"\bP\d+[YMD]\b"),  # ISO 8601 durations
]


class VisibleText(HTMLParser):
    """The text a person sees or hears: element text outside scripts and styles, and the
    ``alt``, ``title``, ``aria-label`` and ``placeholder`` attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        for name, value in attrs:
            if name in ("alt", "title", "aria-label", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def raw_codes(text: str) -> list[str]:
    words = set(re.findall(r"[A-Za-z_]+", text))
    found = sorted(words & CODES)
    found += [w for w in ENGLISH if w in text]
    found += [m.group(0) for p in PATTERNS for m in p.finditer(text)]
    return found


@pytest.mark.parametrize("login", ["agent", "referent", "archiviste"])
def test_no_page_shows_a_raw_code_to_any_role(web: Web, login: str) -> None:
    found = build_archive(web)
    people(web)
    browser = web.logged_in(login)
    for page in [*pages(found), *visa_pages(web, found)]:
        answer = browser.get(page)
        assert answer.headers["content-type"].startswith("text/html"), page
        assert raw_codes(visible(answer.text)) == [], (page, answer.status_code)


def test_no_administration_page_shows_a_raw_code(web: Web) -> None:
    people(web)
    found = admin_pages(web)
    browser = web.logged_in("gestion")
    token = form_token(browser, "/administration/jetons")
    answers = [browser.get(page) for page in found]
    answers.append(browser.post("/administration/jetons", data={"csrf_token": token, "name": ""}))
    answers.append(browser.post("/administration/comptes", data={"csrf_token": token}))
    answers.append(browser.post("/administration/accords/verification", data={"csrf_token": token}))
    names = {web.ged.admin.name}  # « admin », who made the accounts: a name, not a code
    for answer in answers:
        found_codes = [c for c in raw_codes(visible(answer.text)) if c not in names]
        assert found_codes == [], (answer.url, answer.status_code)


@pytest.mark.parametrize("login", ["referent", "archiviste", "agent"])
def test_no_records_officer_page_shows_a_raw_code(web: Web, login: str) -> None:
    found = build_archive(web)
    people(web)
    browser = web.logged_in(login)
    for page in [*officer_pages(found), *elimination_pages(web)]:
        answer = browser.get(page)
        assert answer.headers["content-type"].startswith("text/html"), page
        assert raw_codes(visible(answer.text)) == [], (page, answer.status_code)


def test_the_login_pages_show_no_raw_code_either(web: Web) -> None:
    web.person("marie", Role.AGENT)
    browser = web.browser()
    answers = [browser.get("/connexion"), browser.get("/connexion?motif=deconnexion")]
    answers += [log_in(browser, "marie", "faux") for _ in range(5)]
    answers.append(log_in(browser, "marie", PASSWORD))
    for answer in answers:
        assert raw_codes(visible(answer.text)) == [], answer.status_code


def test_the_scanner_itself_finds_what_it_looks_for() -> None:
    html = "<p>intermediate Keep dua_over_destroy 0 an application/pdf</p><img alt='due'><script>var open</script>"
    assert sorted(raw_codes(visible(html))) == sorted(
        ["intermediate", "Keep", "dua_over_destroy", "due", "0 an", "application/pdf"]
    )
