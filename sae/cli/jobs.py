"""``gedsae-sae worker`` runs the repository's jobs from the PostgreSQL queue
(``[jobs] queue = "postgresql"``, ``sae.jobs``); ``gedsae-sae jobs`` says what the queue holds."""

from __future__ import annotations

import asyncio
import os
import socket

import click

from kernel.errors import InvalidError
from sae.cli.context import Instance, pass_instance


class NoQueue(InvalidError):
    code = "jobs_queue_absent"
    title = "Pas de file de travaux"


def _queued(instance: Instance) -> None:
    if instance.config().jobs.queue != "postgresql":
        raise NoQueue(
            'Ce dépôt fait son travail de fond lui-même : ajoutez [jobs] queue = "postgresql" '
            "à sae.toml (dépôt sur PostgreSQL) pour le confier à des processus gedsae-sae worker"
        )


@click.command("worker")
@click.option("--name", default=None, help="Nom du processus dans la file (défaut : hôte-pid).")
@click.option("--once", is_flag=True, help="S'arrêter quand la file est vide.")
@click.option(
    "--no-periodic",
    is_flag=True,
    help="Ne pas programmer les travaux périodiques (scellement horaire, audit de 02:00 UTC) : "
    "d'autres workers s'en chargent.",
)
@pass_instance
def worker(instance: Instance, name: str | None, once: bool, no_periodic: bool) -> None:
    """Exécute les travaux du dépôt (contrôles des versements, scellements, audits)."""
    from sae.jobs.worker import WorkerOptions, run_worker

    _queued(instance)
    os.umask(0o077)
    jobs = instance.config().jobs
    options = WorkerOptions(
        name=name or f"{socket.gethostname()}-{os.getpid()}",
        heartbeat_s=jobs.heartbeat_s,
        stalled_after_s=jobs.stalled_after_s,
        wait=not once,
        periodic=not no_periodic,
    )
    run_worker(instance.repository(), options)


@click.command("jobs")
@pass_instance
def jobs(instance: Instance) -> None:
    """Travaux de la file par état, et ceux en échec."""
    from sae.jobs.worker import job_summary

    _queued(instance)
    summary = asyncio.run(job_summary(instance.config().database.url))
    for status, count in sorted(summary.counts.items()):
        click.echo(f"{status} : {count}")
    for line in summary.failed:
        click.echo(f"échec : {line}")
