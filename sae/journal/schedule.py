"""Periodic sealing of the repository's log (NF Z42-013: the log is sealed periodically).

Besides the seal made at every acceptance, a thread of the serving process seals every
``interval`` seconds, so that rejections, ingests and audits between two acceptances are covered
too. A seal with nothing new since the last one writes nothing (``checkpoints.seal``); a seal
that loses a race to another process is simply retried at the next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sae.journal.checkpoints import CheckpointRaced, Sealing, seal
from sae.ports import Database
from sae.storage.offers import StorageOffers

log = logging.getLogger("gedsae.sae")
Lifespan = Callable[[object], AbstractAsyncContextManager[None]]


def run_periodically(
    db: Database,
    offers: StorageOffers,
    sealing: Sealing,
    interval: float,
    stop: threading.Event,
) -> None:
    while not stop.wait(interval):
        try:
            seal(db, offers, sealing)
        except CheckpointRaced:
            continue
        except Exception:
            log.exception("periodic seal failed; retried at the next tick")


def with_periodic_sealing(
    inner: Lifespan,
    db: Database,
    offers: StorageOffers,
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
                    args=(db, offers, sealing, interval, stop),
                    name="sae-sealing",
                    daemon=True,
                ).start()
            try:
                yield
            finally:
                stop.set()

    return run
