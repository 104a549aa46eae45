"""Periodic sealing of the repository's log (NF Z42-013: the log is sealed periodically).

Besides the seal made at every acceptance, a thread of the serving process seals every
tenant's chain every ``interval`` seconds, so that rejections, ingests and audits between two
acceptances are covered too. A seal with nothing new since the last one writes nothing (``checkpoints.seal``); a seal
that loses a race to another process is simply retried at the next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sae.journal.checkpoints import CheckpointRaced, Sealing, seal
from sae.ports import Database
from sae.storage.tenants import TenantStorage

log = logging.getLogger("gedsae.sae")
Lifespan = Callable[[object], AbstractAsyncContextManager[None]]


def run_periodically(
    db: Database,
    storage: TenantStorage,
    sealing: Sealing,
    interval: float,
    stop: threading.Event,
) -> None:
    while not stop.wait(interval):
        seal_every_tenant(db, storage, sealing)


def seal_every_tenant(db: Database, storage: TenantStorage, sealing: Sealing) -> None:
    """One seal per tenant; a tenant whose seal fails is retried at the next tick, the others
    are sealed all the same."""
    try:
        with db.platform(write=False) as uow:
            tenants = [tenant.identifier for tenant in uow.tenants.all()]
    except Exception:
        log.exception("periodic seal: tenants unreadable; retried at the next tick")
        return
    for tenant in tenants:
        try:
            seal(db, tenant, storage.offers(tenant), sealing)
        except CheckpointRaced:
            continue
        except Exception:
            log.exception("periodic seal of %s failed; retried at the next tick", tenant)


def with_periodic_sealing(
    inner: Lifespan,
    db: Database,
    storage: TenantStorage,
    sealing: Sealing | None,
    interval: float,
) -> Lifespan:
    """``inner`` (recovery), then a sealing thread for as long as the app serves."""

    @asynccontextmanager
    async def run(app: object) -> AsyncIterator[None]:
        async with inner(app):
            stop = threading.Event()
            if sealing is not None and interval > 0:
                threading.Thread(
                    target=run_periodically,
                    args=(db, storage, sealing, interval, stop),
                    name="sae-sealing",
                    daemon=True,
                ).start()
            try:
                yield
            finally:
                stop.set()

    return run
