"""What every page's markup promises (RGAA): French, one h1, a skip link to the main content,
a label for every field; no inline script or style (the CSP forbids them); the vendored htmx
is the file whose digest is recorded; nothing is loaded from another host."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from ged.web.setup import STATIC, TEMPLATES
from kernel.web.setup import STATIC as KERNEL_STATIC
from kernel.web.setup import TEMPLATES as KERNEL_TEMPLATES
from tests.fixtures.web import Web
from tests.fixtures.web_data import (
    admin_pages,
    build_archive,
    elimination_pages,
    officer_pages,
    pages,
    people,
    visa_pages,
)

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_the_vendored_htmx_is_the_one_whose_digest_is_recorded() -> None:
    recorded, name = (KERNEL_STATIC / "htmx.min.js.sha256").read_text().split()
    assert name == "htmx.min.js"
    assert hashlib.sha256((KERNEL_STATIC / name).read_bytes()).hexdigest() == recorded


@pytest.mark.parametrize(
    "template",
    sorted([*TEMPLATES.glob("*.html"), *KERNEL_TEMPLATES.glob("*.html")]),
    ids=lambda p: p.name,
)
def test_no_template_has_inline_script_style_handler_or_foreign_resource(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text)
    assert "<style" not in text and " style=" not in text
    assert not HANDLER.search(text)
    assert "http://" not in text and "https://" not in text and 'src="//' not in text


def test_our_script_builds_text_without_html() -> None:
    script = (STATIC / "gedsae.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script and "eval(" not in script and "document.write" not in script


def check_markup(html: str, page: str) -> None:
    assert html.startswith('<!doctype html>\n<html lang="fr">'), page
    assert len(re.findall(r"<h1[ >]", html)) == 1, page
    assert '<a class="evitement" href="#contenu">Aller au contenu</a>' in html, page
    assert '<main id="contenu"' in html, page
    fields = re.findall(
        r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html
    )
    unlabelled = [f for f in fields if f'<label for="{f}"' not in html]
    assert unlabelled == [], page
    assert len(re.findall(r"<(?:input|select|textarea)\b(?![^>]*type=\"hidden\")", html)) == len(
        fields
    ), page
    assert len(fields) == len(set(fields)), page  # one id per field


@pytest.mark.parametrize("login", ["agent", "archiviste"])
def test_every_page_is_french_with_one_h1_a_skip_link_and_labelled_fields(
    web: Web, login: str
) -> None:
    found = build_archive(web)
    people(web)
    browser = web.logged_in(login)
    for page in [*pages(found), *visa_pages(web, found), "/connexion"]:
        check_markup(browser.get(page).text, page)


def test_every_administration_page_has_the_same_markup(web: Web) -> None:
    people(web)
    found = admin_pages(web)
    browser = web.logged_in("gestion")
    for page in found:
        check_markup(browser.get(page).text, page)

    browser = web.logged_in("agent")
    for page in [*pages(found), "/connexion"]:
        check_markup(browser.get(page).text, page)


def test_every_records_officer_page_keeps_the_same_promises(web: Web) -> None:
    found = build_archive(web)
    people(web)
    browser = web.logged_in("referent")
    for page in [*officer_pages(found), *elimination_pages(web)]:
        check_markup(browser.get(page).text, page)
