"""The repository's HTTP application: one router per resource (``transfers``, ``review``,
``archives``, ``log``) under ``/api/v1/sae``, hardened headers and offline docs
(``kernel.http_hardening``), RFC 9457 problem+json for every error (``kernel.problems``).

Before the first request the lifespan recovers what a killed process left half-way
(``sae.recovery``, only when alone on the data directory), then seals the log every so often
while serving (``sae.journal.schedule``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kernel import problems
from kernel.http_hardening import hardened_app
from kernel.private_files import tighten, tighten_folder
from sae import recovery
from sae.api import archives, log, review, transfers
from sae.api.deps import VERSION
from sae.bootstrap import SaeConfig, open_database
from sae.journal.schedule import Lifespan, with_periodic_sealing
from sae.tokens import TOKENS
from sae.web import app as pages


def create_app(config: SaeConfig) -> FastAPI:
    db = open_database(config)
    tighten_spools(config)
    app = hardened_app(
        title="gedsae — dépôt d'archives",
        version=VERSION,
        lifespan=closing(
            with_periodic_sealing(
                recovery.lifespan(config.data_dir, db, config.settings, config.offers),
                db,
                config.offers,
                config.sealing,
                config.seal_interval_s,
            ),
            config.closers,
        ),
    )
    app.state.config = config
    app.state.database = db
    problems.install(app)
    for module in (transfers, review, archives, log):
        app.include_router(module.router)
    if config.web is not None:
        pages.install(app, db, config.web)
    return app


def closing(inner: Lifespan, closers: Sequence[Callable[[], object]]) -> Lifespan:
    """``inner``, then what the configuration opened (the previews' sandbox) is closed."""

    @asynccontextmanager
    async def run(app: object) -> AsyncIterator[None]:
        try:
            async with inner(app):
                yield
        finally:
            for close in closers:
                close()

    return run


def tighten_spools(config: SaeConfig) -> None:
    """Received packages and spooled objects left by an earlier version with the umask's mode
    become readable by their owner only."""
    tighten_folder(config.settings.quarantine_dir)
    if config.offers.spool_dir is not None:
        tighten_folder(config.offers.spool_dir)
    tighten([config.data_dir / TOKENS])
