"""The GED's menu: ``NAVIGATION`` (entries by role); pages answer with the kernel's
``render(request, template, **context)`` and ``redirect_with`` (post/redirect/get), named here
too for the GED's views.

Adding a screen for a role: append a ``NavItem`` to ``NAVIGATION`` with the roles that see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ged.domain.access import Principal
from ged.domain.model import Role
from kernel.web.render import redirect_with as redirect_with
from kernel.web.render import render as render
from kernel.web.setup import NavLink


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role] | None = None  # None: every person

    def open_to(self, principal: Principal) -> bool:
        return self.roles is None or principal.has(*self.roles)


NAVIGATION: list[NavItem] = [
    NavItem("Tableau de bord", "/"),
    NavItem("Plan de classement", "/plan"),
    NavItem("Recherche", "/recherche"),
    NavItem("Glossaire", "/glossaire"),
    NavItem("Visas d'élimination", "/visas", frozenset({Role.ARCHIVIST})),
    NavItem("Administration", "/administration", frozenset({Role.ADMIN})),
]
# the records officer's screens (the archivists read the referential too)
OFFICERS = frozenset({Role.RECORDS_OFFICER, Role.ADMIN})
NAVIGATION += [
    NavItem("Tableaux de gestion", "/regles", OFFICERS | {Role.ARCHIVIST}),
    NavItem("Gels", "/gels", OFFICERS | {Role.ARCHIVIST}),
    NavItem("Cycle de vie", "/cycle-de-vie", OFFICERS | {Role.ARCHIVIST}),
    NavItem("Éliminations", "/eliminations", OFFICERS),
    NavItem("Versements", "/versements", OFFICERS | {Role.ARCHIVIST}),
]


def navigation(principal: Principal | None, path: str) -> list[NavLink]:
    if principal is None:
        return []
    return [
        NavLink(item.label, item.href, is_current(item.href, path))
        for item in NAVIGATION
        if item.open_to(principal)
    ]


def is_current(href: str, path: str) -> bool:
    return path == href or (href != "/" and path.startswith(href + "/"))
