"""``gedsae-sae worker``: one process that runs the repository's jobs (``sae.jobs.tasks``) from
the PostgreSQL queue, beside the serving process and as many other workers, on this machine or
others, as the load asks for.

A worker registers itself and beats every ``heartbeat_s`` seconds (procrastinate's workers
table). Every ``heartbeat_s`` too, it looks for jobs left ``doing`` by a worker whose last beat
is older than ``stalled_after_s`` — a worker killed mid-job, its machine gone — and puts them
back in the queue (one more attempt), where any live worker takes them up. The jobs are written
to be run again (``sae.jobs.tasks``). SIGINT or SIGTERM stops the worker once its current job
is done.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from procrastinate.periodic import PeriodicRegistry

from kernel.memory import limit_malloc_arenas
from sae.jobs.queue import connector
from sae.jobs.tasks import app, bind

if TYPE_CHECKING:
    from sae.bootstrap import Repository

log = logging.getLogger("gedsae.sae.jobs")


@dataclass(frozen=True)
class WorkerOptions:
    name: str = "worker"
    heartbeat_s: float = 10.0
    stalled_after_s: float = 60.0
    wait: bool = True  # False: stop once the queue is empty (tests, one-off runs)
    # False: this worker does not defer the periodic jobs (hourly seals, nightly audits) the
    # others defer; a worker started within ``max_delay`` (10 min) of their time defers them.
    periodic: bool = True


def run_worker(repository: Repository, options: WorkerOptions) -> None:
    limit_malloc_arenas()  # as the server: kernel.memory
    bind(repository)
    asyncio.run(_run(repository.config.database.url, options))


async def _run(database_url: str, options: WorkerOptions) -> None:
    registry = app.periodic_registry
    if not options.periodic:
        app.periodic_registry = PeriodicRegistry()  # type: ignore[no-untyped-call]
    try:
        await _work(database_url, options)
    finally:
        app.periodic_registry = registry


async def _work(database_url: str, options: WorkerOptions) -> None:
    with app.replace_connector(connector(database_url, sync=False)):
        async with app.open_async():
            sweeper = asyncio.create_task(_retry_stalled(options))
            try:
                await app.run_worker_async(
                    name=options.name,
                    wait=options.wait,
                    update_heartbeat_interval=options.heartbeat_s,
                    stalled_worker_timeout=options.stalled_after_s,
                    install_signal_handlers=True,
                )
            finally:
                sweeper.cancel()


async def _retry_stalled(options: WorkerOptions) -> None:
    while True:
        await retry_stalled_jobs(options.stalled_after_s)
        await asyncio.sleep(options.heartbeat_s)


async def retry_stalled_jobs(stalled_after_s: float) -> list[int]:
    """Put back in the queue every job of a worker silent for ``stalled_after_s``; their ids."""
    stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after_s)
    retried = []
    for job in stalled:
        await app.job_manager.retry_job(job)
        log.warning("job %s (%s) of a silent worker is queued again", job.id, job.task_name)
        retried.append(job.id or 0)
    return retried


@dataclass(frozen=True)
class JobSummary:
    counts: dict[str, int]  # status → number of jobs
    failed: list[str]  # one line per failed job: id, task, arguments


async def job_summary(database_url: str) -> JobSummary:
    with app.replace_connector(connector(database_url, sync=False)):
        async with app.open_async():
            found = await app.job_manager.list_jobs_async()
    counts: dict[str, int] = {}
    for job in found:
        counts[job.status or "?"] = counts.get(job.status or "?", 0) + 1
    failed = [f"{j.id} {j.task_name} {j.task_kwargs}" for j in found if j.status == "failed"]
    return JobSummary(counts, failed)
