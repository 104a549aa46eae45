"""What the web interface is given at start (``WebSetup``) and keeps while it runs
(``WebState``: the same for every request, reached through ``request.app.state.web``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ged.config import Settings
from ged.domain.accounts import AddressThrottle, SessionPolicy
from ged.services.context import Context
from ged.services.oidc import OidcClient
from ged.web.labels import FILTERS

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

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def web_setup(settings: Settings) -> WebSetup:
    """The setup of ``config.toml``: the session key (made if missing), the session policy and
    the ``[oidc]`` provider, wired by ``ged.bootstrap``."""
    from ged.bootstrap import build_oidc, session_policy, session_secret

    return WebSetup(
        secret_key=session_secret(settings),
        public_url=settings.public_base,
        policy=session_policy(settings),
        oidc=build_oidc(settings),
    )


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


@dataclass
class WebState:
    setup: WebSetup
    throttle: AddressThrottle = field(default_factory=AddressThrottle)
    env: Environment = field(default_factory=templates)


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx
