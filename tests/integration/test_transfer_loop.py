"""The transfer loop on both databases, against a scripted archival repository that speaks the
``sae_http`` contract and answers real SEDA replies (``seda.replies``)."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree

from connectors.sae_http import SaeHttpConnector
from ged.domain.lifecycle import BindingTarget, Phase, WrongPhase
from ged.domain.model import Metadata
from ged.services import documents, filing, lifecycle, processing, rules
from ged.services.ports import TransferState
from ged.services.transfer_loop import (
    TransferAlreadyRejected,
    TransferMismatch,
    get_transfer,
    poll_transfer,
    send_transfer,
    transfers_due,
)
from ged.services.transfer_state import BACKOFF_CAP_SECONDS, backoff
from ged.services.transfers import PreparedTransfer, TransferParties, prepare_transfer
from seda.replies import build_acknowledgement, build_transfer_reply
from seda.versions import SedaVersion
from tests.fixtures.ged import Ged

TABLEAU = Path(__file__).parent.parent / "fixtures" / "tableau_de_gestion.csv"
PARTIES = TransferParties("FR_AD_35", "FR_DF", "ACCORD-2026-01")
BASE = "https://sae.test"
WHEN = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


@dataclass
class ScriptedSae:
    """The repository's side of the contract: idempotent by Idempotency-Key, replies on cue."""

    received: dict[str, bytes] = field(default_factory=dict)
    replies: dict[str, bytes] = field(default_factory=dict)
    unavailable: int = 0  # how many next requests get a 503
    refusing: int = 0  # how many next requests get a 401 (a token the repository revoked)
    posts: int = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.unavailable:
            self.unavailable -= 1
            return _problem(503, "maintenance", {"Retry-After": "5"})
        if self.refusing:
            self.refusing -= 1
            return _problem(401, "unauthenticated", {})
        mid = request.url.path.rsplit("/", 2)[-2] if request.method == "GET" else ""
        if request.method == "POST":
            return self._receive(request)
        if request.url.path.endswith("/acknowledgement"):
            return httpx.Response(200, content=_ack(mid))
        if mid in self.replies:
            return httpx.Response(200, content=self.replies[mid])
        return _problem(404, "reply_not_ready", {"Retry-After": "60"})

    def _receive(self, request: httpx.Request) -> httpx.Response:
        self.posts += 1
        mid = request.headers["Idempotency-Key"]
        body = request.read()
        known = mid in self.received
        self.received[mid] = body
        links = {
            "transfer_id": f"SAE-{mid}",
            "acknowledgement_url": f"/api/v1/sae/transfers/{mid}/acknowledgement",
            "reply_url": f"/api/v1/sae/transfers/{mid}/reply",
        }
        return httpx.Response(200 if known else 202, json=links)

    def decide(
        self,
        mid: str,
        code: str,
        *,
        archive_ids: tuple[str, ...] = (),
        events: tuple[tuple[str, str, str], ...] = (),
        about: str | None = None,
    ) -> None:
        self.replies[mid] = _reply(about or mid, code, archive_ids, events)


def _problem(status: int, code: str, headers: dict[str, str]) -> httpx.Response:
    body = json.dumps({"code": code, "detail": code}).encode()
    headers = {**headers, "Content-Type": "application/problem+json"}
    return httpx.Response(status, content=body, headers=headers)


def _ack(mid: str) -> bytes:
    return build_acknowledgement(
        SedaVersion.V2_2,
        message_identifier=f"ACK-{mid}",
        received_identifier=mid,
        sender="FR_AD_35",
        receiver="FR_DF",
        date=WHEN,
    )


def _reply(
    mid: str, code: str, archive_ids: tuple[str, ...], events: tuple[tuple[str, str, str], ...]
) -> bytes:
    data = build_transfer_reply(
        SedaVersion.V2_2,
        message_identifier=f"ATR-{mid}",
        request_identifier=mid,
        reply_code=code,
        archival_agency="FR_AD_35",
        transferring_agency="FR_DF",
        date=WHEN,
    )
    root = etree.fromstring(data)
    ns = etree.QName(root).namespace

    def add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        child = etree.SubElement(parent, f"{{{ns}}}{name}")
        child.text = text
        return child

    operation = add(root, "Operation")
    for event_code, outcome, detail in events:
        event = add(operation, "Event")
        add(event, "EventTypeCode", event_code)
        add(event, "Outcome", outcome)
        add(event, "OutcomeDetailMessage", detail)
    described = add(add(root, "DataObjectPackage"), "DescriptiveMetadata")
    for archive_id in archive_ids:
        add(add(add(described, "ArchiveUnit"), "Content"), "SystemId", archive_id)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


@pytest.fixture
def sae() -> ScriptedSae:
    return ScriptedSae()


@pytest.fixture
def connector(sae: ScriptedSae) -> SaeHttpConnector:
    client = httpx.Client(transport=httpx.MockTransport(sae))
    return SaeHttpConnector(BASE, "secret-token", client)


def due_dossier(ged: Ged, title: str = "Tables décennales") -> str:
    """A closed dossier to keep (EC-04: 10 years, then permanent) whose DUA has elapsed."""
    rules.import_rules(ged.ctx, ged.admin, io.BytesIO(TABLEAU.read_bytes()), "csv")
    node = filing.create_plan_node(ged.ctx, ged.admin, f"FIN-{title}", title, None).id
    rules.bind_rule(ged.ctx, ged.admin, BindingTarget.PLAN_NODE, node, "EC-04")
    dossier = filing.create_dossier(
        ged.ctx,
        ged.admin,
        service_id=ged.service.id,
        title=title,
        plan_node_id=node,
        opened_on=date(2010, 1, 1),
    )
    filed = documents.file_document(
        ged.ctx,
        ged.admin,
        dossier.id,
        io.BytesIO(title.encode()),
        filename="table.txt",
        metadata=Metadata(title="table"),
        mime_type="text/plain",
    )
    processing.process(ged.ctx, filed.document.id, 1)
    filing.close_dossier(ged.ctx, ged.admin, dossier.id, date(2010, 12, 31))
    lifecycle.record_event(
        ged.ctx, ged.admin, dossier.id, "Clôture de la table", date(2010, 12, 31)
    )
    lifecycle.run_lifecycle(ged.ctx, ged.admin)
    assert phase(ged, dossier.id) is Phase.DUE
    return dossier.id


def prepare(ged: Ged, tmp_path: Path, dossier_id: str, name: str = "sip.zip") -> PreparedTransfer:
    return prepare_transfer(
        ged.ctx, ged.admin, [dossier_id], tmp_path / name, SedaVersion.V2_2, PARTIES
    )


def send(ged: Ged, prepared: PreparedTransfer, connector: SaeHttpConnector) -> TransferState:
    record = send_transfer(ged.ctx, ged.admin, prepared, connector, transferring_agency="FR_DF")
    return record.state


def phase(ged: Ged, dossier_id: str) -> Phase | None:
    with ged.ctx.uow() as uow:
        state = uow.lifecycle.get_state(dossier_id)
    return None if state is None else state.phase


def transfer_log(ged: Ged, mid: str) -> list[tuple[str | None, str]]:
    with ged.ctx.uow() as uow:
        entries = [e for e in uow.iter_log() if e.object_id == mid and e.action == "transfer.state"]
    return [(e.details["from"], e.details["to"]) for e in entries]


def count_rows(ged: Ged) -> int:
    from sqlalchemy import func, select

    from ged.adapters.db import tables as t

    with ged.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.transfers)).scalar_one())


def test_accepted_reply_makes_dossiers_permanent_with_archive_ids_and_may_purge(
    ged: Ged, tmp_path: Path, sae: ScriptedSae, connector: SaeHttpConnector
) -> None:
    dossier_id = due_dossier(ged)
    prepared = prepare(ged, tmp_path, dossier_id)
    mid = prepared.message_identifier
    assert send(ged, prepared, connector) is TransferState.SENT
    assert phase(ged, dossier_id) is Phase.TRANSFERRING
    assert sae.received[mid] == prepared.sip.read_bytes()
    polled = poll_transfer(ged.ctx, ged.admin, mid, connector)
    assert polled.state is TransferState.ACKNOWLEDGED and polled.acknowledged
    assert polled.next_attempt_at is not None  # the reply is not ready yet: asked again later
    sae.decide(mid, "OK", archive_ids=("aeaqaaaaaa-1", "aeaqaaaaaa-2"))
    done = poll_transfer(ged.ctx, ged.admin, mid, connector, purge=True)
    assert done.state is TransferState.ACCEPTED
    assert done.outcome is not None
    assert done.outcome["archive_identifiers"] == ["aeaqaaaaaa-1", "aeaqaaaaaa-2"]
    assert phase(ged, dossier_id) is Phase.PERMANENT
    with ged.ctx.uow() as uow:
        state = uow.lifecycle.get_state(dossier_id)
        assert state is not None and state.transfer_verified
        assert uow.lifecycle.get_tombstone(dossier_id) is not None
    digest = hashlib.sha256(b"Tables d\xc3\xa9cennales").hexdigest()
    assert not ged.ctx.blobs.exists(digest)
    assert transfer_log(ged, mid) == [
        (None, "prepared"),
        ("prepared", "sent"),
        ("sent", "acknowledged"),
        ("acknowledged", "accepted"),
    ]
    stored = get_transfer(ged.ctx, ged.admin, mid)
    assert len(stored.history) == 4  # POST; reply + acknowledgement; reply
    assert all(h["request_headers"]["authorization"] == "[redacted]" for h in stored.history)


def test_accepted_without_purge_flag_keeps_content(
    ged: Ged, tmp_path: Path, sae: ScriptedSae, connector: SaeHttpConnector
) -> None:
    dossier_id = due_dossier(ged)
    prepared = prepare(ged, tmp_path, dossier_id)
    send(ged, prepared, connector)
    sae.decide(prepared.message_identifier, "WARNING", archive_ids=("arch-1",))
    done = poll_transfer(ged.ctx, ged.admin, prepared.message_identifier, connector)
    assert done.state is TransferState.ACCEPTED_WITH_WARNINGS
    assert phase(ged, dossier_id) is Phase.PERMANENT
    with ged.ctx.uow() as uow:
        assert uow.lifecycle.get_tombstone(dossier_id) is None


def test_rejection_records_every_reason_and_a_corrected_transfer_goes_through(
    ged: Ged, tmp_path: Path, sae: ScriptedSae, connector: SaeHttpConnector
) -> None:
    dossier_id = due_dossier(ged)
    first = prepare(ged, tmp_path, dossier_id, "first.zip")
    send(ged, first, connector)
    sae.decide(
        first.message_identifier,
        "KO",
        events=(
            ("CHECK_DIGEST", "KO", "empreinte de BDO_1 différente"),
            ("CHECK_RULES", "KO", "règle EC-04 inconnue du dépôt"),
        ),
    )
    rejected = poll_transfer(ged.ctx, ged.admin, first.message_identifier, connector, purge=True)
    assert rejected.state is TransferState.REJECTED
    assert rejected.reasons == (
        "CHECK_DIGEST KO : empreinte de BDO_1 différente",
        "CHECK_RULES KO : règle EC-04 inconnue du dépôt",
    )
    assert phase(ged, dossier_id) is Phase.DUE
    with pytest.raises(TransferAlreadyRejected):
        send(ged, first, connector)
    second = prepare(ged, tmp_path, dossier_id, "second.zip")
    assert second.message_identifier != first.message_identifier
    assert send(ged, second, connector) is TransferState.SENT
    sae.decide(second.message_identifier, "OK", archive_ids=("arch-2",))
    done = poll_transfer(ged.ctx, ged.admin, second.message_identifier, connector)
    assert done.state is TransferState.ACCEPTED and phase(ged, dossier_id) is Phase.PERMANENT
    assert count_rows(ged) == 2


def test_reply_about_another_transfer_is_not_trusted(
    ged: Ged, tmp_path: Path, sae: ScriptedSae, connector: SaeHttpConnector
) -> None:
    dossier_id = due_dossier(ged)
    prepared = prepare(ged, tmp_path, dossier_id)
    send(ged, prepared, connector)
    sae.decide(prepared.message_identifier, "OK", archive_ids=("x",), about="GEDSAE-autre")
    record = poll_transfer(ged.ctx, ged.admin, prepared.message_identifier, connector, purge=True)
    assert record.state is TransferState.ERROR_REPLY
    assert record.last_error_code == "reply_mismatch"
    assert phase(ged, dossier_id) is Phase.TRANSFERRING
    with ged.ctx.uow() as uow:
        assert uow.lifecycle.get_tombstone(dossier_id) is None


def test_unavailable_repository_is_retried_with_backoff_on_one_row(
    ged: Ged, tmp_path: Path, sae: ScriptedSae, connector: SaeHttpConnector
) -> None:
    dossier_id = due_dossier(ged)
    prepared = prepare(ged, tmp_path, dossier_id)
    sae.unavailable = 2
    failed = send_transfer(ged.ctx, ged.admin, prepared, connector, transferring_agency="FR_DF")
    assert failed.state is TransferState.ERROR_SENDING
    assert failed.last_error_code == "maintenance" and failed.attempts == 1
    assert failed.next_attempt_at == ged.clock() + _seconds(backoff(1))
    assert transfers_due(ged.ctx, ged.admin) == []  # not before its time
    ged.clock.advance(seconds=backoff(1))
    assert [r.message_identifier for r in transfers_due(ged.ctx, ged.admin)] == [
        prepared.message_identifier
    ]
    again = send_transfer(ged.ctx, ged.admin, prepared, connector, transferring_agency="FR_DF")
    assert again.state is TransferState.ERROR_SENDING and again.attempts == 2
    assert again.next_attempt_at == ged.clock() + _seconds(backoff(2))
    sent = send_transfer(ged.ctx, ged.admin, prepared, connector, transferring_agency="FR_DF")
    assert sent.state is TransferState.SENT and sent.attempts == 3
    # sent: due for its first poll on the scheduler's next pass
    assert sent.last_error_code is None and sent.next_attempt_at == ged.clock()
    assert count_rows(ged) == 1 and sae.posts == 1
    assert len(sent.history) == 3


def test_same_message_identifier_sent_twice_is_one_row_and_one_push(
    ged: Ged, tmp_path: Path, sae: ScriptedSae, connector: SaeHttpConnector
) -> None:
    dossier_id = due_dossier(ged)
    prepared = prepare(ged, tmp_path, dossier_id)
    assert send(ged, prepared, connector) is TransferState.SENT
    assert send(ged, prepared, connector) is TransferState.SENT
    assert count_rows(ged) == 1 and sae.posts == 1
    assert phase(ged, dossier_id) is Phase.TRANSFERRING
    other = PreparedTransfer(
        prepared.message_identifier, prepared.sip, "0" * 64, 1, prepared.dossiers, 1
    )
    with pytest.raises(TransferMismatch):
        send(ged, other, connector)


def test_a_dossier_that_cannot_leave_leaves_no_transfer_behind(
    ged: Ged, tmp_path: Path, connector: SaeHttpConnector
) -> None:
    dossier_id = due_dossier(ged)
    prepared = prepare(ged, tmp_path, dossier_id)
    send(ged, prepared, connector)
    again = prepare(ged, tmp_path, dossier_id, "again.zip")  # already transferring
    with pytest.raises(WrongPhase):
        send(ged, again, connector)
    assert count_rows(ged) == 1
    assert phase(ged, dossier_id) is Phase.TRANSFERRING


def test_backoff_grows_and_is_capped() -> None:
    assert backoff(1) < backoff(2) < backoff(3)
    assert backoff(60) == BACKOFF_CAP_SECONDS
    assert backoff(1, retry_after=600) == 600


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
