"""maarch_rm against a scripted Maarch RM that follows the contract in the module docstring.

The fake unpacks what it receives the way `ArchiveTransfer::receiveZip` does (the entry named
like ``filename`` is the manifest, whose MessageIdentifier becomes the message's reference) and
answers with the real replies of ../shared/seda/samples (Pastell's fake SAE, SEDA 2.1) readdressed
to our transfer by `retarget`; those tests skip when ../shared is absent and fail when CI=true.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

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
from connectors.config import ConnectorSettings, build
from connectors.maarch import MaarchRmConnector
from connectors.maarch_body import base64_size, encode_chunks
from seda.replies import Outcome
from tests.connectors.remote import StreamProbe, retarget
from tests.fixtures.seda_corpus import sample

BASE = "https://maarch.example/rm"
TOKEN = "tok/7f3a+9c=secret"
MID = "TR-2026-0001"


def accepted_reply(mid: str) -> bytes:
    return retarget(sample("pastell/fakeSae-seda-2.1/ATR.xml"), "MessageRequestIdentifier", mid)


def refused_reply(mid: str) -> bytes:
    return retarget(
        sample("pastell/fakeSae-seda-2.1/ATR_refused.xml"), "MessageRequestIdentifier", mid
    )


def acknowledgement(mid: str) -> bytes:
    return retarget(sample("pastell/fakeSae-seda-2.1/ACK.xml"), "MessageReceivedIdentifier", mid)


def laabs_error(status: int, message: str, *errors: tuple[str, str]) -> httpx.Response:
    """A Laabs exception as JSON: message, code, and the MEDONA errors (core\\Error)."""
    body = {
        "message": message,
        "code": status,
        "errors": [{"message": m, "code": c, "variables": []} for c, m in errors],
    }
    return httpx.Response(status, json=body)


def export_zip(message_id: str, xml: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{message_id}.xml", xml)
    return buffer.getvalue()


@dataclass
class Message:
    message_id: str
    acknowledgement_id: str
    reference: str
    digest: str
    polls_left: int
    status: str = "received"
    reply_id: str | None = None


@dataclass
class FakeMaarch:
    """Maarch RM's side: reception, lookup by reference, export; scripted per test."""

    reply: bytes | None = None
    final_status: str = "processed"
    not_ready_polls: int = 0
    with_acknowledgement: bool = True
    failures: list[httpx.Response] = field(default_factory=list)
    refusal: httpx.Response | None = None
    messages: dict[str, Message] = field(default_factory=dict)
    bodies: list[dict[str, object]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Cookie") != f"LAABS-AUTH={quote(TOKEN, safe='')}":
            return laabs_error(401, "Authentication failed")
        if self.failures:
            return self.failures.pop(0)
        path = request.url.path.removeprefix("/rm")
        if request.method == "POST" and path.lower() == "/medona/archivetransfer":
            return self._receive(request)
        if path == "/medona/message/reference":
            return self._lookup(request)
        if found := re.fullmatch(r"/medona/message/([^/]+)/Export", path):
            return self._export(unquote(found.group(1)))
        if path == "/medona/archivalAgreement/Index":
            return httpx.Response(200, json=[{"reference": "AA-1"}, {"reference": "AA-2"}])
        return laabs_error(404, "Route not found")

    def _receive(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if self.refusal is not None:
            return self.refusal
        package = base64.b64decode(body["messageFile"], validate=True)
        reference = _manifest_reference(package, str(body["filename"]))
        if reference in self.messages:
            return laabs_error(
                409, "Invalid message", ("103", "The message has already been received")
            )
        n = len(self.messages) + 1
        message = Message(
            f"m{n}", f"a{n}", reference, hashlib.sha256(package).hexdigest(), self.not_ready_polls
        )
        self.messages[reference] = message
        ack = {"messageId": message.acknowledgement_id, "type": "Acknowledgement"}
        return httpx.Response(200, json={**ack, "receivedMessageId": message.message_id})

    def _lookup(self, request: httpx.Request) -> httpx.Response:
        reference = unquote(request.url.query.decode().removeprefix("reference="))
        message = self.messages.get(reference)
        if message is None:
            return httpx.Response(200, content=b"null")
        if message.polls_left > 0:
            message.polls_left -= 1
        elif self.reply is not None:
            message.status, message.reply_id = self.final_status, f"r-{message.message_id}"
        body: dict[str, object] = {
            "messageId": message.message_id,
            "type": "ArchiveTransfer",
            "reference": reference,
            "status": message.status,
        }
        if self.with_acknowledgement:
            body["acknowledgement"] = {"messageId": message.acknowledgement_id}
        if message.reply_id:
            body["replyMessage"] = {"messageId": message.reply_id, "replyCode": "000"}
        return httpx.Response(200, json=body)

    def _export(self, message_id: str) -> httpx.Response:
        for message in self.messages.values():
            if message_id == message.acknowledgement_id:
                xml = acknowledgement(message.reference)
            elif message_id == message.reply_id and self.reply is not None:
                xml = self.reply
            else:
                continue
            return httpx.Response(200, content=export_zip(message_id, xml))
        return laabs_error(404, "The message does not exist")


def _manifest_reference(package: bytes, filename: str) -> str:
    """As receiveZip: the entry whose name without extension is `filename`'s is the message."""
    stem = Path(filename).stem
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        manifest = next(n for n in archive.namelist() if Path(n).stem == stem)
        found = re.search(rb"<MessageIdentifier>([^<]+)<", archive.read(manifest))
    assert found is not None
    return found.group(1).decode()


def connector(remote: FakeMaarch, token: str = TOKEN, **kw: object) -> MaarchRmConnector:
    client = httpx.Client(transport=StreamProbe(remote))
    return MaarchRmConnector(BASE, token, client, upload_chunk_bytes=4096, **kw)  # type: ignore[arg-type]


def make_sip(path: Path, mid: str) -> Path:
    """A real zip: the manifest at the root, a binary under content/ large enough for chunks."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1">'
        f"<MessageIdentifier>{mid}</MessageIdentifier></ArchiveTransfer>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("manifest.xml", manifest)
        archive.writestr("content/BDO_1.pdf", hashlib.sha512(mid.encode()).digest() * 500)
    return path


@pytest.fixture
def sip(tmp_path: Path) -> Path:
    return make_sip(tmp_path / "sip.zip", MID)


def send(conn: MaarchRmConnector, sip: Path, mid: str = MID) -> Submission:
    return conn.submit(
        sip, message_identifier=mid, transferring_agency="FRAD000", manifest_digest=None
    )


def test_accepted_transfer_is_acknowledged_then_replied(sip: Path) -> None:
    remote = FakeMaarch(reply=accepted_reply(MID), not_ready_polls=2)
    conn = connector(remote)
    assert isinstance(conn, Connector)
    submission = send(conn, sip)
    assert (submission.remote_reference, submission.duplicate) == ("m1", False)
    assert submission.locators == {"reference": MID, "acknowledgement_message_id": "a1"}
    first = conn.poll(submission)
    assert isinstance(first, Acknowledged) and first.acknowledgement is not None
    assert first.acknowledgement.transfer_identifier == MID
    assert first.raw == acknowledgement(MID)
    acknowledged = submission.with_acknowledgement()
    assert conn.poll(acknowledged) == NotReady(300.0)
    replied = conn.poll(acknowledged)
    assert isinstance(replied, Replied)
    assert replied.outcome.outcome is Outcome.ACCEPTED
    assert replied.outcome.archive_identifiers == ("AE_2022_15",)
    assert replied.raw == accepted_reply(MID)


def test_rejected_reply_carries_its_code(sip: Path) -> None:
    for status in ("rejected", "invalid"):
        remote = FakeMaarch(reply=refused_reply(MID), final_status=status)
        conn = connector(remote)
        replied = conn.poll(send(conn, sip))
        assert isinstance(replied, Replied), status
        assert (replied.outcome.outcome, replied.outcome.reply_code) == (Outcome.REJECTED, "101")


def test_refused_message_gives_every_medona_error_as_a_reason(sip: Path) -> None:
    refusal = laabs_error(
        400,
        "Invalid message",
        ("202", "Le service versant identifié par 'FRAD000' est inconnu du système."),
        ("303", "Le service versant n'est pas conforme à celui indiqué dans l'accord."),
    )
    with pytest.raises(SubmissionRefused) as caught:
        send(connector(FakeMaarch(refusal=refusal)), sip)
    assert caught.value.code == "medona_202" and not caught.value.retryable
    assert caught.value.reasons == (
        "202 : Le service versant identifié par 'FRAD000' est inconnu du système.",
        "303 : Le service versant n'est pas conforme à celui indiqué dans l'accord.",
    )
    assert "Invalid message" in str(caught.value)


def test_not_ready_for_n_polls_then_ready(sip: Path) -> None:
    remote = FakeMaarch(reply=accepted_reply(MID), not_ready_polls=4)
    conn = connector(remote, poll_interval=45.0)
    submission = send(conn, sip).with_acknowledgement()
    results = [conn.poll(submission) for _ in range(5)]
    assert [type(r) for r in results] == [NotReady] * 4 + [Replied]
    assert all(r.retry_after == 45.0 for r in results if isinstance(r, NotReady))


def test_waiting_statuses_are_not_ready_and_no_acknowledgement_is_not_ready(sip: Path) -> None:
    remote = FakeMaarch(with_acknowledgement=False, not_ready_polls=1)
    conn = MaarchRmConnector(BASE, TOKEN, httpx.Client(transport=httpx.MockTransport(remote)))
    submitted = send(conn, sip)
    lost_ack = Submission("maarch_rm", MID, submitted.remote_reference, False, {"reference": MID})
    assert isinstance(conn.poll(lost_ack), NotReady)
    remote.messages[MID].status = "toBeModified"
    assert isinstance(conn.poll(lost_ack), NotReady)


def test_server_error_is_retryable_then_the_submission_recovers(sip: Path) -> None:
    remote = FakeMaarch(failures=[httpx.Response(503, headers={"Retry-After": "12"}, text="down")])
    conn = connector(remote)
    with pytest.raises(RemoteUnavailable) as caught:
        send(conn, sip)
    assert caught.value.retryable and caught.value.retry_after == 12.0
    submission = send(conn, sip)
    assert (submission.remote_reference, submission.duplicate, len(remote.messages)) == (
        "m1",
        False,
        1,
    )


def test_refused_cookie_is_credentials_refused(sip: Path) -> None:
    remote = FakeMaarch()
    conn = connector(remote, token="wrong")
    with pytest.raises(CredentialsRefused) as caught:
        send(conn, sip)
    assert not caught.value.retryable and "Authentication failed" in str(caught.value)
    report = conn.check()
    assert (report.ok, report.code) == (False, "credentials_refused")
    assert "wrong" not in repr(conn.history) and "wrong" not in repr(report)


def test_too_large_package_is_refused_before_any_request(tmp_path: Path) -> None:
    big = tmp_path / "big.zip"
    with big.open("wb") as handle:
        handle.truncate(300 * 1024**2)  # sparse: its size says enough, it is never read
    remote = FakeMaarch()
    conn = connector(remote)
    with pytest.raises(SubmissionRefused) as caught:
        send(conn, big)
    assert caught.value.code == "package_too_large_for_maarch"
    assert str(base64_size(300 * 1024**2)) in str(caught.value)
    assert remote.requests == [] and conn.history == []


def test_the_limit_is_on_the_base64_form(sip: Path) -> None:
    encoded = base64_size(sip.stat().st_size)
    with pytest.raises(SubmissionRefused):
        send(connector(FakeMaarch(), max_base64_bytes=encoded - 1), sip)
    assert send(connector(FakeMaarch(), max_base64_bytes=encoded), sip).remote_reference == "m1"


def test_body_is_streamed_json_whose_base64_is_the_package(sip: Path) -> None:
    remote = FakeMaarch()
    probe = StreamProbe(remote)
    conn = MaarchRmConnector(BASE, TOKEN, httpx.Client(transport=probe), upload_chunk_bytes=4096)
    send(conn, sip)
    body = remote.bodies[0]
    assert base64.b64decode(str(body["messageFile"]), validate=True) == sip.read_bytes()
    assert (body["filename"], body["schema"], body["attachments"]) == ("manifest.xml", "seda2", [])
    assert not issubclass(probe.stream_types[0], httpx.ByteStream)
    chunk_bytes = 4096 - 4096 % 3
    assert probe.chunk_counts[0] == 2 + -(-sip.stat().st_size // chunk_bytes)  # head, pieces, tail
    request = remote.requests[0]
    assert int(request.headers["Content-Length"]) == len(request.content)
    assert "Transfer-Encoding" not in request.headers
    assert request.headers["Content-Type"] == "application/json"


def test_exchanges_are_recorded_with_the_cookie_redacted(sip: Path) -> None:
    remote = FakeMaarch(reply=accepted_reply(MID))
    conn = connector(remote)
    conn.poll(send(conn, sip).with_acknowledgement())
    assert [(e.method, e.status) for e in conn.history] == [
        ("POST", 200),
        ("GET", 200),
        ("GET", 200),
    ]
    post = conn.history[0]
    assert post.url == f"{BASE}/medona/Archivetransfer"
    assert post.request_headers["cookie"] == REDACTED
    assert post.request_sha256 == hashlib.sha256(sip.read_bytes()).hexdigest()
    assert conn.history[2].url == f"{BASE}/medona/message/r-m1/Export"
    assert TOKEN not in repr(conn.history) and TOKEN not in repr(conn)


def test_resend_answers_the_message_already_received(sip: Path) -> None:
    remote = FakeMaarch()
    conn = connector(remote)
    first = send(conn, sip)
    again = send(conn, sip)
    assert (again.duplicate, again.remote_reference) == (True, first.remote_reference)
    assert again.locators == first.locators and len(remote.messages) == 1


def test_dots_in_the_reference_are_encoded_as_maarch_courrier_does(tmp_path: Path) -> None:
    mid = "FRAD.2026.42"
    remote = FakeMaarch(reply=accepted_reply(mid))
    conn = connector(remote)
    submission = send(conn, make_sip(tmp_path / "dotted.zip", mid), mid)
    assert isinstance(conn.poll(submission.with_acknowledgement()), Replied)
    lookup = remote.requests[1]
    assert lookup.url.query == b"reference=FRAD%2E2026%2E42"


def test_a_reply_for_another_transfer_is_refused(sip: Path) -> None:
    conn = connector(FakeMaarch(reply=accepted_reply("TR-not-this-one")))
    with pytest.raises(ProtocolError) as caught:
        conn.poll(send(conn, sip).with_acknowledgement())
    assert caught.value.code == "reply_mismatch"


def test_a_seda_1_reply_correlates_by_transfer_identifier(sip: Path) -> None:
    def seda1(transfer: str) -> bytes:
        return (
            '<ArchiveTransferReply xmlns="fr:gouv:culture:archivesdefrance:seda:v1.0">'
            "<Date>2026-01-15T10:00:00</Date><ReplyCode>000</ReplyCode>"
            f"<TransferIdentifier>{transfer}</TransferIdentifier>"
            "<TransferReplyIdentifier>ATR-9</TransferReplyIdentifier></ArchiveTransferReply>"
        ).encode()

    conn = connector(FakeMaarch(reply=seda1(MID)))
    replied = conn.poll(send(conn, sip).with_acknowledgement())
    assert isinstance(replied, Replied) and replied.outcome.outcome is Outcome.ACCEPTED
    other = connector(FakeMaarch(reply=seda1("TR-OTHER")))
    with pytest.raises(ProtocolError, match="TR-OTHER"):
        other.poll(send(other, sip).with_acknowledgement())


def test_final_status_without_reply_and_unknown_transfer_are_protocol_errors(sip: Path) -> None:
    remote = FakeMaarch()
    conn = connector(remote)
    submission = send(conn, sip).with_acknowledgement()
    remote.messages[MID].status = "processed"
    with pytest.raises(ProtocolError) as caught:
        conn.poll(submission)
    assert caught.value.code == "reply_missing"
    lost = Submission("maarch_rm", "TR-unknown", "m9", True, {"reference": "TR-unknown"})
    with pytest.raises(ProtocolError) as unknown:
        conn.poll(lost)
    assert unknown.value.code == "transfer_not_found"


def test_an_unreadable_export_is_a_protocol_error(sip: Path) -> None:
    remote = FakeMaarch(reply=accepted_reply(MID))
    conn = connector(remote)
    submission = send(conn, sip).with_acknowledgement()
    replied = {"messageId": "m1", "status": "processed", "replyMessage": {"messageId": "r1"}}
    seven_zip = b"7z\xbc\xaf\x27\x1c\x00\x04"
    remote.failures.extend(
        [httpx.Response(200, json=replied), httpx.Response(200, content=seven_zip)]
    )
    with pytest.raises(ProtocolError) as caught:
        conn.poll(submission)
    assert caught.value.code == "export_unreadable"


def test_check_reports_a_reachable_repository() -> None:
    report = connector(FakeMaarch()).check()
    assert (report.ok, report.code, dict(report.details)) == (
        True,
        "ok",
        {"archival_agreements": "2"},
    )


def test_base64_pieces_join_into_the_whole() -> None:
    data = bytes(range(256)) * 7
    for sizes in ([1], [2, 5], [3, 3, 3], [4, 1, 1, 7], [len(data)]):
        chunks, start = [], 0
        while start < len(data):
            for size in sizes:
                chunks.append(data[start : start + size])
                start += size
        pieces = list(encode_chunks(iter(chunks)))
        assert b"".join(pieces) == base64.b64encode(data), sizes
        assert all(b"=" not in piece for piece in pieces[:-1])
    assert [base64_size(n) for n in (0, 1, 2, 3, 4)] == [0, 4, 4, 4, 8]


def test_built_from_settings_with_the_token_in_the_environment(sip: Path) -> None:
    table = {
        "kind": "maarch_rm",
        "base_url": BASE,
        "token_env": "MAARCH_TOKEN",
        "poll_interval": 60,
    }
    settings = ConnectorSettings.from_table("maarch", table, {"MAARCH_TOKEN": TOKEN})
    conn = build(settings)
    assert isinstance(conn, MaarchRmConnector) and conn.poll_interval == 60.0
    assert TOKEN not in repr(conn)


def test_plain_http_is_refused_outside_loopback() -> None:
    client = httpx.Client(transport=httpx.MockTransport(FakeMaarch()))
    with pytest.raises(ValueError, match="HTTPS"):
        MaarchRmConnector("http://maarch.example", TOKEN, client)
    assert MaarchRmConnector("http://127.0.0.1:8080", TOKEN, client).base_url.host == "127.0.0.1"
