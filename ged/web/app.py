"""Wires the web interface into the FastAPI application that serves the API: ``install``.

The pages live at ``/`` beside the API (``/api/v1``), installed by the kernel's web machinery
(``kernel.web.app``: sessions, ``/static``, login pages, French error pages); here, the GED's
people (``ged.services.login.people``), its menu, its templates and one router per area.
"""

from __future__ import annotations

from types import ModuleType

from fastapi import FastAPI

from ged.services.login import people
from ged.web.render import navigation
from ged.web.setup import WebSetup, WebState, ged_templates
from ged.web.views import (
    administration,
    agreements,
    bindings,
    dashboard,
    documents,
    dossiers,
    eliminations,
    forecast,
    glossary,
    holds,
    plan,
    rules,
    search,
    tokens,
    transfers,
    upload,
    visas,
)
from ged.web.views import (
    people as people_pages,
)
from kernel.web.app import install as install_pages

ROUTERS: tuple[ModuleType, ...] = (
    dashboard,
    plan,
    dossiers,
    documents,
    upload,
    search,
    glossary,
    visas,
    administration,
    people_pages,
    tokens,
    agreements,
)
# the records officer's screens
ROUTERS += (rules, holds, bindings, forecast, eliminations, transfers)


def install(app: FastAPI, setup: WebSetup) -> None:
    state = WebState(setup, people(app.state.context), ged_templates(), navigation)
    install_pages(app, state, [m.router for m in ROUTERS], static=[("ged.web", "static")])
