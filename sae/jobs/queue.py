"""Where the repository's background work goes: ``InProcessJobs`` (the embedded default: the
serving process runs the checks once it has answered, seals on a timer, recovers at start) or
``QueuedJobs`` (PostgreSQL: jobs of ``sae.jobs.tasks`` deferred to the queue that
``gedsae-sae worker`` processes share, on this machine or others).

The queue's tables live in their own schema, ``sae_jobs`` (made by the repository's migrations,
``procrastinate``'s schema): a job names a tenant and an identifier, never a tenant's data, so
those tables stay outside row-level security, which holds every table of the repository's own
schema. A deployment with workers on several machines shares the quarantine folder between them
(the packages the checks read).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy.engine import make_url

from sae.model import Transfer
from sae.ports import JobQueue

if TYPE_CHECKING:  # imported where a queue is used: the embedded default never loads it
    import procrastinate

JOBS_SCHEMA: Final = "sae_jobs"
CHECK_TRANSFER: Final = "sae:check_transfer"  # sae.jobs.tasks.check_transfer
ACCEPT_TRANSFER: Final = "sae:accept_transfer"  # sae.jobs.tasks.accept_transfer


@dataclass(frozen=True)
class JobSettings:
    """``[jobs]`` of sae.toml."""

    queue: str = "in_process"  # or "postgresql"
    heartbeat_s: float = 10.0
    stalled_after_s: float = 60.0


def job_queue(settings: JobSettings, database_url: str) -> JobQueue:
    return QueuedJobs(database_url) if settings.queue == "postgresql" else InProcessJobs()


class InProcessJobs:
    def defer_checks(self, transfer: Transfer) -> bool:
        return False

    def defer_acceptance(self, transfer: Transfer) -> bool:
        return False

    def close(self) -> None:
        return None


class QueuedJobs:
    """Defers to the PostgreSQL queue from the serving process (a small pool of its own)."""

    def __init__(self, database_url: str) -> None:
        import procrastinate

        self.app = procrastinate.App(connector=connector(database_url, sync=True))
        self._opened = False

    def open(self) -> procrastinate.App:
        """The queue's app, opened on first use: a command that defers nothing opens nothing."""
        if not self._opened:
            self.app.open()
            self._opened = True
        return self.app

    def defer_checks(self, transfer: Transfer) -> bool:
        self._defer(CHECK_TRANSFER, f"checks:{transfer.id}", transfer)
        return True

    def defer_acceptance(self, transfer: Transfer) -> bool:
        self._defer(ACCEPT_TRANSFER, f"accept:{transfer.id}", transfer)
        return True

    def _defer(self, task: str, unique: str, transfer: Transfer) -> None:
        job = self.open().configure_task(task, queueing_lock=unique)
        from procrastinate.exceptions import AlreadyEnqueued

        # a job already waiting for this transfer is enough
        with contextlib.suppress(AlreadyEnqueued):
            job.defer(tenant=transfer.organisation, transfer_id=transfer.id)

    def close(self) -> None:
        if self._opened:
            self.app.close()


def connector(database_url: str, *, sync: bool) -> procrastinate.BaseConnector:
    """A connection to the repository's database, its ``sae_jobs`` schema first; ``sync`` for
    a process that only defers (the serving one), async for a worker."""
    import procrastinate

    kwargs: dict[str, Any] = {
        "conninfo": libpq_url(database_url),
        "kwargs": {"options": f"-c search_path={JOBS_SCHEMA}"},
    }
    if sync:
        return procrastinate.SyncPsycopgConnector(**kwargs)
    return procrastinate.PsycopgConnector(**kwargs)


def libpq_url(database_url: str) -> str:
    """SQLAlchemy's ``postgresql+psycopg://`` URL as libpq reads it."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
