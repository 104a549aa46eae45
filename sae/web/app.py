"""Wires the repository's pages into its FastAPI application (``install``): its people
(``sae.people.login``, on the repository's database and each tenant's journal, the login page's
tenant chosen by ``sae.web.tenant``), its menu, its templates and its routers, installed by the
kernel's web machinery (``kernel.web.app``)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from kernel.accounts.passwords import Argon2Passwords
from kernel.web.app import install as install_pages
from kernel.web.setup import WebSetup, WebState
from sae.bootstrap import Repository
from sae.people.login import people
from sae.web.setup import navigation, sae_templates
from sae.web.tenant import RequestedTenant, requested_tenant
from sae.web.views import catalogue, home, journal, preview, transfers

ROUTERS = (home, transfers, preview, catalogue, journal)


def utc_now() -> datetime:
    return datetime.now(UTC)


def install(app: FastAPI, opened: Repository, setup: WebSetup) -> None:
    bound = people(opened.db, Argon2Passwords(), utc_now, requested_tenant)
    state = WebState(setup, bound, sae_templates(), navigation)
    install_pages(app, state, [m.router for m in ROUTERS])
    app.add_middleware(RequestedTenant, db=opened.db, default=opened.config.default_tenant)
