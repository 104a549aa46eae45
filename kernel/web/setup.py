"""What a service's web pages are given at start (``WebSetup``) and keep while they run
(``WebState``: the same for every request, reached through ``request.app.state.web``).

Both services build one: the GED for its pages at ``/``, the repository for its own. The
templates are looked up in the service's folder first, then here (``base.html``, the login
page, the error page, the form macros); ``Site`` names the service in the header and footer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic

from fastapi import Request
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from kernel.accounts.login import People
from kernel.accounts.model import AddressThrottle, SessionPolicy
from kernel.accounts.oidc import OidcClient
from kernel.accounts.ports import P
from kernel.french import FILTERS

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


@dataclass(frozen=True)
class WebSetup:
    """``secret_key`` signs the session cookie and derives CSRF tokens; ``public_url`` is the
    address people type (``https://…``: cookies are marked Secure; OpenID Connect's redirect
    address is built from it)."""

    secret_key: bytes
    public_url: str
    policy: SessionPolicy = field(default_factory=SessionPolicy)
    oidc: OidcClient | None = None
    # query parameters of a login page kept across the provider's round trip (the repository's
    # ``locataire``: which tenant a person signs in to), so the callback sees them too
    kept: tuple[str, ...] = ()

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


@dataclass(frozen=True)
class NavLink:
    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class Site:
    """The service as its pages name it: ``name`` and ``tagline`` in the header, ``title`` after
    each page's in the browser's tab, ``home`` the address of its first page (« Retour
    ``home_label`` » on error pages), ``links`` in the footer (label, address), ``scripts`` in
    every page (the vendored htmx, the service's own)."""

    name: str
    tagline: str
    title: str
    home: str = "/"
    home_label: str = "à l'accueil"
    links: tuple[tuple[str, str], ...] = ()
    scripts: tuple[str, ...] = ("/static/htmx.min.js",)


@dataclass
class WebState(Generic[P]):
    """``navigation(person, path)`` gives the menu a person sees on the page at ``path``."""

    setup: WebSetup
    people: People[P]
    env: Environment
    navigation: Callable[[P | None, str], list[NavLink]]
    throttle: AddressThrottle = field(default_factory=AddressThrottle)


def templates(
    folders: Sequence[Path],
    site: Site,
    filters: Mapping[str, Callable[..., str]],
    **globals_: Any,
) -> Environment:
    """The pages' Jinja2 environment: autoescaped, strict, the service's ``folders`` first."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader([*folders, TEMPLATES])]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update({**FILTERS, **filters})
    env.globals.update(site=site, **globals_)
    return env


def web_state(request: Request) -> WebState[Any]:
    state: WebState[Any] = request.app.state.web
    return state
