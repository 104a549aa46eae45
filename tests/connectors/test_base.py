"""The connector interface's shared plumbing: exception tree, redaction, recording, streaming."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.base import (
    REDACTED,
    ConnectorError,
    CredentialsRefused,
    Exchange,
    HashingFileStream,
    ProtocolError,
    Recorder,
    RemoteUnavailable,
    Secret,
    Submission,
    SubmissionRefused,
    TlsRefused,
    parse_retry_after,
    redact_headers,
    redact_url,
    translate_transport_error,
)

NOW = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def recorder(handler: Callable[[httpx.Request], httpx.Response], **kw: int) -> Recorder:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return Recorder("test", client, [], max_body_bytes=kw.get("max_body_bytes", 1024))


def test_only_remote_unavailable_is_retryable() -> None:
    errors = [
        RemoteUnavailable("x"),
        CredentialsRefused("x"),
        TlsRefused("x"),
        SubmissionRefused("x", reasons=("a",)),
        ProtocolError("x"),
    ]
    assert all(isinstance(e, ConnectorError) for e in errors)
    assert [e.retryable for e in errors] == [True, False, False, False, False]
    assert len({e.code for e in errors}) == len(errors)


def test_secret_never_shows_its_value() -> None:
    secret = Secret("s3cr3t-token")
    assert "s3cr3t" not in repr(secret) and "s3cr3t" not in str(secret) and f"{secret}" != ""
    assert secret.reveal() == "s3cr3t-token"


def test_headers_that_may_carry_credentials_are_redacted() -> None:
    headers = httpx.Headers(
        {
            "Authorization": "Bearer abc",
            "Cookie": "LAABS-AUTH=abc",
            "X-Auth-Token": "abc",
            "Idempotency-Key": "TR-1",
        }
    )
    redacted = redact_headers(headers)
    assert redacted["idempotency-key"] == "TR-1"
    assert [redacted[k] for k in ("authorization", "cookie", "x-auth-token")] == [REDACTED] * 3


def test_urls_lose_user_info_and_query_values() -> None:
    url = redact_url(httpx.URL("https://user:pw@sae.example/x?token=abc&id=1"))
    assert "pw" not in url and "abc" not in url and url.startswith("https://sae.example/x?")


def test_file_stream_yields_chunks_and_hashes_what_it_sent(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10
    path = tmp_path / "sip.zip"
    path.write_bytes(data)
    stream = HashingFileStream(path, chunk_bytes=1000)
    chunks = list(stream)
    assert [len(c) for c in chunks] == [1000, 1000, 560]
    assert (stream.sha256.hexdigest(), stream.size) == (hashlib.sha256(data).hexdigest(), 2560)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), ("Thu, 15 Jan 2026 09:31:00 GMT", 60.0), ("soon", None), (None, None)],
)
def test_retry_after_reads_seconds_and_dates(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def _tls_error() -> httpx.ConnectError:
    try:
        try:
            raise ssl.SSLCertVerificationError("certificate verify failed: self-signed")
        except ssl.SSLError as inner:
            raise httpx.ConnectError("handshake") from inner
    except httpx.ConnectError as outer:
        return outer


def test_transport_errors_become_connector_errors() -> None:
    assert isinstance(translate_transport_error(_tls_error()), TlsRefused)
    timeout = translate_transport_error(httpx.ReadTimeout("slow"))
    assert isinstance(timeout, RemoteUnavailable) and timeout.code == "remote_timeout"
    refused = translate_transport_error(httpx.ConnectError("connection refused"))
    assert isinstance(refused, RemoteUnavailable) and refused.retryable


def test_recorder_records_a_redacted_exchange() -> None:
    rec = recorder(lambda r: httpx.Response(200, headers={"Set-Cookie": "sid=1"}, content=b"ok"))
    request = httpx.Request(
        "POST", "https://sae.example/a", headers={"Authorization": "Bearer t0k"}, content=b"body"
    )
    response = rec.send(request, message_identifier="TR-1")
    assert response.content == b"ok"
    (exchange,) = rec.history
    assert (exchange.method, exchange.status, exchange.message_identifier) == ("POST", 200, "TR-1")
    assert exchange.request_headers["authorization"] == REDACTED
    assert exchange.response_headers["set-cookie"] == REDACTED
    assert exchange.request_sha256 == hashlib.sha256(b"body").hexdigest()
    assert (exchange.response_sha256, exchange.response_size) == (
        hashlib.sha256(b"ok").hexdigest(),
        2,
    )
    assert "t0k" not in repr(rec.history)


def test_recorder_records_a_failure_then_raises_from_the_cause() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    rec = recorder(refuse)
    with pytest.raises(RemoteUnavailable) as caught:
        rec.send(httpx.Request("GET", "https://sae.example/"), message_identifier=None)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    (exchange,) = rec.history
    assert (exchange.status, exchange.error) == (None, "remote_unavailable")


def test_recorder_refuses_an_oversized_body_and_records_it() -> None:
    rec = recorder(lambda r: httpx.Response(200, content=b"x" * 2048), max_body_bytes=1024)
    with pytest.raises(ProtocolError) as caught:
        rec.send(httpx.Request("GET", "https://sae.example/"), message_identifier=None)
    assert caught.value.code == "response_too_large"
    assert [e.error for e in rec.history] == ["response_too_large"]


def test_submission_acknowledgement_keeps_everything_else() -> None:
    sub = Submission("c", "TR-1", "42", False, {"reply_url": "https://x/r"})
    acked = sub.with_acknowledgement()
    assert acked.acknowledged and (acked.remote_reference, acked.locators) == ("42", sub.locators)


def test_exchange_is_a_plain_record() -> None:
    exchange = Exchange("c", None, "GET", "https://x/", NOW, 0.1, 200, {}, {}, None, 0, None, 0)
    assert exchange.error is None
