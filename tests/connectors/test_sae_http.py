"""sae_http against a scripted repository that follows the contract in its module docstring.

The repository's answers are the real replies of ../shared/seda/samples (As@lae via Pastell,
Vitam) and our own `build_transfer_reply`; the corpus tests skip when ../shared is absent and
fail when CI=true.
"""

from __future__ import annotations

import hashlib
import json
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.base import (
    REDACTED,
    Acknowledged,
    Connector,
    CredentialsRefused,
    NotReady,
    ProtocolError,
    RemoteUnavailable,
    Replied,
    Submission,
    SubmissionRefused,
)
from connectors.sae_http import SaeHttpConnector
from seda.replies import Outcome, build_transfer_reply
from seda.versions import SedaVersion
from tests.connectors.remote import StreamProbe
from tests.fixtures.seda_corpus import sample

BASE = "https://sae.example"
TOKEN = "tok-7f3a9c-secret"
ASALAE_OK_ID = "15ef78ef665a8777c33d1125783707f8dfb190f82869dc9248e46c5ed396d70b_1542893421"


def problem(status: int, code: str, **extra: object) -> httpx.Response:
    body = {"type": "about:blank", "title": code, "status": status, "code": code, **extra}
    return httpx.Response(
        status, content=json.dumps(body), headers={"Content-Type": "application/problem+json"}
    )


@dataclass
class Transfer:
    transfer_id: str
    digest: str
    not_ready_polls: int
    reply: bytes | None
    acknowledgement: bytes | None


@dataclass
class FakeRepository:
    """The remote side of the contract, scripted per test."""

    reply: bytes | None = None
    acknowledgement: bytes | None = b""
    not_ready_polls: int = 0
    retry_after: str | None = None
    failures: list[httpx.Response] = field(default_factory=list)
    transfers: dict[str, Transfer] = field(default_factory=dict)
    received: list[bytes] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return problem(401, "unauthenticated")
        if self.failures:
            return self.failures.pop(0)
        path = request.url.path
        if path == "/api/v1/sae/health":
            return httpx.Response(200, json={"status": "ok", "organisation": "ORG-1"})
        if path == "/api/v1/sae/transfers" and request.method == "POST":
            return self._receive(request)
        transfer = next((t for t in self.transfers.values() if t.transfer_id in path), None)
        if transfer is None:
            return problem(404, "transfer_not_found")
        if path.endswith("/acknowledgement"):
            return httpx.Response(200, content=transfer.acknowledgement)
        if transfer.not_ready_polls > 0 or transfer.reply is None:
            transfer.not_ready_polls -= 1
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return problem(404, "reply_not_ready") if not headers else _with(headers)
        return httpx.Response(200, content=transfer.reply)

    def _receive(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        self.received.append(body)
        key = request.headers["Idempotency-Key"]
        digest = hashlib.sha256(body).hexdigest()
        existing = self.transfers.get(key)
        if existing is not None and existing.digest != digest:
            return problem(409, "idempotency_conflict", detail="clé déjà utilisée")
        status = 200 if existing is not None else 202
        if existing is None:
            existing = self.transfers[key] = Transfer(
                f"t{len(self.transfers) + 1}",
                digest,
                self.not_ready_polls,
                self.reply,
                self.acknowledgement,
            )
        tid = existing.transfer_id
        return httpx.Response(
            status,
            json={
                "transfer_id": tid,
                "acknowledgement_url": f"/api/v1/sae/transfers/{tid}/acknowledgement",
                "reply_url": f"{BASE}/api/v1/sae/transfers/{tid}/reply",
            },
        )


def _with(headers: dict[str, str]) -> httpx.Response:
    response = problem(404, "reply_not_ready")
    response.headers.update(headers)
    return response


def connector(remote: FakeRepository, **kw: object) -> SaeHttpConnector:
    client = httpx.Client(transport=StreamProbe(remote))
    return SaeHttpConnector(BASE, TOKEN, client, upload_chunk_bytes=4096, **kw)  # type: ignore[arg-type]


@pytest.fixture
def sip(tmp_path: Path) -> Path:
    path = tmp_path / "sip.zip"
    path.write_bytes(b"PK\x03\x04" + hashlib.sha512(b"seed").digest() * 300)
    return path


def send(conn: SaeHttpConnector, sip: Path, message_identifier: str) -> Submission:
    return conn.submit(
        sip,
        message_identifier=message_identifier,
        transferring_agency="FRAD000",
        manifest_digest=("sha-256", "AB" * 32),
    )


def poll_until_replied(conn: SaeHttpConnector, submission: Submission) -> Replied:
    for _ in range(20):
        result = conn.poll(submission)
        if isinstance(result, Replied):
            return result
        if isinstance(result, Acknowledged):
            submission = submission.with_acknowledgement()
    raise AssertionError("aucune réponse après 20 interrogations")


def test_accepted_transfer_is_acknowledged_then_replied(sip: Path) -> None:
    remote = FakeRepository(
        reply=sample("pastell/tests-helpers/atr_asalae_ok.xml"),
        acknowledgement=sample("pastell/fakeSae-seda-2.1/ACK.xml"),
        not_ready_polls=1,
    )
    conn = connector(remote)
    assert isinstance(conn, Connector)
    submission = send(conn, sip, ASALAE_OK_ID)
    assert (submission.remote_reference, submission.acknowledged) == ("t1", False)
    assert submission.locators["acknowledgement_url"].startswith(f"{BASE}/api/v1/sae/")
    first = conn.poll(submission)
    assert isinstance(first, Acknowledged) and first.acknowledgement is not None
    assert first.acknowledgement.outcome is Outcome.RECEIVED
    assert first.acknowledgement.transfer_identifier == ASALAE_OK_ID
    replied = poll_until_replied(conn, submission.with_acknowledgement())
    assert replied.outcome.outcome is Outcome.ACCEPTED
    assert replied.outcome.archive_identifiers == ("AE_2022_15",)
    assert replied.raw == remote.transfers[ASALAE_OK_ID].reply


def test_our_own_repository_reply_is_accepted(sip: Path) -> None:
    reply = build_transfer_reply(
        SedaVersion.V2_2,
        message_identifier="ATR-1",
        request_identifier="TR-2026-1",
        reply_code="OK",
        archival_agency="AA",
        transferring_agency="FRAD000",
        date=datetime(2026, 1, 15, tzinfo=UTC),
    )
    conn = connector(FakeRepository(reply=reply))
    replied = poll_until_replied(conn, send(conn, sip, "TR-2026-1"))
    assert (replied.outcome.outcome, replied.outcome.reply_identifier) == (
        Outcome.ACCEPTED,
        "ATR-1",
    )


def test_accepted_with_warnings_is_not_a_rejection(sip: Path) -> None:
    remote = FakeRepository(reply=sample("vitam/worker-core/atr-with-cardinality-error.xml"))
    conn = connector(remote)
    replied = poll_until_replied(conn, send(conn, sip, "SIP passant contenant 2 groupes d'objets"))
    assert replied.outcome.outcome is Outcome.ACCEPTED_WITH_WARNINGS
    assert any(event[1] == "WARNING" for event in replied.outcome.events)


def test_rejected_reply_carries_every_reason(sip: Path) -> None:
    conn = connector(FakeRepository(reply=sample("pastell/tests-helpers/atr_vitam_ko.xml")))
    replied = poll_until_replied(conn, send(conn, sip, "TR-KO"))
    assert replied.outcome.outcome is Outcome.REJECTED
    assert replied.outcome.archive_identifiers == ()
    assert [e for e in replied.outcome.events if e[1] == "KO"]


def test_not_ready_for_n_polls_then_ready(sip: Path) -> None:
    remote = FakeRepository(
        reply=sample("pastell/tests-helpers/atr_asalae_ok.xml"), not_ready_polls=4
    )
    conn = connector(remote, poll_interval=45.0)
    submission = send(conn, sip, ASALAE_OK_ID).with_acknowledgement()
    results = [conn.poll(submission) for _ in range(5)]
    assert [type(r) for r in results] == [NotReady] * 4 + [Replied]
    assert all(r.retry_after == 45.0 for r in results if isinstance(r, NotReady))


def test_not_ready_follows_the_remote_retry_after(sip: Path) -> None:
    remote = FakeRepository(not_ready_polls=1, retry_after="7")
    conn = connector(remote)
    result = conn.poll(send(conn, sip, "TR-1").with_acknowledgement())
    assert result == NotReady(7.0)


def test_server_error_is_retryable_then_the_submission_recovers(sip: Path) -> None:
    remote = FakeRepository(
        failures=[httpx.Response(503, headers={"Retry-After": "12"}, text="maintenance")]
    )
    conn = connector(remote)
    with pytest.raises(RemoteUnavailable) as caught:
        send(conn, sip, "TR-1")
    assert caught.value.retryable and caught.value.retry_after == 12.0
    submission = send(conn, sip, "TR-1")
    assert (submission.remote_reference, submission.duplicate, len(remote.transfers)) == (
        "t1",
        False,
        1,
    )


def test_refused_token_is_credentials_refused(sip: Path) -> None:
    conn = SaeHttpConnector(
        BASE, "wrong", httpx.Client(transport=httpx.MockTransport(FakeRepository()))
    )
    with pytest.raises(CredentialsRefused) as caught:
        send(conn, sip, "TR-1")
    assert not caught.value.retryable
    report = conn.check()
    assert (report.ok, report.code) == (False, "credentials_refused")
    assert "wrong" not in repr(report) and "wrong" not in repr(conn.history)


def test_check_reports_a_reachable_repository() -> None:
    report = connector(FakeRepository()).check()
    assert (report.ok, report.code, dict(report.details)) == (True, "ok", {"organisation": "ORG-1"})


def test_check_reports_a_refused_certificate() -> None:
    def handshake_fails(request: httpx.Request) -> httpx.Response:
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed")
        except ssl.SSLError as exc:
            raise httpx.ConnectError("handshake", request=request) from exc

    conn = SaeHttpConnector(
        BASE, TOKEN, httpx.Client(transport=httpx.MockTransport(handshake_fails))
    )
    report = conn.check()
    assert (report.ok, report.code) == (False, "tls_refused")
    assert "certificate verify failed" in report.reason


def test_resend_answers_the_existing_transfer(sip: Path) -> None:
    remote = FakeRepository()
    conn = connector(remote)
    first = send(conn, sip, "TR-1")
    again = send(conn, sip, "TR-1")
    assert (again.remote_reference, again.duplicate) == (first.remote_reference, True)
    assert again.locators == first.locators and len(remote.transfers) == 1


def test_same_identifier_with_another_package_is_refused(sip: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.zip"
    other.write_bytes(b"PK\x03\x04 another package")
    conn = connector(FakeRepository())
    send(conn, sip, "TR-1")
    with pytest.raises(SubmissionRefused) as caught:
        send(conn, other, "TR-1")
    assert caught.value.code == "idempotency_conflict" and not caught.value.retryable


def test_invalid_package_is_refused_with_every_reason(sip: Path) -> None:
    issues = [
        {"code": "digest_mismatch", "message": "empreinte fausse", "path": "content/a.pdf"},
        {"code": "agency_unknown", "message": "service versant inconnu", "line": 12},
    ]
    remote = FakeRepository(failures=[problem(422, "sip_invalid", issues=issues)])
    with pytest.raises(SubmissionRefused) as caught:
        send(connector(remote), sip, "TR-1")
    assert caught.value.code == "sip_invalid"
    assert caught.value.reasons == (
        "digest_mismatch : empreinte fausse (path content/a.pdf)",
        "agency_unknown : service versant inconnu (line 12)",
    )


def test_exchanges_are_recorded_with_the_token_redacted(sip: Path) -> None:
    remote = FakeRepository(reply=sample("pastell/tests-helpers/atr_asalae_ok.xml"))
    conn = connector(remote)
    poll_until_replied(conn, send(conn, sip, ASALAE_OK_ID))
    methods = [(e.method, e.status) for e in conn.history]
    assert methods == [("POST", 202), ("GET", 200)]
    post = conn.history[0]
    assert post.request_headers["authorization"] == REDACTED
    assert post.request_headers["idempotency-key"] == ASALAE_OK_ID
    assert post.request_headers["x-manifest-digest-value"] == "ab" * 32
    assert post.request_sha256 == hashlib.sha256(sip.read_bytes()).hexdigest()
    assert post.request_size == sip.stat().st_size
    assert all(e.message_identifier == ASALAE_OK_ID for e in conn.history)
    assert TOKEN not in repr(conn.history) and TOKEN not in repr(conn)


def test_upload_is_streamed_in_chunks_not_read_whole(sip: Path) -> None:
    remote = FakeRepository()
    probe = StreamProbe(remote)
    conn = SaeHttpConnector(BASE, TOKEN, httpx.Client(transport=probe), upload_chunk_bytes=4096)
    send(conn, sip, "TR-1")
    assert remote.received == [sip.read_bytes()]
    assert not issubclass(probe.stream_types[0], httpx.ByteStream)  # bytes would be a ByteStream
    assert probe.chunk_counts[0] == -(-sip.stat().st_size // 4096) > 1
    request = remote.requests[0]
    assert request.headers["Content-Length"] == str(sip.stat().st_size)
    assert "Transfer-Encoding" not in request.headers


def test_a_url_off_the_repository_is_refused(sip: Path) -> None:
    def elsewhere(request: httpx.Request) -> httpx.Response:
        urls = {"acknowledgement_url": "https://evil.example/a", "reply_url": "/r"}
        return httpx.Response(202, json={"transfer_id": "t1", **urls})

    conn = SaeHttpConnector(BASE, TOKEN, httpx.Client(transport=httpx.MockTransport(elsewhere)))
    with pytest.raises(ProtocolError) as caught:
        send(conn, sip, "TR-1")
    assert caught.value.code == "foreign_url"


def test_a_reply_for_another_transfer_is_refused(sip: Path) -> None:
    conn = connector(FakeRepository(reply=sample("pastell/tests-helpers/atr_asalae_ok.xml")))
    submission = send(conn, sip, "TR-not-this-one").with_acknowledgement()
    with pytest.raises(ProtocolError) as caught:
        conn.poll(submission)
    assert caught.value.code == "reply_mismatch"


def test_an_unknown_transfer_is_a_protocol_error(sip: Path) -> None:
    conn = connector(FakeRepository())
    lost = Submission("sae_http", "TR-1", "t9", True, {"reply_url": f"{BASE}/t9/reply"})
    with pytest.raises(ProtocolError) as caught:
        conn.poll(lost)
    assert caught.value.code == "transfer_not_found"


def test_plain_http_is_refused_outside_loopback() -> None:
    client = httpx.Client(transport=httpx.MockTransport(FakeRepository()))
    with pytest.raises(ValueError, match="HTTPS"):
        SaeHttpConnector("http://sae.example", TOKEN, client)
    assert SaeHttpConnector("http://127.0.0.1:8080", TOKEN, client).check().ok is True


def test_unusable_manifest_digest_is_a_caller_error(sip: Path) -> None:
    with pytest.raises(ValueError, match="empreinte"):
        connector(FakeRepository()).submit(
            sip, message_identifier="TR-1", transferring_agency="A", manifest_digest=("MD5", "ab")
        )
