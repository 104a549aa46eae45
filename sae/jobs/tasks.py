"""What each job of the repository's queue does (procrastinate tasks, in the blueprint both the
serving process, which defers them, and the workers, which run them, load).

- ``check_transfer(tenant, transfer_id)``: the ingest checks of a received transfer
  (``sae.ingest.checks.run_checks``); a transfer no longer ``received`` (its checks ended in a
  run a killed worker did not get to mark done) is left as it is, so a job run twice checks once.
  One job per transfer at a time (``queueing_lock``).
- ``accept_transfer(tenant, transfer_id)``: the archive of a transfer an archivist accepted
  (``sae.review.decisions.complete_acceptance``: objects written to every offer, catalogue,
  reply, log entry, then a seal); run again, it writes once. One job per transfer.
- ``seal_tenant(tenant)`` and ``audit_tenant(tenant)``: a seal of the tenant's log, an audit of
  its offers; both write to the tenant's hash chain, so they run one at a time per tenant
  (``lock``), in the order deferred.
- ``seal_every_tenant`` (hourly) and ``audit_every_tenant`` (daily, at 02:00 UTC): periodic, they
  defer one job per tenant.

Every job is retried with exponential back-off (2, 4, 8, 16 s) up to five attempts: a database
or an offer that comes back is waited for; what still fails is left ``failed`` in the queue,
where ``gedsae-sae jobs`` shows it. The jobs run with the repository the worker opened
(``bind``): the same database, offers and settings as the serving process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import procrastinate

from sae.ingest.checks import run_checks
from sae.journal.checkpoints import CheckpointRaced, seal, sealer
from sae.journal.log import log_audit
from sae.model import TransferState
from sae.review.decisions import PackageAltered, complete_acceptance
from sae.storage.audit import audit

if TYPE_CHECKING:
    from sae.bootstrap import Repository

log = logging.getLogger("gedsae.sae.jobs")
RETRY: Final = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=2)
# The one app of this process; its connector is given where it runs (``sae.jobs.worker``, which
# replaces this lazy one). The serving process defers by task name (``sae.jobs.queue``).
app = procrastinate.App(connector=procrastinate.PsycopgConnector())


@dataclass
class _Bound:
    repository: Repository | None = None


_bound = _Bound()


def bind(repository: Repository) -> None:
    """The opened repository the jobs of this process work on."""
    _bound.repository = repository


def _repository() -> Repository:
    if _bound.repository is None:
        raise RuntimeError("no repository bound: start jobs with sae.jobs.worker")
    return _bound.repository


@app.task(name="sae:check_transfer", retry=RETRY)
def check_transfer(tenant: str, transfer_id: str) -> None:
    repository = _repository()
    with repository.db.reading(tenant) as uow:
        transfer = uow.transfers.get(transfer_id)
    if transfer.state is not TransferState.RECEIVED:
        log.info("transfer %s already checked (%s): nothing to do", transfer_id, transfer.state)
        return
    run_checks(repository.db, repository.config.settings, transfer)


@app.task(name="sae:accept_transfer", retry=RETRY)
def accept_transfer(tenant: str, transfer_id: str) -> None:
    repository = _repository()
    offers = repository.storage.offers(tenant)
    seal = sealer(repository.db, tenant, offers, repository.config.sealing)
    try:
        complete_acceptance(repository.db, offers, tenant, transfer_id, seal=seal)
    except PackageAltered:
        log.warning("transfer %s altered in quarantine: back to the archivist", transfer_id)


@app.task(name="sae:seal_tenant", retry=RETRY)
def seal_tenant(tenant: str) -> None:
    repository = _repository()
    if repository.config.sealing is None:
        return
    try:
        seal(repository.db, tenant, repository.storage.offers(tenant), repository.config.sealing)
    except CheckpointRaced:
        log.info("seal of %s raced another process: its seal covers the same entries", tenant)


@app.task(name="sae:audit_tenant", retry=RETRY)
def audit_tenant(tenant: str) -> None:
    repository = _repository()
    offers = repository.storage.offers(tenant)
    log_audit(repository.db, tenant, audit(offers.offers, offers.registry))


def _tenants() -> list[str]:
    repository = _repository()
    with repository.db.platform(write=False) as uow:
        return [tenant.identifier for tenant in uow.tenants.all()]


@app.periodic(cron="0 * * * *")
@app.task(name="sae:seal_every_tenant")
def seal_every_tenant(timestamp: int) -> None:
    for tenant in _tenants():
        seal_tenant.configure(lock=f"tenant:{tenant}").defer(tenant=tenant)


@app.periodic(cron="0 2 * * *")
@app.task(name="sae:audit_every_tenant")
def audit_every_tenant(timestamp: int) -> None:
    for tenant in _tenants():
        audit_tenant.configure(lock=f"tenant:{tenant}").defer(tenant=tenant)
