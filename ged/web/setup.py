"""What the GED's web interface is given at start (the kernel's ``WebSetup``, read from
``config.toml`` by ``web_setup``) and its templates: the GED's own (``templates/``) before the
kernel's base layout, login and error pages (``kernel.web``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from jinja2 import Environment

from ged.config import Settings
from ged.presentation import labels
from ged.services.context import Context
from ged.web.labels import FILTERS
from kernel.web.setup import Site, templates
from kernel.web.setup import WebSetup as WebSetup
from kernel.web.setup import WebState as WebState
from kernel.web.setup import web_state as web_state

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SITE = Site(
    name="gedsae",
    tagline="Documents et archives",
    title="gedsae",
    home_label="au tableau de bord",
    links=(("Glossaire", "/glossaire"),),
    scripts=("/static/htmx.min.js", "/static/gedsae.js"),
)


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


def ged_templates() -> Environment:
    """The GED's templates, its French filters, and its vocabulary as ``labels``."""
    return templates([TEMPLATES], SITE, FILTERS, labels=labels)


def context_of(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx
