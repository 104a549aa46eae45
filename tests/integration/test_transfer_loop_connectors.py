"""The whole transfer loop once per connector kind (issue 6): the GED prepares its own SIP from a
due dossier under an archival agreement, ``transfer_runner.start`` pushes it through the
agreement's connector, the scheduler's pass (``run_due``) polls, and the repository's verified
reply decides: acceptance makes the dossier permanent and drops the SIP from the spool, rejection
returns it to ``due`` with every reason kept.

Each repository is the scripted remote of its connector's tests (tests/integration/
scripted_repositories.py): HTTP ones behind ``httpx.MockTransport``, the drop folder on tmp
folders, SFTP through a real sshd on loopback (skipped without sshd, failing when CI=true).
``sae_http`` runs on both databases, the others on SQLite: the database is not what they test.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from connectors.base import Connector
from connectors.config import ConnectorMisconfigured
from ged.domain.lifecycle import BindingTarget, Phase
from ged.services import rules, transfer_runner
from ged.services.agreements import Agreement, AgreementMisconfigured
from ged.services.ports import TransferRecord, TransferState
from ged.services.transfer_loop import get_transfer, list_transfers
from ged.services.transfer_setup import PackageSigner, TransferSetup
from ged.services.transfer_state import backoff
from seda.sip import SipLayout
from seda.v1.reader import read_transfer_v1
from seda.validate import ValidationOptions, validate_path
from seda.versions import ALL_VERSIONS, SEDA_1_0, SedaVersion
from tests.fixtures.ged import Ged, make_ged
from tests.integration.scripted_repositories import (
    MANIFEST,
    SIGNATURE,
    TRANSFERRING_AGENCY,
    AsalaeRepository,
    AsalaeSeda1Repository,
    DropFolderRepository,
    MaarchRepository,
    SaeHttpRepository,
    ScriptedRepository,
    SftpRepository,
    VitamRepository,
    sha256,
    zip_members,
)
from tests.integration.test_transfer_loop import due_dossier, phase, transfer_log

AGREEMENT = "ad35"
KINDS = ("sae_http", "vitam", "asalae", "maarch_rm", "drop_folder", "sftp")
CASES = [pytest.param(kind, "sqlite", id=f"{kind}-sqlite") for kind in KINDS] + [
    pytest.param("sae_http", "postgres", id="sae_http-postgres", marks=pytest.mark.postgres)
]


@pytest.fixture
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> ScriptedRepository:
    kind: str = request.param
    if kind == "sftp":
        return SftpRepository(request.getfixturevalue("sshd_server"), tmp_path)
    if kind == "drop_folder":
        return DropFolderRepository(tmp_path)
    simple: dict[str, type[ScriptedRepository]] = {
        "sae_http": SaeHttpRepository,
        "vitam": VitamRepository,
        "asalae": AsalaeRepository,
        "maarch_rm": MaarchRepository,
    }
    return simple[kind]()


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ged]:
    """The GED on the case's database (the ``ged`` fixture would run every case on both)."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else ""
    home = tmp_path / "ged"
    home.mkdir()
    made = make_ged(home, url)
    yield made
    made.engine.dispose()


def setup_for(repository: ScriptedRepository, spool: Path, signer: PackageSigner) -> TransferSetup:
    agreement = Agreement(
        name=AGREEMENT,
        connector=f"{repository.kind}-test",
        seda_version=SedaVersion.V2_2,
        archival_agency="FR_AD_35",
        transferring_agency=TRANSFERRING_AGENCY,
        organisation="Département de test",
        archival_agreement="ACCORD-2026-01",
        sign_package=repository.sign_package,
        sip_layout=repository.layout,
    )

    def connector(name: str) -> Connector:
        if name != agreement.connector:
            raise ConnectorMisconfigured(f"connecteur {name} absent de config.toml")
        return repository.connector()

    return TransferSetup({AGREEMENT: agreement}, connector, spool, signer)


def pushed(repository: ScriptedRepository, setup: TransferSetup, ged: Ged) -> TransferRecord:
    """Every due dossier to keep, pushed; the repository holds exactly the GED's package."""
    record = transfer_runner.start(setup, ged.ctx, ged.admin, AGREEMENT)
    assert (record.state, record.connector) == (TransferState.SENT, repository.kind)
    sip = Path(record.sip_path)
    assert sip.parent == setup.spool and sip.name == f"{record.message_identifier}.zip"
    with zipfile.ZipFile(sip) as archive:
        names = archive.namelist()
    assert (SIGNATURE in names) is repository.sign_package
    assert record.signature is not None
    assert record.signature["in_package"] is repository.sign_package

    uploaded, members = repository.received(record.message_identifier)
    expected = zip_members(sip.read_bytes())
    if not repository.keeps_signature:
        expected.pop(SIGNATURE, None)
    assert members == expected and MANIFEST in members
    assert (sha256(uploaded) == record.sip_sha256) is repository.verbatim
    assert any(h["request_sha256"] == sha256(uploaded) for h in record.history)
    return record


def first_poll(repository: ScriptedRepository, setup: TransferSetup, ged: Ged) -> TransferRecord:
    """The scheduler's next pass, before anyone decides: acknowledged, or still waiting."""
    report = transfer_runner.run_due(setup, ged.ctx, ged.admin)
    assert (report.polled, report.resent, report.failed) == (1, 0, ())
    (record,) = list_transfers(ged.ctx, ged.admin)
    waiting = TransferState.ACKNOWLEDGED if repository.acknowledges else TransferState.SENT
    assert (record.state, record.acknowledged) == (waiting, repository.acknowledges)
    assert record.next_attempt_at is not None and record.next_attempt_at > ged.clock()
    return record


def replied(setup: TransferSetup, ged: Ged, mid: str) -> TransferRecord:
    """One pass once the poll is due again: the reply is there, so the transfer ends."""
    ged.clock.advance(hours=1)
    report = transfer_runner.run_due(setup, ged.ctx, ged.admin)
    assert (report.polled, report.failed) == (1, ())
    return get_transfer(ged.ctx, ged.admin, mid)


def states(repository: ScriptedRepository, end: str) -> list[tuple[str | None, str]]:
    path = ["prepared", "sent", *(["acknowledged"] if repository.acknowledges else []), end]
    return list(zip([None, *path[:-1]], path, strict=True))


def exchanges_are_this_transfers(record: TransferRecord, kind: str) -> None:
    assert record.history, "every request and reply is in the transfer's history"
    assert {h["connector"] for h in record.history} == {kind}
    assert {h["message_identifier"] for h in record.history} == {record.message_identifier}
    assert all(h["error"] is None for h in record.history)


@pytest.mark.parametrize(("repository", "database"), CASES, indirect=True)
def test_accepted_transfer_makes_the_dossier_permanent_and_leaves_the_spool(
    repository: ScriptedRepository, database: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    ged, setup = database, setup_for(repository, tmp_path / "spool", signer)
    dossier_id = due_dossier(ged)
    record = pushed(repository, setup, ged)
    mid = record.message_identifier
    assert record.dossiers == (dossier_id,) and phase(ged, dossier_id) is Phase.TRANSFERRING
    repository.receive(mid)
    first_poll(repository, setup, ged)
    assert phase(ged, dossier_id) is Phase.TRANSFERRING

    archive_ids = repository.accept(get_transfer(ged.ctx, ged.admin, mid))
    done = replied(setup, ged, mid)
    assert done.state is TransferState.ACCEPTED and done.reasons == ()
    assert done.outcome is not None
    assert done.outcome["transfer_identifier"] == mid
    assert done.outcome["archive_identifiers"] == list(archive_ids)
    assert phase(ged, dossier_id) is Phase.PERMANENT
    with ged.ctx.uow() as uow:
        state = uow.lifecycle.get_state(dossier_id)
    assert state is not None and state.transfer_verified
    assert not Path(done.sip_path).exists() and list(setup.spool.iterdir()) == []
    assert transfer_log(ged, mid) == states(repository, "accepted")
    exchanges_are_this_transfers(done, repository.kind)
    # a finished transfer is left alone by the scheduler
    ged.clock.advance(days=1)
    assert transfer_runner.run_due(setup, ged.ctx, ged.admin).polled == 0


@pytest.mark.parametrize(("repository", "database"), CASES, indirect=True)
def test_rejected_transfer_keeps_its_reasons_and_returns_the_dossier_to_due(
    repository: ScriptedRepository, database: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    ged, setup = database, setup_for(repository, tmp_path / "spool", signer)
    dossier_id = due_dossier(ged)
    record = pushed(repository, setup, ged)
    mid = record.message_identifier
    repository.receive(mid)
    first_poll(repository, setup, ged)

    reasons = repository.reject(get_transfer(ged.ctx, ged.admin, mid))
    done = replied(setup, ged, mid)
    assert done.state is TransferState.REJECTED
    assert len(done.reasons) == len(reasons)
    assert all(kept.startswith(r) for kept, r in zip(done.reasons, reasons, strict=True))
    assert done.outcome is not None and done.outcome["transfer_identifier"] == mid
    assert done.outcome["archive_identifiers"] == []
    assert phase(ged, dossier_id) is Phase.DUE
    assert Path(done.sip_path).exists()  # kept in the spool for inspection
    assert transfer_log(ged, mid) == states(repository, "rejected")
    exchanges_are_this_transfers(done, repository.kind)
    assert transfer_runner.due_dossiers(ged.ctx, ged.admin) == [dossier_id]


@pytest.mark.parametrize("request_identifier", ["", "Unknown"], ids=["empty", "unknown"])
def test_vitam_early_rejection_without_our_identifier_returns_the_dossier_to_due(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner, request_identifier: str
) -> None:
    repository = VitamRepository()
    ged, setup = sqlite_ged, setup_for(repository, tmp_path / "spool", signer)
    dossier_id = due_dossier(ged)
    pushed(repository, setup, ged)
    record = first_poll(repository, setup, ged)
    repository.reject_early(record, request_identifier)
    ged.clock.advance(hours=1)
    transfer_runner.run_due(setup, ged.ctx, ged.admin)
    done = get_transfer(ged.ctx, ged.admin, record.message_identifier)
    assert (done.state, done.last_error_code) == (TransferState.REJECTED, None)
    assert done.reasons and done.reasons[0].startswith("STP_INGEST_CONTROL_SIP KO")
    assert phase(ged, dossier_id) is Phase.DUE


def test_asalae_accepting_several_dossiers_gives_each_dossier_its_archive_identifier(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    repository = AsalaeRepository()
    ged, setup = sqlite_ged, setup_for(repository, tmp_path / "spool", signer)
    due = {due_dossier(ged, "Tables décennales"), due_dossier(ged, "Registres matricules")}
    record = pushed(repository, setup, ged)
    assert set(record.dossiers) == due
    first_poll(repository, setup, ged)
    units = repository.accept_each(record)
    done = replied(setup, ged, record.message_identifier)
    assert (done.state, done.last_error_code) == (TransferState.ACCEPTED, None)
    assert done.outcome is not None
    assert done.outcome["dossier_archives"] == {
        dossier: [unit] for dossier, unit in zip(record.dossiers, units, strict=True)
    }
    assert {phase(ged, dossier) for dossier in due} == {Phase.PERMANENT}


def stored_reply(ged: Ged, mid: str) -> bytes | None:
    with ged.ctx.uow() as uow:
        return uow.transfers.get_reply(mid)


def rejected_by_asalae(
    ged: Ged, tmp_path: Path, signer: PackageSigner, reason: str
) -> tuple[TransferRecord, bytes, TransferRecord]:
    """A due dossier pushed to As@lae, which rejects it (ReplyCode 300) with ``reason`` as
    its comment: the record pushed, the raw reply, the record once the reply is read."""
    repository = AsalaeRepository()
    setup = setup_for(repository, tmp_path / "spool", signer)
    due_dossier(ged)
    record = pushed(repository, setup, ged)
    first_poll(repository, setup, ged)
    reply = repository.reject_with_comment(record, "300", reason)
    return record, reply, replied(setup, ged, record.message_identifier)


def test_asalae_rejection_keeps_the_reason_of_its_comment_and_the_raw_reply(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    reason = "Le profil d'archivage PR-ETAT-CIVIL n'est pas autorisé par l'accord"
    ged = sqlite_ged
    record, reply, done = rejected_by_asalae(ged, tmp_path, signer, reason)
    assert done.state is TransferState.REJECTED
    assert done.reasons == ("ReplyCode 300", f"Commentaire : {reason}")
    assert done.outcome is not None and done.outcome["comments"] == [reason]
    assert stored_reply(ged, record.message_identifier) == reply


def test_a_large_reply_is_stored_compressed_and_read_back_as_received(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    reason = "Profil non autorisé. " * 20_000  # a reply of some 400 KiB
    ged = sqlite_ged
    record, reply, _ = rejected_by_asalae(ged, tmp_path, signer, reason)

    assert stored_reply(ged, record.message_identifier) == reply
    with ged.ctx.uow() as uow:
        raw = uow.conn.execute(
            text("SELECT encoding, length(content), size FROM transfer_replies")
        ).one()
    assert (raw[0], raw[2]) == ("zlib", len(reply)) and raw[1] < len(reply) // 10


def test_vitam_rejection_keeps_every_event_with_its_detail_data_and_the_raw_reply(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    repository = VitamRepository()
    ged, setup = sqlite_ged, setup_for(repository, tmp_path / "spool", signer)
    due_dossier(ged)
    record = pushed(repository, setup, ged)
    first_poll(repository, setup, ged)
    repository.reject(record)
    done = replied(setup, ged, record.message_identifier)
    assert done.state is TransferState.REJECTED and done.outcome is not None
    events = done.outcome["events"]
    assert [(e["type_code"], e["outcome"]) for e in events] == [
        ("STP_INGEST_CONTROL_SIP", "KO"),
        ("CHECK_HEADER", "KO"),
        ("CHECK_HEADER.CHECK_IC_AP_RELATION", "KO"),
    ]
    assert events[1]["outcome_detail"] == "CHECK_HEADER.DIFF.KO"
    assert '"ArchivalAgreement":"CE-000039"' in events[1]["detail_data"]  # kept as written
    # which profile, agency or rule Vitam refused: only there
    assert "The profile null was not found in the ingest contract" in done.reasons[1]
    assert stored_reply(ged, record.message_identifier) == repository.reply_of(record)


def test_vitam_receives_the_manifests_digest_with_every_push(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    repository = VitamRepository()
    ged, setup = sqlite_ged, setup_for(repository, tmp_path / "spool", signer)
    due_dossier(ged)
    repository.remote.failures.append(httpx.Response(503, text="maintenance"))  # first push
    record = transfer_runner.start(setup, ged.ctx, ged.admin, AGREEMENT)
    assert record.state is TransferState.ERROR_SENDING
    ged.clock.advance(hours=1)
    assert transfer_runner.run_due(setup, ged.ctx, ged.admin).resent == 1
    manifest = zip_members(Path(record.sip_path).read_bytes())[MANIFEST]
    pushes = [r for r in repository.remote.requests if r.method == "POST"]
    assert len(pushes) == 2  # the push that failed, then the one the scheduler made
    for push in pushes:
        assert push.headers["X-Manifest-Digest-Algo"] == "SHA-256"
        assert push.headers["X-Manifest-Digest-Value"] == sha256(manifest)


@pytest.mark.parametrize(
    ("repository", "mistake"),
    [
        ("vitam", {"sign_package": True}),
        ("asalae", {"seda_version": SedaVersion.V2_3}),
        ("maarch_rm", {"sip_layout": SipLayout.CONTENT}),
    ],
    indirect=["repository"],
)
def test_an_agreement_its_connector_cannot_honour_is_refused_before_anything_is_sent(
    repository: ScriptedRepository,
    mistake: dict[str, object],
    sqlite_ged: Ged,
    tmp_path: Path,
    signer: PackageSigner,
) -> None:
    ged, setup = sqlite_ged, setup_for(repository, tmp_path / "spool", signer)
    wrong = replace(setup.agreements[AGREEMENT], **mistake)  # type: ignore[arg-type]
    setup = replace(setup, agreements={AGREEMENT: wrong})
    dossier_id = due_dossier(ged)
    with pytest.raises(AgreementMisconfigured) as refused:
        transfer_runner.start(setup, ged.ctx, ged.admin, AGREEMENT)
    assert [i.path for i in refused.value.issues] == list(mistake)
    assert refused.value.code == "agreement_misconfigured"  # never a repository's rejection
    assert list_transfers(ged.ctx, ged.admin) == []
    assert phase(ged, dossier_id) is Phase.DUE
    assert not setup.spool.exists() or list(setup.spool.iterdir()) == []
    assert repository.remote.requests == []  # type: ignore[attr-defined]


def test_a_workflow_vitam_lacks_is_a_configuration_error_not_a_rejection(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    repository = VitamRepository(context_id="BLANK_TEST")
    repository.remote.workflows = ("DEFAULT_WORKFLOW",)  # this platform has no dry run
    ged, setup = sqlite_ged, setup_for(repository, tmp_path / "spool", signer)
    dossier_id = due_dossier(ged)
    record = transfer_runner.start(setup, ged.ctx, ged.admin, AGREEMENT)
    assert (record.state, record.last_error_code) == (
        TransferState.ERROR_SENDING,
        "vitam_workflow_unknown",
    )
    assert record.reasons == () and "context_id" in (record.last_error_message or "")
    assert phase(ged, dossier_id) is Phase.TRANSFERRING  # nothing judged: not back to due


def test_a_refused_token_is_retried_with_backoff_until_the_deadline_and_says_why(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    repository = SaeHttpRepository()
    ged, setup = sqlite_ged, setup_for(repository, tmp_path / "spool", signer)
    due_dossier(ged)
    repository.remote.refusing = 2  # the repository refuses our token, then it is renewed
    record = transfer_runner.start(setup, ged.ctx, ged.admin, AGREEMENT)
    assert (record.state, record.last_error_code) == (
        TransferState.ERROR_SENDING,
        "credentials_refused",
    )
    assert record.next_attempt_at == ged.clock() + timedelta(seconds=backoff(1))
    shown = transfer_runner.describe(record)["error"]
    assert shown["retry_at"] == record.next_attempt_at.isoformat()
    assert "jeton refusé" in shown["explanation"] and "nouvel essai" in shown["explanation"]
    ged.clock.advance(seconds=backoff(1))
    transfer_runner.run_due(setup, ged.ctx, ged.admin)
    again = get_transfer(ged.ctx, ged.admin, record.message_identifier)
    assert again.attempts == 2 and again.next_attempt_at == ged.clock() + timedelta(
        seconds=backoff(2)
    )
    ged.clock.advance(seconds=backoff(2))
    transfer_runner.run_due(setup, ged.ctx, ged.admin)
    sent = get_transfer(ged.ctx, ged.admin, record.message_identifier)
    assert (sent.state, sent.last_error_code) == (TransferState.SENT, None)


def test_a_tls_refusal_while_polling_is_retried_until_the_deadline_then_given_up(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    repository = SaeHttpRepository()
    ged, setup = sqlite_ged, setup_for(repository, tmp_path / "spool", signer)
    hours = replace(setup.agreements[AGREEMENT], give_up_after=timedelta(hours=6))
    setup = replace(setup, agreements={AGREEMENT: hours})
    due_dossier(ged)
    record = transfer_runner.start(setup, ged.ctx, ged.admin, AGREEMENT)
    repository.transport.refusals = 10_000  # the repository's certificate changed
    transfer_runner.run_due(setup, ged.ctx, ged.admin)
    refused = get_transfer(ged.ctx, ged.admin, record.message_identifier)
    assert (refused.state, refused.last_error_code) == (TransferState.ERROR_POLLING, "tls_refused")
    assert refused.next_attempt_at is not None and refused.give_up_at is not None
    assert "TLS" in transfer_runner.describe(refused)["error"]["explanation"]
    passes = 0
    while get_transfer(ged.ctx, ged.admin, record.message_identifier).next_attempt_at:
        waiting = get_transfer(ged.ctx, ged.admin, record.message_identifier)
        assert waiting.next_attempt_at is not None
        assert waiting.next_attempt_at <= refused.give_up_at  # never past the deadline
        ged.clock.now = waiting.next_attempt_at
        transfer_runner.run_due(setup, ged.ctx, ged.admin)
        passes += 1
    stopped = get_transfer(ged.ctx, ged.admin, record.message_identifier)
    assert stopped.last_error_code == "gave_up" and ged.clock() == refused.give_up_at
    assert "tls_refused" in (stopped.last_error_message or "") and passes > 10


def test_a_connector_that_cannot_be_built_any_more_does_not_stop_the_scheduler(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner
) -> None:
    repository = SaeHttpRepository()
    ged, setup = sqlite_ged, setup_for(repository, tmp_path / "spool", signer)
    due_dossier(ged)
    record = transfer_runner.start(setup, ged.ctx, ged.admin, AGREEMENT)

    def broken(name: str) -> Connector:
        raise ConnectorMisconfigured(f"connecteur {name} : token_file illisible")

    report = transfer_runner.run_due(replace(setup, connector=broken), ged.ctx, ged.admin)
    assert report.failed == ((record.message_identifier, "connector_misconfigured"),)
    stored = get_transfer(ged.ctx, ged.admin, record.message_identifier)
    assert stored.attempts == record.attempts + 1
    assert stored.next_attempt_at == ged.clock() + timedelta(seconds=backoff(stored.attempts))
    assert "token_file illisible" in transfer_runner.describe(stored)["error"]["explanation"]


def seda1_setup(setup: TransferSetup, schema_dir: Path) -> TransferSetup:
    """The agreement in SEDA 1.0, with the installed official schemas (1.0's code lists)."""
    agreement = replace(setup.agreements[AGREEMENT], seda_version=SEDA_1_0)
    return replace(setup, agreements={AGREEMENT: agreement}, schemas=schema_dir)


def seda1_due_dossier(ged: Ged) -> str:
    """A due dossier with its communicability too (« immédiat », the tableau's EC-04-ACC)."""
    dossier_id = due_dossier(ged)
    why = "tables décennales librement communicables"
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.DOSSIER, dossier_id, "EC-04-ACC", why)
    return dossier_id


def test_asalae_takes_a_seda_1_0_transfer_and_its_1_0_replies_decide(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner, schema_dir: Path
) -> None:
    repository = AsalaeSeda1Repository()
    ged = sqlite_ged
    setup = seda1_setup(setup_for(repository, tmp_path / "spool", signer), schema_dir)
    dossier_id = seda1_due_dossier(ged)
    record = pushed(repository, setup, ged)
    options = ValidationOptions(schema_dir=schema_dir, seda_versions=ALL_VERSIONS)
    assert validate_path(Path(record.sip_path), options).valid
    manifest = zip_members(Path(record.sip_path).read_bytes())[MANIFEST]
    (archive,) = read_transfer_v1(lambda: io.BytesIO(manifest)).archives
    assert archive.access is not None and archive.access.code == "AR038"  # « immédiat »
    assert archive.appraisal is not None
    assert (archive.appraisal.code, archive.appraisal.duration) == ("conserver", "P10Y")
    assert archive.appraisal.start_date == date(2010, 12, 31)  # « clôture de la table »

    repository.receive(record.message_identifier)
    first_poll(repository, setup, ged)
    archive_ids = repository.accept(get_transfer(ged.ctx, ged.admin, record.message_identifier))
    done = replied(setup, ged, record.message_identifier)
    assert done.state is TransferState.ACCEPTED and done.outcome is not None
    assert done.outcome["archive_identifiers"] == list(archive_ids)
    assert phase(ged, dossier_id) is Phase.PERMANENT


def test_asalae_refusing_a_seda_1_0_transfer_returns_the_dossier_to_due_with_its_reason(
    sqlite_ged: Ged, tmp_path: Path, signer: PackageSigner, schema_dir: Path
) -> None:
    repository = AsalaeSeda1Repository()
    ged = sqlite_ged
    setup = seda1_setup(setup_for(repository, tmp_path / "spool", signer), schema_dir)
    dossier_id = seda1_due_dossier(ged)
    record = pushed(repository, setup, ged)
    repository.receive(record.message_identifier)
    first_poll(repository, setup, ged)
    reasons = repository.reject(record)
    done = replied(setup, ged, record.message_identifier)
    assert (done.state, done.reasons) == (TransferState.REJECTED, reasons)
    assert phase(ged, dossier_id) is Phase.DUE
