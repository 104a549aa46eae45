"""The repository's background work as jobs of its PostgreSQL queue (``[jobs] queue =
"postgresql"``): the serving process defers the checks of a received transfer, a worker runs
them; a job run twice checks once; a job that fails is retried later with back-off; the seals
and audits of a tenant run one at a time; recovery defers rather than runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from connectors.sae_http import SaeHttpConnector
from sae.api.app import create_app
from sae.bootstrap import Repository as Opened
from sae.jobs import tasks
from sae.jobs.queue import JobSettings, QueuedJobs, libpq_url
from sae.jobs.worker import WorkerOptions, run_worker
from sae.journal.log import AUDITED
from sae.model import TransferState
from sae.recovery import recover
from tests.fixtures.sae import PostgresPlatform, TestDatabase, postgres_database
from tests.sae import setup, stored
from tests.sae.test_ingest import AGREEMENTS, TOKENS, build_sip, manifest_sha256

pytestmark = pytest.mark.postgres
# No periodic jobs: run within ten minutes after the hour (or 02:00 UTC), a worker would defer
# the hourly seals (the nightly audits) beside the jobs each test counts.
ONCE = WorkerOptions(name="test", heartbeat_s=0.2, stalled_after_s=1.0, wait=False, periodic=False)


@pytest.fixture
def database(sae_postgres: PostgresPlatform) -> Iterator[TestDatabase]:
    yield from postgres_database(sae_postgres)


@pytest.fixture
def queued(tmp_path: Path, schema_dir: Path, database: TestDatabase) -> Iterator[TestClient]:
    config = replace(
        setup.make_config(tmp_path, database, schema_dir), jobs=JobSettings("postgresql")
    )
    db = database.open()
    try:
        setup.agreements(db, AGREEMENTS)
        setup.tokens(db, TOKENS)
    finally:
        db.dispose()
    with TestClient(create_app(config)) as client:
        yield client


def opened(client: TestClient) -> Opened:
    found: Opened = client.app.state.repository  # type: ignore[attr-defined]
    return found


def submit(client: TestClient, tmp_path: Path, mid: str) -> str:
    connector = SaeHttpConnector(
        str(client.base_url), "ged-token", client, allow_insecure_http=True
    )
    sip = build_sip(tmp_path, mid)
    submission = connector.submit(
        sip, message_identifier=mid, transferring_agency="SERVICE-A",
        manifest_digest=manifest_sha256(sip),
    )  # fmt: skip
    return str(submission.remote_reference)


def jobs(database: TestDatabase) -> list[tuple[str, str, int]]:
    """(task, status, attempts) of every job, oldest first, read as the owner would."""
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        rows = conn.execute(
            "SELECT task_name, status::text, attempts FROM sae_jobs.procrastinate_jobs ORDER BY id"
        ).fetchall()
    return [(str(t), str(s), int(a)) for t, s, a in rows]


def state(client: TestClient, transfer_id: str) -> TransferState:
    return stored.transfer(opened(client).db, "ARCH", transfer_id).state


def test_the_checks_of_a_received_transfer_wait_for_a_worker(
    queued: TestClient, tmp_path: Path, database: TestDatabase
) -> None:
    transfer_id = submit(queued, tmp_path, "TR-JOB-1")
    assert state(queued, transfer_id) is TransferState.RECEIVED  # not run by the server
    assert jobs(database) == [("sae:check_transfer", "todo", 0)]
    run_worker(opened(queued), ONCE)
    assert state(queued, transfer_id) is TransferState.AWAITING_REVIEW
    transfer = stored.transfer(opened(queued).db, "ARCH", transfer_id)
    assert transfer.checks_passed, transfer.issues
    assert jobs(database) == [("sae:check_transfer", "succeeded", 1)]  # attempts made


def test_a_job_run_again_after_its_checks_ended_checks_nothing(
    queued: TestClient, tmp_path: Path
) -> None:
    transfer_id = submit(queued, tmp_path, "TR-JOB-TWICE")
    run_worker(opened(queued), ONCE)
    before = [e.action for e in stored.entries(opened(queued).db, "ARCH")]
    tasks.check_transfer("ARCH", transfer_id)  # what a second run of the same job does
    after = [e.action for e in stored.entries(opened(queued).db, "ARCH")]
    assert after == before and before.count("transfer.checked") == 1


def test_a_failing_job_is_retried_later_then_succeeds(
    queued: TestClient, tmp_path: Path, database: TestDatabase
) -> None:
    transfer_id = submit(queued, tmp_path, "TR-JOB-RETRY")
    database.fail_inserts("operation_log", action="transfer.checked")
    run_worker(opened(queued), ONCE)
    ((_, status, attempts),) = jobs(database)
    assert (status, attempts) == ("todo", 1)  # back in the queue, for later (back-off)
    assert state(queued, transfer_id) is TransferState.RECEIVED  # nothing half-recorded
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        (later,) = conn.execute(
            "SELECT scheduled_at > now() FROM sae_jobs.procrastinate_jobs"
        ).fetchone() or (None,)
    assert later is True
    database.repair("operation_log")
    with psycopg.connect(libpq_url(database.owner_url)) as conn:  # "later" is now
        conn.execute("UPDATE sae_jobs.procrastinate_jobs SET scheduled_at = now()")
    run_worker(opened(queued), ONCE)
    assert jobs(database) == [("sae:check_transfer", "succeeded", 2)]
    assert state(queued, transfer_id) is TransferState.AWAITING_REVIEW


def test_recovery_defers_the_checks_once(
    queued: TestClient, tmp_path: Path, database: TestDatabase
) -> None:
    transfer_id = submit(queued, tmp_path, "TR-JOB-RECOVER")
    repository = opened(queued)
    report = recover(repository.db, repository.config.settings, repository.storage, repository.jobs)
    assert report.rechecked == [transfer_id]
    assert jobs(database) == [("sae:check_transfer", "todo", 0)]  # the job waiting is enough


def test_the_periodic_audit_defers_one_job_per_tenant_under_its_lock(
    queued: TestClient, database: TestDatabase
) -> None:
    repository = opened(queued)
    assert isinstance(repository.jobs, QueuedJobs)
    timestamp = int(datetime.now(UTC).timestamp())
    repository.jobs.open().configure_task("sae:audit_every_tenant").defer(timestamp=timestamp)
    run_worker(repository, ONCE)  # the periodic job, then the audits it deferred
    listed = jobs(database)
    assert sorted(task for task, _, _ in listed) == [
        "sae:audit_every_tenant", "sae:audit_tenant", "sae:audit_tenant"
    ]  # fmt: skip
    assert {status for _, status, _ in listed} == {"succeeded"}
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        locks = conn.execute(
            "SELECT lock FROM sae_jobs.procrastinate_jobs WHERE lock IS NOT NULL"
        ).fetchall()
    assert sorted(lock for (lock,) in locks) == ["tenant:ARCH", "tenant:OTHER"]
    assert AUDITED in [e.action for e in stored.entries(repository.db, "ARCH")]


ARCHIVIST = {"Authorization": "Bearer archivist-token"}


def test_an_accepted_transfer_is_written_by_a_worker_under_the_archivists_name(
    queued: TestClient, tmp_path: Path, database: TestDatabase
) -> None:
    transfer_id = submit(queued, tmp_path, "TR-JOB-ACCEPT")
    run_worker(opened(queued), ONCE)  # the checks
    url = f"/api/v1/sae/review/transfers/{transfer_id}/accept"
    answered = queued.post(url, json={"comment": "Conforme"}, headers=ARCHIVIST)
    assert answered.status_code == 202, answered.text
    assert answered.json()["state"] == "accepting"
    claimed = stored.transfer(opened(queued).db, "ARCH", transfer_id)
    assert (claimed.decided_by, claimed.comment) == ("alice", "Conforme")
    assert queued.post(url, json={}, headers=ARCHIVIST).status_code == 409  # one decision wins
    run_worker(opened(queued), ONCE)  # the acceptance
    done = stored.transfer(opened(queued).db, "ARCH", transfer_id)
    assert done.state is TransferState.ACCEPTED and done.replied
    assert done.archive_identifiers
    accepted = [
        e for e in stored.entries(opened(queued).db, "ARCH") if e.action == "transfer.accepted"
    ]
    assert [e.actor for e in accepted] == ["alice"]
    assert [t for t, _, _ in jobs(database)] == ["sae:check_transfer", "sae:accept_transfer"]
    tasks.accept_transfer("ARCH", transfer_id)  # run again: nothing more written
    again = [
        e for e in stored.entries(opened(queued).db, "ARCH") if e.action == "transfer.accepted"
    ]
    assert len(again) == 1


def test_recovery_leaves_an_acceptance_to_the_workers(
    queued: TestClient, tmp_path: Path, database: TestDatabase
) -> None:
    transfer_id = submit(queued, tmp_path, "TR-JOB-RESUME")
    run_worker(opened(queued), ONCE)
    url = f"/api/v1/sae/review/transfers/{transfer_id}/accept"
    assert queued.post(url, json={}, headers=ARCHIVIST).status_code == 202
    repository = opened(queued)
    report = recover(repository.db, repository.config.settings, repository.storage, repository.jobs)
    assert report.resumed == [transfer_id] and report.rolled_back == []
    assert state(queued, transfer_id) is TransferState.ACCEPTING
    run_worker(repository, ONCE)
    assert state(queued, transfer_id) is TransferState.ACCEPTED
