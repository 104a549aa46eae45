"""What the repository's pages show around every page: its ``SITE`` (header, footer), its menu
by role (``navigation``) and its templates (``templates/`` before the kernel's base layout,
login and error pages), with the repository's French vocabulary (``sae.presentation``) and the
kernel's dates and sizes as filters."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment

from kernel.web.setup import NavLink, Site, templates
from sae import presentation
from sae.model import Person

HERE = Path(__file__).parent
SITE = Site(
    name="gedsae",
    tagline="Dépôt d'archives",
    title="gedsae — dépôt d'archives",
    home="/",
    home_label="à l'accueil du dépôt",
)


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[str]


NAVIGATION: list[NavItem] = [
    NavItem("Versements reçus", "/versements", frozenset({"archivist"})),
    NavItem("Catalogue", "/archives", frozenset({"archivist", "reader"})),
    NavItem("Journal et audits", "/journal", frozenset({"archivist"})),
]


def navigation(person: Person | None, path: str) -> list[NavLink]:
    if person is None:
        return []
    return [
        NavLink(item.label, item.href, path == item.href or path.startswith(item.href + "/"))
        for item in NAVIGATION
        if person.role in item.roles
    ]


def sae_templates() -> Environment:
    return templates([HERE / "templates"], SITE, presentation.filters())
