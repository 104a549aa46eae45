"""The repository's HTTP application: one router per resource (``transfers``, ``review``,
``archives``, ``deliveries``, ``restitutions``, ``eliminations`` (and the producers'
mailbox) and ``access`` (derogations, access register), ``log``, and the
platform's ``tenants``) under ``/api/v1/sae``, As@lae's REST services under ``/restservices``
for the senders that speak only that (``sae.api.asalae``), Vitam's ingest-external on the
mutual-TLS listener (``sae.api.vitam``), hardened headers
and offline docs (``kernel.http_hardening``), RFC 9457 problem+json for every error
(``kernel.problems``).

Before the first request the lifespan recovers what a killed process left half-way
(``sae.recovery``, only when alone on the data directory), then seals every tenant's log every
so often while serving (``sae.journal.schedule``); the database is closed with the app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from kernel import problems
from kernel.http_hardening import hardened_app
from kernel.openapi_problems import describe_problems
from kernel.private_files import tighten_folder
from sae import recovery
from sae.api import (
    access,
    archives,
    asalae,
    deliveries,
    eliminations,
    log,
    platform,
    restitutions,
    review,
    transfers,
    vitam,
)
from sae.api.deps import VERSION
from sae.bootstrap import Repository, SaeConfig, open_repository
from sae.journal.schedule import with_periodic_sealing
from sae.web import app as pages


def create_app(config: SaeConfig) -> FastAPI:
    opened = open_repository(config)
    tighten_spools(config)
    app = hardened_app(
        title="gedsae — dépôt d'archives",
        version=VERSION,
        lifespan=_closing(opened, _lifespan(opened)),
    )
    app.state.repository = opened
    problems.install(app)
    describe_problems(app)
    routers = (transfers, review, archives, deliveries, restitutions, eliminations, access)
    for module in (*routers, log, platform, asalae, vitam):
        app.include_router(module.router)
    if config.web is not None:
        pages.install(app, opened, config.web)
    return app


Lifespan = Callable[[object], AbstractAsyncContextManager[None]]


def _lifespan(opened: Repository) -> Lifespan:
    config = opened.config
    return with_periodic_sealing(
        recovery.lifespan(config.data_dir, opened.db, config.settings, opened.storage, opened.jobs),
        opened.db,
        opened.storage,
        config.sealing,
        config.seal_interval_s,
    )


def _closing(opened: Repository, inner: Lifespan) -> Lifespan:
    """``inner``, then the repository and what the configuration opened (the previews'
    sandbox) are closed."""

    @asynccontextmanager
    async def run(app: object) -> AsyncIterator[None]:
        try:
            async with inner(app):
                yield
        finally:
            opened.close()
            for close in opened.config.closers:
                close()

    return run


def tighten_spools(config: SaeConfig) -> None:
    """Received packages and spooled objects left by an earlier version with the umask's mode
    become readable by their owner only."""
    tighten_folder(config.settings.quarantine_dir)
    tighten_folder(config.spool_dir)
