"""vitam against a scripted Vitam that follows the contract in the connector's docstring.

The scripted Vitam answers with Vitam's own replies (../shared/seda/samples: the documentation
examples, the worker tests, Pastell's fixtures, and ingest-external's KO template filled in the way
Vitam fills it); those tests skip when ../shared is absent and fail when CI=true. The last tests
put the same scripted Vitam behind a real HTTPS server on loopback that demands a client
certificate and speaks TLS 1.2 at most (tests/fixtures/tls.py).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from connectors.base import (
    Connector,
    CredentialsRefused,
    Exchange,
    Misconfiguration,
    NotReady,
    ProtocolError,
    RemoteUnavailable,
    Replied,
    Submission,
    TlsRefused,
)
from connectors.config import ConnectorMisconfigured, ConnectorSettings, build, tls_context
from connectors.vitam import VitamConnector, from_settings
from connectors.vitam_layout import sip_layout_problems
from seda.replies import Outcome, build_transfer_reply
from seda.versions import SedaVersion
from tests.connectors.remote import StreamProbe
from tests.fixtures.seda_corpus import sample
from tests.fixtures.tls import HttpsServer, TlsPki

BASE = "https://vitam.example"
TENANT = 1
OK_REQUEST = "ef311f05-2a6f-40fe-b015-00b8ebeafcbd"  # atr_vitam_ok.xml's MessageRequestIdentifier
OK_OPERATION = "aeeaaaaaacfdatmhaahbiamc2a76zpyaaaaq"  # … and its MessageIdentifier
_MESSAGE_ID = re.compile(rb"<(?:\w+:)?MessageIdentifier>([^<]*)<")
_REPLY_CODE = re.compile(rb"<(?:\w+:)?ReplyCode>([^<]*)<")


def vitam_error(status: int, code: str, description: str) -> httpx.Response:
    body = {"httpCode": status, "code": code, "message": description, "description": description}
    return httpx.Response(status, json=body)


def _tag(pattern: re.Pattern[bytes], reply: bytes) -> str:
    found = pattern.search(reply)
    return found.group(1).decode().strip() if found else ""


@dataclass
class Operation:
    reply: bytes | None
    status: str
    running_polls: int
    missing_reply_polls: int


@dataclass
class FakeVitam:
    """Vitam's side, scripted per test: tenant filter, the certificate's context, ingest,
    operation status and replies. The operation id is the reply's MessageIdentifier, as Vitam
    writes it, unless `operation_id` says otherwise."""

    reply: bytes | None = None
    running_polls: int = 0
    missing_reply_polls: int = 0
    final_status: str | None = None
    operation_id: str | None = None
    tenants: tuple[int, ...] = (TENANT,)
    ingest_contract: bool = True
    workflows: tuple[str, ...] = ("DEFAULT_WORKFLOW", "BLANK_TEST")
    failures: list[httpx.Response] = field(default_factory=list)
    operations: dict[str, Operation] = field(default_factory=dict)
    received: list[bytes] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        refused = self._filters(request)
        if refused is not None:
            return refused
        if self.failures:
            return self.failures.pop(0)
        path, method = request.url.path, request.method
        if (method, path) == ("POST", "/ingest-external/v1/ingests"):
            return self._ingest(request)
        if method == "HEAD" and path.startswith("/admin-external/v1/operations/"):
            return self._status(path.rsplit("/", 1)[1])
        if method == "GET" and path.endswith("/archivetransferreply"):
            return self._reply(path.split("/")[-2])
        return httpx.Response(404, text="<html>Not Found</html>")

    def _filters(self, request: httpx.Request) -> httpx.Response | None:
        """TenantFilter (412 malformed, 401 unknown), then the ingest contract of the context."""
        try:
            tenant = int(request.headers.get("X-Tenant-Id", ""))
        except ValueError:
            return httpx.Response(412, json={"Error": "X-Tenant-Id check failed!"})
        if tenant not in self.tenants:
            return httpx.Response(401, json={"Error": "X-Tenant-Id check failed!"})
        if not self.ingest_contract:
            detail = f"Ingest contract not found in the context for the tenant id :{tenant}"
            return vitam_error(401, "000700", detail)
        return None

    def _ingest(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Content-Type") != "application/octet-stream":
            return httpx.Response(415)
        assert request.headers["X-Action"] == "RESUME"
        self.received.append(request.content)
        operation = self.operation_id or _tag(_MESSAGE_ID, self.reply or b"")
        operation = operation or f"aeeaaaaaaagedsaefake{len(self.operations):016d}"
        context = request.headers.get("X-Context-Id", "")
        if context not in self.workflows:
            return httpx.Response(
                503,
                content=unknown_workflow_reply(operation, context),
                headers={"X-Request-Id": operation, "X-Global-Execution-Status": "FATAL"},
            )
        status = self.final_status or _tag(_REPLY_CODE, self.reply or b"") or "OK"
        self.operations[operation] = Operation(
            self.reply, status, self.running_polls, self.missing_reply_polls
        )
        headers = {
            "X-Request-Id": operation,
            "X-Global-Execution-State": "PAUSE",
            "X-Global-Execution-Status": "UNKNOWN",
        }
        return httpx.Response(202, headers=headers)

    def _status(self, operation_id: str) -> httpx.Response:
        operation = self.operations.get(operation_id)
        if operation is None:
            return httpx.Response(204)
        if operation.running_polls > 0:
            operation.running_polls -= 1
            running = {
                "X-Global-Execution-State": "RUNNING",
                "X-Global-Execution-Status": "STARTED",
            }
            return httpx.Response(202, headers=running)
        completed = {"X-Global-Execution-State": "COMPLETED"}
        return httpx.Response(
            200, headers={**completed, "X-Global-Execution-Status": operation.status}
        )

    def _reply(self, operation_id: str) -> httpx.Response:
        operation = self.operations.get(operation_id)
        if operation is not None and operation.missing_reply_polls > 0:
            operation.missing_reply_polls -= 1
        elif operation is not None and operation.reply is not None:
            return httpx.Response(
                200, content=operation.reply, headers={"Content-Type": "application/octet-stream"}
            )
        return vitam_error(404, "040102", "Ingest external not found")


def unknown_workflow_reply(operation: str, context: str) -> bytes:
    """ingest-external's KO template, filled in as Vitam fills it for an unknown workflow."""
    template = sample("vitam/ingest-external-core/main/ATR_KO_DEFAULT.xml").decode()
    message = f"Échec du téléchargement du SIP Workflow {context} not found"
    values = {
        "#MADATE#": "2026-01-15T10:00:00",
        "#MESSAGE_IDENTIFIER#": operation,
        "#ARCHIVAL_AGENCY#": "ArchivalAgencyToBeDefined",
        "#TRANSFERRING_AGENCY#": "TransferringAgencyToBeDefined",
        "#COMMENT#": message,
        "#EVENT_TYPE_CODE#": "STP_UPLOAD_SIP",
        "#EVENT_TYPE#": "Processus de téléchargement du SIP",
        "#EVENT_DATE_TIME#": "2026-01-15T10:00:00",
        "#OUTCOME_DETAIL_MESSAGE#": message,
        "#OUTCOME_DETAIL#": "STP_UPLOAD_SIP.KO",
        "#OUTCOME#": "KO",
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template.encode()


def connector(remote: Callable[[httpx.Request], httpx.Response], **kw: object) -> VitamConnector:
    client = httpx.Client(transport=StreamProbe(remote))
    return VitamConnector(BASE, TENANT, client, upload_chunk_bytes=4096, **kw)  # type: ignore[arg-type]


def make_sip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            if name.endswith("/"):
                archive.writestr(zipfile.ZipInfo(name), b"")
            else:
                archive.writestr(name, data)
    return path


@pytest.fixture
def sip(tmp_path: Path) -> Path:
    payload = hashlib.sha512(b"seed").digest() * 600
    document = f"content/{hashlib.sha256(payload).hexdigest()}.pdf"
    return make_sip(
        tmp_path / "sip.zip",
        {"manifest.xml": b"<ArchiveTransfer/>", "content/": b"", document: payload},
    )


def send(
    conn: VitamConnector,
    sip: Path,
    message_identifier: str,
    digest: tuple[str, str] | None = ("sha-512", "AB" * 64),
) -> Submission:
    return conn.submit(
        sip,
        message_identifier=message_identifier,
        transferring_agency="FRAD000",
        manifest_digest=digest,
    )


def poll_until_replied(conn: VitamConnector, submission: Submission) -> Replied:
    for _ in range(20):
        result = conn.poll(submission)
        if isinstance(result, Replied):
            return result
        assert isinstance(result, NotReady)  # Vitam writes no Acknowledgement
    raise AssertionError("aucune réponse après 20 interrogations")


def test_accepted_transfer_is_replied_with_each_unit_system_id(sip: Path) -> None:
    remote = FakeVitam(reply=sample("pastell/tests-helpers/atr_vitam_ok.xml"), running_polls=1)
    conn = connector(remote)
    assert isinstance(conn, Connector)
    submission = send(conn, sip, OK_REQUEST)
    assert (submission.remote_reference, submission.acknowledged) == (OK_OPERATION, False)
    assert dict(submission.locators) == {"operation_id": OK_OPERATION}
    assert conn.poll(submission) == NotReady(30.0)
    replied = poll_until_replied(conn, submission)
    assert replied.outcome.outcome is Outcome.ACCEPTED
    assert replied.outcome.reply_identifier == OK_OPERATION
    assert replied.outcome.archive_identifiers == (
        "aeaqaaaaaafdat3yadroqamc2a77c6yaaaba",
        "aeaqaaaaaafdat3yadroqamc2a77c5iaaaaq",
    )
    assert replied.raw == remote.reply


@pytest.mark.parametrize(
    ("name", "request_id", "units"),
    [
        ("vitam/doc-examples/sedaArchiveTransferReply.xml", "OK_texte_14BinaryMaster_fmts", 15),
        ("vitam/worker-core/atr-with-seda-2.1.xml", "aeaaaaaaaaeaaaababtjoamasqdatiyaaaaq", 8),
        ("vitam/worker-core/atr-with-unified_seda.xml", "aeaaaaaaaaeaaaababtjoamasqdatiyaaaaq", 8),
    ],
)
def test_vitam_replies_are_read_leniently(
    sip: Path, name: str, request_id: str, units: int
) -> None:
    conn = connector(FakeVitam(reply=sample(name)))
    replied = poll_until_replied(conn, send(conn, sip, request_id))
    assert replied.outcome.outcome is Outcome.ACCEPTED
    assert replied.outcome.transfer_identifier == request_id
    assert len(set(replied.outcome.archive_identifiers)) == units


def test_warning_is_accepted_with_warnings_not_a_rejection(sip: Path) -> None:
    remote = FakeVitam(reply=sample("vitam/worker-core/atr-with-cardinality-error.xml"))
    conn = connector(remote)
    replied = poll_until_replied(conn, send(conn, sip, "SIP passant contenant 2 groupes d'objets"))
    assert replied.outcome.outcome is Outcome.ACCEPTED_WITH_WARNINGS
    assert len(replied.outcome.archive_identifiers) == 3
    assert any(event[1] == "WARNING" for event in replied.outcome.events)


@pytest.mark.parametrize(
    "name",
    ["vitam/doc-examples/sedaArchiveTransferReplyKO.xml", "pastell/tests-helpers/atr_vitam_ko.xml"],
)
def test_early_rejection_with_empty_request_identifier_is_this_operations_reply(
    sip: Path, name: str
) -> None:
    conn = connector(FakeVitam(reply=sample(name)))
    replied = poll_until_replied(conn, send(conn, sip, "TR-2026-KO"))
    assert replied.outcome.outcome is Outcome.REJECTED
    # matched by the operation id, the reply is given our MessageIdentifier for the caller
    assert replied.outcome.transfer_identifier == "TR-2026-KO"
    assert replied.outcome.archive_identifiers == ()
    reasons = [e for e in replied.outcome.events if e[1] == "KO"]
    assert len(reasons) == 3 and all(message for _, _, message in reasons)


def test_running_then_reply_not_yet_written_is_not_ready(sip: Path) -> None:
    remote = FakeVitam(
        reply=sample("pastell/tests-helpers/atr_vitam_ok.xml"),
        running_polls=3,
        missing_reply_polls=2,
    )
    conn = connector(remote, poll_interval=5.0)
    submission = send(conn, sip, OK_REQUEST)
    results = [conn.poll(submission) for _ in range(6)]
    assert [type(r) for r in results] == [NotReady] * 5 + [Replied]
    assert all(r.retry_after == 5.0 for r in results if isinstance(r, NotReady))
    asked = [(r.method, r.url.path.rsplit("/", 1)[1]) for r in remote.requests[1:]]
    assert (
        asked
        == [("HEAD", OK_OPERATION)] * 3
        + [
            ("HEAD", OK_OPERATION),
            ("GET", "archivetransferreply"),
        ]
        * 3
    )


def test_server_error_is_retryable_then_the_submission_recovers(sip: Path) -> None:
    remote = FakeVitam(
        reply=sample("pastell/tests-helpers/atr_vitam_ok.xml"),
        failures=[httpx.Response(503, headers={"Retry-After": "12"}, text="maintenance")],
    )
    conn = connector(remote)
    with pytest.raises(RemoteUnavailable) as caught:
        send(conn, sip, OK_REQUEST)
    assert caught.value.retryable and caught.value.retry_after == 12.0
    submission = send(conn, sip, OK_REQUEST)
    remote.failures.append(vitam_error(500, "040105", "Ingest external internal server error"))
    with pytest.raises(RemoteUnavailable, match="040105"):
        conn.poll(submission)
    assert isinstance(poll_until_replied(conn, submission), Replied)


def test_an_operation_vitam_does_not_know_is_retried(sip: Path) -> None:
    conn = connector(FakeVitam())
    lost = Submission("vitam", "TR-1", "aeeaaaaaaaunknownaaaaaaaaaaaaaaaaaaa", False)
    with pytest.raises(RemoteUnavailable) as caught:
        conn.poll(lost)
    assert caught.value.code == "vitam_operation_unknown" and caught.value.retryable


def test_fatal_operation_without_reply_says_so(sip: Path) -> None:
    conn = connector(FakeVitam(final_status="FATAL"))
    with pytest.raises(RemoteUnavailable) as caught:
        conn.poll(send(conn, sip, "TR-1"))
    assert caught.value.code == "vitam_operation_fatal"


@pytest.mark.parametrize(
    ("remote", "detail"),
    [
        (FakeVitam(tenants=(2,)), "X-Tenant-Id check failed!"),
        (FakeVitam(ingest_contract=False), "Ingest contract not found in the context"),
    ],
)
def test_unknown_tenant_or_certificate_without_contract_is_credentials_refused(
    sip: Path, remote: FakeVitam, detail: str
) -> None:
    conn = connector(remote)
    with pytest.raises(CredentialsRefused) as caught:
        send(conn, sip, "TR-1")
    message = str(caught.value)
    assert "tenant 1 inconnu" in message and "contrat d'entrée" in message and detail in message
    assert not caught.value.retryable
    report = conn.check()
    assert (report.ok, report.code) == (False, "credentials_refused")
    assert report.details["tenant"] == "1"


def test_a_workflow_the_platform_lacks_is_a_configuration_error_with_the_reply_reasons(
    sip: Path,
) -> None:
    remote = FakeVitam(workflows=("DEFAULT_WORKFLOW",))  # no dry run on this platform
    conn = connector(remote, context_id="BLANK_TEST")
    with pytest.raises(Misconfiguration) as caught:
        send(conn, sip, "TR-1")
    assert caught.value.code == "vitam_workflow_unknown" and not caught.value.retryable
    assert "BLANK_TEST" in str(caught.value)
    assert caught.value.reasons == (
        "STP_UPLOAD_SIP KO : Échec du téléchargement du SIP Workflow BLANK_TEST not found",
    )


def test_dry_run_context_is_sent(sip: Path) -> None:
    remote = FakeVitam()
    send(connector(remote, context_id="BLANK_TEST"), sip, "TR-1")
    assert remote.requests[0].headers["X-Context-Id"] == "BLANK_TEST"


def test_tenant_header_lost_on_the_way_is_a_412_protocol_error(sip: Path) -> None:
    remote = FakeVitam()

    def stripping_proxy(request: httpx.Request) -> httpx.Response:
        del request.headers["X-Tenant-Id"]
        return remote(request)

    conn = connector(stripping_proxy)
    with pytest.raises(ProtocolError) as caught:
        send(conn, sip, "TR-1")
    assert caught.value.code == "vitam_tenant_malformed" and "X-Tenant-Id" in str(caught.value)
    report = conn.check()
    assert (report.ok, report.code) == (False, "vitam_tenant_malformed")


def test_refused_media_type_is_a_protocol_error(sip: Path) -> None:
    conn = connector(FakeVitam(failures=[httpx.Response(415)]))
    with pytest.raises(ProtocolError) as caught:
        send(conn, sip, "TR-1")
    assert caught.value.code == "vitam_media_type_refused"


def test_check_reports_a_reachable_vitam() -> None:
    remote = FakeVitam()
    report = connector(remote).check()
    assert (report.ok, report.code) == (True, "ok")
    probe = remote.requests[0]
    assert (probe.method, probe.headers["X-Tenant-Id"]) == ("GET", "1")
    assert probe.url.path == report.details["probe"]


def test_check_reports_a_wrong_base_address() -> None:
    conn = VitamConnector(
        BASE, TENANT, httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
    )
    report = conn.check()
    assert (report.ok, report.code) == (False, "vitam_unexpected_status")
    assert "adresse de base" in report.reason


def test_a_reply_for_another_transfer_is_refused(sip: Path) -> None:
    conn = connector(FakeVitam(reply=sample("pastell/tests-helpers/atr_vitam_ok.xml")))
    with pytest.raises(ProtocolError) as caught:
        poll_until_replied(conn, send(conn, sip, "TR-not-this-one"))
    assert caught.value.code == "reply_mismatch"


def test_a_reply_for_another_operation_is_refused(sip: Path) -> None:
    remote = FakeVitam(
        reply=sample("pastell/tests-helpers/atr_vitam_ko.xml"),
        operation_id="aeeaaaaaaaanotheroperationaaaaaaaaaa",
    )
    conn = connector(remote)
    with pytest.raises(ProtocolError) as caught:
        poll_until_replied(conn, send(conn, sip, "TR-1"))
    assert caught.value.code == "reply_mismatch"
    assert "aeeaaaaaacfdatmhabqumamcgwajmciaaaaq" in str(caught.value)


@pytest.mark.parametrize(
    ("entries", "problems"),
    [
        (
            {"manifest.xml": b"m", "notes.txt": b"n", "content/a.pdf": b"a"},
            ["fichier à la racine autre que le manifeste : notes.txt"],
        ),
        ({"content/a.pdf": b"a"}, ["aucun manifest.xml (ou <préfixe>_manifest.xml) à la racine"]),
        (
            {"manifest.xml": b"m", "SIP_manifest.xml": b"m"},
            ["plusieurs manifestes à la racine : manifest.xml, SIP_manifest.xml"],
        ),
        (
            {"manifest.xml": b"m", "docs/": b"", "docs/a.pdf": b"a"},
            ["dossier hors de content/ : docs/"],
        ),
        (
            {"manifest.xml": b"m", "content/rapport final.pdf": b"a", "content/été.pdf": b"b"},
            [
                "nom refusé par Vitam : content/rapport final.pdf",
                "nom refusé par Vitam : content/été.pdf",
            ],
        ),
        (
            {"manifest.xml": b"m", "content/../a.pdf": b"a", "content//b.pdf": b"b"},
            ["nom refusé par Vitam : content/../a.pdf", "nom refusé par Vitam : content//b.pdf"],
        ),
    ],
)
def test_a_layout_vitam_refuses_is_refused_before_any_request(
    tmp_path: Path, entries: dict[str, bytes], problems: list[str]
) -> None:
    remote = FakeVitam()
    conn = connector(remote)
    with pytest.raises(Misconfiguration) as caught:  # the agreement's settings, not the records
        send(conn, make_sip(tmp_path / "bad.zip", entries), "TR-1")
    assert caught.value.code == "vitam_sip_layout"
    assert list(caught.value.reasons) == problems
    assert remote.requests == [] and conn.history == []


def test_layouts_vitam_accepts() -> None:
    assert sip_layout_problems(["manifest.xml"]) == []
    assert (
        sip_layout_problems(["FRAD000-2026_manifest.xml", "Content/", "Content/a@b.v1.pdf"]) == []
    )
    assert sip_layout_problems(["manifest.xml", "content/sub/x_y-z.tar.gz"]) == []


def test_a_file_that_is_not_a_zip_is_refused_before_any_request(tmp_path: Path) -> None:
    remote = FakeVitam()
    not_zip = tmp_path / "sip.zip"
    not_zip.write_bytes(b"not a zip at all")
    with pytest.raises(Misconfiguration) as caught:
        send(connector(remote), not_zip, "TR-1")
    assert caught.value.code == "vitam_sip_layout" and remote.requests == []


def test_upload_is_streamed_in_chunks_not_read_whole(sip: Path) -> None:
    remote = FakeVitam()
    probe = StreamProbe(remote)
    conn = VitamConnector(BASE, TENANT, httpx.Client(transport=probe), upload_chunk_bytes=4096)
    send(conn, sip, "TR-1")
    size = sip.stat().st_size
    assert not issubclass(probe.stream_types[0], httpx.ByteStream)  # bytes would be a ByteStream
    assert len(probe.pieces[0]) == -(-size // 4096) > 1
    assert max(probe.pieces[0]) == 4096
    digest = hashlib.sha256(sip.read_bytes()).hexdigest()
    assert hashlib.sha256(remote.received[0]).hexdigest() == digest
    assert (conn.history[0].request_sha256, conn.history[0].request_size) == (digest, size)
    request = remote.requests[0]
    assert request.headers["Content-Length"] == str(size)
    assert "Transfer-Encoding" not in request.headers


def test_headers_follow_the_contract(sip: Path) -> None:
    remote = FakeVitam()
    send(connector(remote), sip, "TR-1", digest=("sha-256", "AB" * 32))
    sent = remote.requests[0].headers
    assert sent["X-Tenant-Id"] == "1" and sent["X-Action"] == "RESUME"
    assert sent["X-Context-Id"] == "DEFAULT_WORKFLOW" and sent["Accept"] == "application/xml"
    assert sent["Content-Type"] == "application/octet-stream"
    assert (sent["X-Manifest-Digest-Algo"], sent["X-Manifest-Digest-Value"]) == (
        "SHA-256",
        "ab" * 32,
    )
    send(connector(remote), sip, "TR-2", digest=None)
    assert not any(k.lower().startswith("x-manifest") for k in remote.requests[1].headers)


def test_unusable_manifest_digest_is_a_caller_error(sip: Path) -> None:
    with pytest.raises(ValueError, match="empreinte"):
        send(connector(FakeVitam()), sip, "TR-1", digest=("MD5", "ab"))


def test_exchanges_are_recorded(sip: Path) -> None:
    conn = connector(FakeVitam(reply=sample("pastell/tests-helpers/atr_vitam_ok.xml")))
    poll_until_replied(conn, send(conn, sip, OK_REQUEST))
    assert [(e.method, e.status) for e in conn.history] == [
        ("POST", 202),
        ("HEAD", 200),
        ("GET", 200),
    ]
    assert all(e.message_identifier == OK_REQUEST for e in conn.history)
    post = conn.history[0]
    assert post.request_headers["x-tenant-id"] == "1"
    assert post.response_headers["x-request-id"] == OK_OPERATION
    assert (
        conn.history[2].response_sha256
        == hashlib.sha256(sample("pastell/tests-helpers/atr_vitam_ok.xml")).hexdigest()
    )


def test_plain_http_and_bad_settings_are_refused(tls_pki: TlsPki) -> None:
    client = httpx.Client(transport=httpx.MockTransport(FakeVitam()))
    with pytest.raises(ValueError, match="HTTPS"):
        VitamConnector("http://vitam.example", TENANT, client)
    for context in ("DEFAULT WORKFLOW", "HOLDING_SCHEME", "MON_WORKFLOW"):
        with pytest.raises(ValueError, match="context_id"):
            VitamConnector(BASE, TENANT, client, context_id=context)
    table = {"kind": "vitam", "base_url": BASE, "tenant": TENANT}
    with pytest.raises(ConnectorMisconfigured, match="client_certificate"):
        from_settings(ConnectorSettings.from_table("v", table), [])
    certificates = {"client_certificate": str(tls_pki.client.certificate)}
    certificates["client_key"] = str(tls_pki.client.key)
    for wrong in ({"tenant": "1"}, {"base_url": "http://vitam.example"}):
        settings = ConnectorSettings.from_table("v", {**table, **certificates, **wrong})
        with pytest.raises(ConnectorMisconfigured):
            from_settings(settings, [])


# Mutual TLS on loopback: the same scripted Vitam behind a real HTTPS server.

KEY_PASSWORD_ENV = "GEDSAE_TEST_VITAM_KEY_PASSWORD"
TLS_OPERATION = "aeeaaaaaaagedsaetlsloopbackaaaaaaaaa"


def tls_remote() -> FakeVitam:
    reply = build_transfer_reply(
        SedaVersion.V2_1,
        message_identifier=TLS_OPERATION,
        request_identifier="TR-TLS-1",
        reply_code="OK",
        archival_agency="AN",
        transferring_agency="FRAD000",
        date=datetime(2026, 1, 15, tzinfo=UTC),
    )
    return FakeVitam(reply=reply, running_polls=1)


def tls_table(pki: TlsPki, server: HttpsServer) -> dict[str, object]:
    return {
        "kind": "vitam",
        "base_url": server.base_url,
        "tenant": TENANT,
        "ca_bundle": str(pki.ca),
        "client_certificate": str(pki.client.certificate),
        "client_key": str(pki.client_encrypted_key),
        "client_key_password_env": KEY_PASSWORD_ENV,
        "poll_interval": 1.0,
        "connect_timeout": 5.0,
        "read_timeout": 10.0,
    }


def settings_of(pki: TlsPki, table: dict[str, object]) -> ConnectorSettings:
    environ = {KEY_PASSWORD_ENV: pki.client_key_password}
    return ConnectorSettings.from_table("vitam-loopback", table, environ)


def test_mutual_tls_end_to_end(
    tls_pki: TlsPki, https_server: Callable[..., HttpsServer], sip: Path
) -> None:
    remote = tls_remote()
    server = https_server(remote)
    history: list[Exchange] = []
    conn = build(settings_of(tls_pki, tls_table(tls_pki, server)), history)
    assert isinstance(conn, VitamConnector)
    try:
        assert conn.check().ok is True
        submission = send(conn, sip, "TR-TLS-1")
        assert submission.remote_reference == TLS_OPERATION
        assert remote.received == [sip.read_bytes()]
        replied = poll_until_replied(conn, submission)
    finally:
        conn.close()
    assert replied.outcome.outcome is Outcome.ACCEPTED
    assert server.errors == []
    assert [(e.method, e.status) for e in history] == [
        ("GET", 404),
        ("POST", 202),
        ("HEAD", 202),
        ("HEAD", 200),
        ("GET", 200),
    ]
    recorded = repr(history) + repr(conn)
    key_text = tls_pki.client.key.read_text()
    assert tls_pki.client_key_password not in recorded and key_text not in recorded
    assert "PRIVATE KEY" not in recorded
    assert history[1].request_headers["x-tenant-id"] == "1"


def test_a_server_certificate_our_ca_does_not_sign_is_tls_refused(
    tls_pki: TlsPki, https_server: Callable[..., HttpsServer], sip: Path
) -> None:
    server = https_server(tls_remote(), certificate=tls_pki.foreign_server)
    conn = from_settings(settings_of(tls_pki, tls_table(tls_pki, server)), [])
    try:
        report = conn.check()
        with pytest.raises(TlsRefused) as caught:
            send(conn, sip, "TR-TLS-1")
    finally:
        conn.close()
    assert (report.ok, report.code) == (False, "tls_refused")
    assert "certificat du serveur Vitam refusé" in report.reason
    assert "certificat du serveur" in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize("client", ["none", "foreign"])
def test_a_missing_or_foreign_client_certificate_is_tls_refused(
    tls_pki: TlsPki, https_server: Callable[..., HttpsServer], sip: Path, client: str
) -> None:
    server = https_server(tls_remote())
    table = tls_table(tls_pki, server)
    del table["client_key_password_env"]
    if client == "foreign":
        table["client_certificate"] = str(tls_pki.foreign_client.certificate)
        table["client_key"] = str(tls_pki.foreign_client.key)
        conn = from_settings(settings_of(tls_pki, table), [])
    else:
        # from_settings refuses a Vitam connector without a certificate: build its client by hand
        del table["client_certificate"], table["client_key"]
        verify = tls_context(settings_of(tls_pki, table))
        conn = VitamConnector(server.base_url, TENANT, httpx.Client(verify=verify, timeout=10.0))
    try:
        report = conn.check()
        with pytest.raises(TlsRefused) as caught:
            send(conn, sip, "TR-TLS-1")
    finally:
        conn.close()
    assert (report.ok, report.code) == (False, "tls_refused")
    assert "certificat client" in report.reason and "certificat client" in str(caught.value)
    assert server.requests == [] and server.errors  # the server refused the handshake
