"""asalae against a scripted As@lae that plays the REST contract of the module docstring.

Its Acknowledgements and replies are the As@lae-style messages of ../shared/seda/samples
(Pastell's fake SAE and test helpers); no sample carries a warning code, so that reply is built
with `build_transfer_reply` plus the archive unit As@lae adds. Corpus tests skip when ../shared
is absent and fail when CI=true.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import re
import ssl
import tarfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from lxml import etree

from connectors.asalae import AsalaeConnector
from connectors.base import (
    REDACTED,
    Acknowledged,
    Connector,
    CredentialsRefused,
    Misconfiguration,
    NotReady,
    ProtocolError,
    RemoteUnavailable,
    Replied,
    Submission,
    SubmissionRefused,
)
from connectors.config import ConnectorMisconfigured, ConnectorSettings, build
from seda.disk_import import transfer_from_directory
from seda.replies import Outcome, build_acknowledgement, build_transfer_reply
from seda.sip import write_sip
from seda.versions import NAMESPACE_PREFIX, SedaVersion
from tests.connectors.remote import StreamProbe
from tests.fixtures.seda_corpus import sample

BASE = "https://asalae.example"
USER = "versant-pastell"
PASSWORD = "s3cr3t>>?"  # its Basic token holds '+' and '=': standard base64, padded
OK_ID = "15ef78ef665a8777c33d1125783707f8dfb190f82869dc9248e46c5ed396d70b_1542893421"
OK_AGENCY = "ASSEMBLEES"
KO_ID = "1bc19af9-2212-4e5a-956a-36591c4ac27a"
KO_AGENCY = "ville_02"
NOT_READY = "Transfert en cours de traitement"
CHUNK = 64 * 1024


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode()


def expected_authorization(form: str) -> str:
    sent = hashlib.sha256(PASSWORD.encode()).hexdigest() if form == "sha256" else PASSWORD
    return basic(sent)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_form(request: httpx.Request) -> dict[str, tuple[str | None, bytes]]:
    """multipart/form-data as a PHP server would see it: field name → (file name, bytes)."""
    boundary = request.headers["Content-Type"].split("boundary=")[1].encode()
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in request.content.split(b"--" + boundary)[1:-1]:
        head, _, data = part[2:].partition(b"\r\n\r\n")
        found = re.search(rb'name="([^"]*)"(?:; filename="([^"]*)")?', head)
        assert found is not None
        filename = found.group(2).decode() if found.group(2) is not None else None
        fields[found.group(1).decode()] = (filename, data[:-2])
    return fields


def manifest_keys(manifest: bytes) -> tuple[str, str, str]:
    """(namespace, transferring agency, message identifier), SEDA 2.x or 1.0."""
    root = etree.fromstring(manifest)
    ns = etree.QName(root).namespace or ""
    texts = {etree.QName(c).localname: c for c in root}
    identifier = texts.get("MessageIdentifier", texts.get("TransferIdentifier"))
    agency = texts["TransferringAgency"][0]  # Identifier (2.x) or Identification (1.0)
    assert identifier is not None
    return ns, (agency.text or "").strip(), (identifier.text or "").strip()


@dataclass
class Transfer:
    agency: str
    identifier: str
    namespace: str
    not_ready_polls: int
    acknowledgement: bytes | None
    reply: bytes | None
    attachments: bytes | None = None
    attachments_name: str | None = None


@dataclass
class Session:
    transfer: Transfer
    security: str
    chunks: dict[int, bytes] = field(default_factory=dict)
    forms: list[dict[str, str]] = field(default_factory=list)


@dataclass
class FakeAsalae:
    """The remote side, scripted per test; it keeps what it received."""

    password_form: str = "sha256"
    acknowledgement: bytes | None = None  # None: one is built for the transfer received
    reply: bytes | None = None
    not_ready_polls: int = 0
    reply_failures: list[httpx.Response] = field(default_factory=list)
    post_failure: httpx.Response | None = None
    chunks_supported: bool = True
    unknown: httpx.Response = field(default_factory=lambda: httpx.Response(404, text="Not Found"))
    timeout_after_post: bool = False
    transfers: dict[tuple[str, str], Transfer] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != expected_authorization(self.password_form):
            return httpx.Response(401, text="Unauthorized")
        path = request.url.path
        if path == "/restservices/ping":
            return httpx.Response(200, json="pong")
        if path == "/restservices/versions":
            return httpx.Response(200, json={"application": "as@lae", "version": "2.1.8"})
        if path == "/restservices/sedaMessages" and request.method == "POST":
            response = self._message(parse_form(request))
            if self.timeout_after_post:
                raise httpx.ReadTimeout("pas de réponse", request=request)
            return response
        if path == "/restservices/sedaAttachmentsChunkFiles":
            return self._chunk(parse_form(request))
        if path.startswith("/restservices/sedaMessages") and request.method == "GET":
            return self._poll(*poll_keys(request))
        return httpx.Response(404, text="Not Found")

    def _message(self, form: dict[str, tuple[str | None, bytes]]) -> httpx.Response:
        if self.post_failure is not None:
            return self.post_failure
        filename, manifest = form["seda_message"]
        assert filename == "bordereau.xml"
        namespace, agency, identifier = manifest_keys(manifest)
        transfer = Transfer(
            agency, identifier, namespace, self.not_ready_polls, self.acknowledgement, self.reply
        )
        if form.get("send_chunked_attachments", (None, b""))[1] == b"true":
            if not self.chunks_supported:
                return httpx.Response(200, json="ok")
            session_id = f"{len(self.sessions) + 12}"
            self.sessions[session_id] = Session(transfer, security=f"sec-{session_id}-42")
            return httpx.Response(
                200,
                json={
                    "chunk_session_identifier": int(session_id),
                    "chunk_security_identifier": f"sec-{session_id}-42",
                },
            )
        transfer.attachments_name, transfer.attachments = form["attachments"]
        self.transfers[(agency, identifier)] = transfer
        return httpx.Response(200, json="ok")

    def _chunk(self, form: dict[str, tuple[str | None, bytes]]) -> httpx.Response:
        values = {k: v.decode() for k, (name, v) in form.items() if name is None}
        session = self.sessions.get(values["session_identifier"])
        if session is None or values["security_identifier"] != session.security:
            return httpx.Response(403, text="Session inconnue")
        session.forms.append(values)
        session.chunks[int(values["chunk_index"])] = form["chunk_content"][1]
        count = int(values["number_of_chunks"])
        if sorted(session.chunks) == list(range(1, count + 1)):
            transfer = session.transfer
            transfer.attachments = b"".join(session.chunks[i] for i in range(1, count + 1))
            transfer.attachments_name = values["file_name"]
            self.transfers[(transfer.agency, transfer.identifier)] = transfer
        return httpx.Response(200, json={"chunk_index": int(values["chunk_index"])})

    def _poll(self, message: str, agency: str, identifier: str) -> httpx.Response:
        transfer = self.transfers.get((agency, identifier))
        if transfer is None:
            return self.unknown
        if message == "Acknowledgement":
            return httpx.Response(200, content=transfer.acknowledgement or _ack(transfer))
        if self.reply_failures:
            return self.reply_failures.pop(0)
        if transfer.not_ready_polls > 0 or transfer.reply is None:
            transfer.not_ready_polls -= 1
            return httpx.Response(500, text=NOT_READY)
        return httpx.Response(200, content=transfer.reply)

    def posts(self, path: str = "/restservices/sedaMessages") -> list[httpx.Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.path == path]


def poll_keys(request: httpx.Request) -> tuple[str, str, str]:
    """(message, agency, identifier) from either poll form."""
    if request.url.params:
        params = request.url.params
        assert params["sequence"] == "ArchiveTransfer"
        return (
            params["message"],
            params["originOrganizationIdentification"],
            params["originMessageIdentifier"],
        )
    raw = request.url.raw_path.decode("ascii").split("/")[3:]
    pairs = dict(segment.split(":", 1) for segment in raw)
    assert pairs["sequence"] == "ArchiveTransfer"
    return (
        pairs["message"],
        unquote(pairs["originOrganizationIdentification"]),
        unquote(pairs["originMessageIdentifier"]),
    )


def _ack(transfer: Transfer) -> bytes:
    return build_acknowledgement(
        SedaVersion.V2_1,
        message_identifier="FRLSADC_ACK_1",
        received_identifier=transfer.identifier,
        sender="FRLSADC",
        receiver=transfer.agency,
        date=datetime(2026, 3, 2, tzinfo=UTC),
    )


def asalae_reply(
    code: str, identifiers: tuple[str, ...], *, message: str = OK_ID, request: str = "ATR-9"
) -> bytes:
    """An As@lae-style 2.1 reply (MessageIdentifier = the transfer's) with one top-level
    archive unit per identifier, as As@lae adds under DataObjectPackage."""
    built = build_transfer_reply(
        SedaVersion.V2_1,
        message_identifier=message,
        request_identifier=request,
        reply_code=code,
        archival_agency="FRLSADC",
        transferring_agency=OK_AGENCY,
        date=datetime(2026, 3, 2, tzinfo=UTC),
    )
    root = etree.fromstring(built)
    ns = etree.QName(root).namespace
    package = etree.Element(f"{{{ns}}}DataObjectPackage")
    metadata = etree.SubElement(package, f"{{{ns}}}DescriptiveMetadata")
    for number, identifier in enumerate(identifiers):
        unit = etree.SubElement(metadata, f"{{{ns}}}ArchiveUnit", id=f"AU_{number}")
        content = etree.SubElement(unit, f"{{{ns}}}Content")
        etree.SubElement(content, f"{{{ns}}}ArchivalAgencyArchiveUnitIdentifier").text = identifier
    codes = root.find(f"{{{ns}}}CodeListVersions")
    assert codes is not None
    codes.addnext(package)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def connector(remote: FakeAsalae, **options: Any) -> AsalaeConnector:
    client = httpx.Client(transport=StreamProbe(remote))
    return AsalaeConnector(BASE, USER, PASSWORD, client, **options)


_trees = iter(range(1, 1 << 30))


def make_sip(
    tmp_path: Path,
    *,
    message_identifier: str = OK_ID,
    agency: str = OK_AGENCY,
    version: SedaVersion = SedaVersion.V2_1,
    payload: int = 200_000,
) -> Path:
    """A real SIP (manifest.xml + content/) with one incompressible file of `payload` bytes."""
    number = next(_trees)
    tree = tmp_path / f"tree{number}"
    tree.mkdir()
    (tree / "deliberation.pdf").write_bytes(random.Random(number).randbytes(payload))
    built = transfer_from_directory(
        tree,
        version,
        message_identifier=message_identifier,
        archival_agency="FRLSADC",
        transferring_agency=agency,
    )
    sip = tmp_path / f"sip{number}.zip"
    write_sip(sip, built.transfer, built.members)
    return sip


def send(
    conn: AsalaeConnector, sip: Path, identifier: str = OK_ID, agency: str = OK_AGENCY
) -> Submission:
    return conn.submit(
        sip, message_identifier=identifier, transferring_agency=agency, manifest_digest=None
    )


def poll_until_replied(conn: AsalaeConnector, submission: Submission) -> Replied:
    for _ in range(20):
        result = conn.poll(submission)
        if isinstance(result, Replied):
            return result
        if isinstance(result, Acknowledged):
            submission = submission.with_acknowledgement()
    raise AssertionError("aucune réponse après 20 interrogations")


def members(sip: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(sip) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


# --- the full sequence -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ack", "atr"),
    [
        ("pastell/fakeSae-seda-2.1/ACK.xml", "pastell/fakeSae-seda-2.1/ATR.xml"),
        (
            "pastell/connecteur-type-sae/ACK-SEDA-2.1.xml",
            "pastell/connecteur-type-sae/ATR-SEDA-2.1.xml",
        ),
        ("pastell/fakeSae-seda-2.1/ACK.xml", "pastell/tests-helpers/atr_asalae_ok.xml"),
    ],
)
def test_accepted_transfer_is_acknowledged_then_replied(tmp_path: Path, ack: str, atr: str) -> None:
    remote = FakeAsalae(acknowledgement=sample(ack), reply=sample(atr), not_ready_polls=1)
    conn = connector(remote)
    assert isinstance(conn, Connector)
    submission = send(conn, make_sip(tmp_path))
    assert (submission.remote_reference, submission.duplicate) == (OK_ID, False)
    assert submission.locators["seda_version"] == "2.1"
    first = conn.poll(submission)
    assert isinstance(first, Acknowledged) and first.acknowledgement is not None
    assert first.acknowledgement.outcome is Outcome.RECEIVED and first.raw == sample(ack)
    submission = submission.with_acknowledgement()
    assert conn.poll(submission) == NotReady(600.0)
    replied = conn.poll(submission)
    assert isinstance(replied, Replied)
    assert (replied.outcome.outcome, replied.outcome.reply_code) == (Outcome.ACCEPTED, "000")
    assert replied.outcome.archive_identifiers == ("AE_2022_15",)  # the top level only
    assert replied.outcome.reply_identifier == "FRLSADC_ATR_27"
    assert replied.raw == sample(atr)


def test_default_attachments_are_the_members_repacked_as_pastell_sends_them(
    tmp_path: Path,
) -> None:
    sip = make_sip(tmp_path)
    remote = FakeAsalae()
    submission = send(connector(remote), sip)
    transfer = remote.transfers[(OK_AGENCY, OK_ID)]
    assert transfer.attachments is not None and transfer.attachments_name == "archive.tar.gz"
    with tarfile.open(fileobj=io.BytesIO(transfer.attachments), mode="r:gz") as tar:
        received = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    expected = {n: b for n, b in members(sip).items() if n != "manifest.xml"}
    assert received == expected and len(expected) == 1
    assert submission.locators["attachments_sha256"] == sha256(transfer.attachments)
    assert submission.locators["upload"] == "single"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".asalae")] == []


def test_accepted_with_warnings_keeps_the_archive_identifier(tmp_path: Path) -> None:
    remote = FakeAsalae(reply=asalae_reply("001", ("AE_2026_7",)))
    conn = connector(remote)
    replied = poll_until_replied(conn, send(conn, make_sip(tmp_path)))
    assert replied.outcome.outcome is Outcome.ACCEPTED_WITH_WARNINGS
    assert replied.outcome.archive_identifiers == ("AE_2026_7",)


@pytest.mark.parametrize(
    "atr", ["pastell/fakeSae-seda-2.1/ATR_refused.xml", "pastell/tests-helpers/atr_asalae_ko.xml"]
)
def test_rejected_transfer_is_replied_with_its_code(tmp_path: Path, atr: str) -> None:
    remote = FakeAsalae(reply=sample(atr))
    conn = connector(remote)
    sip = make_sip(tmp_path, message_identifier=KO_ID, agency=KO_AGENCY)
    replied = poll_until_replied(conn, send(conn, sip, KO_ID, KO_AGENCY))
    assert (replied.outcome.outcome, replied.outcome.reply_code) == (Outcome.REJECTED, "101")
    assert replied.outcome.archive_identifiers == ()
    assert replied.outcome.reply_identifier == "FRADCH_ATR_17388"


def test_not_ready_for_n_polls_then_replied(tmp_path: Path) -> None:
    remote = FakeAsalae(reply=asalae_reply("000", ("AE_1",)), not_ready_polls=3)
    conn = connector(remote, poll_interval=45.0)
    submission = send(conn, make_sip(tmp_path)).with_acknowledgement()
    results = [conn.poll(submission) for _ in range(4)]
    assert results[:3] == [NotReady(45.0)] * 3
    assert isinstance(results[3], Replied) and results[3].outcome.archive_identifiers == ("AE_1",)


def test_another_server_error_is_retryable_then_the_poll_recovers(tmp_path: Path) -> None:
    failure = httpx.Response(500, text="Erreur interne", headers={"Retry-After": "30"})
    remote = FakeAsalae(reply=asalae_reply("000", ("AE_1",)), reply_failures=[failure])
    conn = connector(remote)
    submission = send(conn, make_sip(tmp_path)).with_acknowledgement()
    with pytest.raises(RemoteUnavailable) as caught:
        conn.poll(submission)
    assert caught.value.retryable and caught.value.retry_after == 30.0
    assert "Erreur interne" in str(caught.value)
    assert isinstance(conn.poll(submission), Replied)


def test_reply_correlated_by_either_identifier(tmp_path: Path) -> None:
    vitam_way = asalae_reply("000", ("AE_3",), message="ATR-77", request=OK_ID)
    conn = connector(FakeAsalae(reply=vitam_way))
    replied = poll_until_replied(conn, send(conn, make_sip(tmp_path)))
    assert (replied.outcome.archive_identifiers, replied.outcome.reply_identifier) == (
        ("AE_3",),
        "ATR-77",
    )


def test_positive_reply_without_an_archive_identifier_is_not_trusted(tmp_path: Path) -> None:
    conn = connector(FakeAsalae(reply=asalae_reply("000", ())))
    submission = send(conn, make_sip(tmp_path)).with_acknowledgement()
    with pytest.raises(ProtocolError) as caught:
        conn.poll(submission)
    assert caught.value.code == "archive_identifier_missing"


def test_positive_reply_keeps_one_archive_identifier_per_top_level_unit(tmp_path: Path) -> None:
    conn = connector(FakeAsalae(reply=asalae_reply("000", ("AE_1", "AE_2"))))
    replied = poll_until_replied(conn, send(conn, make_sip(tmp_path)))
    assert replied.outcome.archive_identifiers == ("AE_1", "AE_2")
    assert [(u.reference, u.identifier, u.top_level) for u in replied.outcome.units] == [
        ("AU_0", "AE_1", True),
        ("AU_1", "AE_2", True),
    ]


def test_a_reply_or_acknowledgement_for_another_transfer_is_refused(tmp_path: Path) -> None:
    remote = FakeAsalae(
        acknowledgement=sample("pastell/fakeSae-seda-2.1/ACK.xml"),
        reply=sample("pastell/tests-helpers/atr_asalae_ok.xml"),
    )
    conn = connector(remote)
    submission = send(conn, make_sip(tmp_path, message_identifier="TR-2"), "TR-2")
    for pending in (submission, submission.with_acknowledgement()):
        with pytest.raises(ProtocolError) as caught:
            conn.poll(pending)
        assert caught.value.code == "reply_mismatch"


def test_seda_1_0_transfer_and_reply(tmp_path: Path) -> None:
    ns = NAMESPACE_PREFIX + "1.0"
    manifest = (
        f'<ArchiveTransfer xmlns="{ns}"><Comment>c</Comment><Date>2026-01-01T00:00:00</Date>'
        "<TransferIdentifier>TR-10</TransferIdentifier>"
        "<TransferringAgency><Identification>AD56</Identification></TransferringAgency>"
        "<Archive/></ArchiveTransfer>"
    )
    reply = (
        f'<ArchiveTransferReply xmlns="{ns}"><Date>2026-01-02T00:00:00</Date>'
        "<ReplyCode>000</ReplyCode><TransferIdentifier>TR-10</TransferIdentifier>"
        "<TransferReplyIdentifier>ATR-10</TransferReplyIdentifier>"
        "<Archive><ArchivalAgencyArchiveIdentifier>AD56_2026_1</ArchivalAgencyArchiveIdentifier>"
        "</Archive></ArchiveTransferReply>"
    ).encode()
    sip = tmp_path / "sip10.zip"
    with zipfile.ZipFile(sip, "w") as archive:
        archive.writestr("manifest.xml", manifest)
        archive.writestr("content/a.pdf", b"%PDF-1.4 a")
    conn = connector(FakeAsalae(reply=reply), attachments_format="zip")
    submission = send(conn, sip, "TR-10", "AD56")
    assert submission.locators["seda_version"] == "1.0"
    replied = poll_until_replied(conn, submission)
    assert (replied.outcome.outcome, replied.outcome.archive_identifiers) == (
        Outcome.ACCEPTED,
        ("AD56_2026_1",),
    )


# --- refusals before and at submission ---------------------------------------------------------


def test_seda_2_3_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    remote = FakeAsalae()
    sip = make_sip(tmp_path, version=SedaVersion.V2_3)
    with pytest.raises(Misconfiguration) as caught:  # the agreement's version, not the records
        send(connector(remote), sip)
    assert caught.value.code == "seda_version_unsupported" and "2.3" in str(caught.value)
    assert remote.requests == []


def test_a_manifest_for_another_message_is_a_caller_error(tmp_path: Path) -> None:
    remote = FakeAsalae()
    with pytest.raises(ValueError, match="TR-other"):
        send(connector(remote), make_sip(tmp_path), "TR-other")
    assert remote.requests == []


def test_a_package_refused_at_upload_carries_the_reason(tmp_path: Path) -> None:
    refusal = httpx.Response(422, text="Bordereau non conforme au profil")
    with pytest.raises(SubmissionRefused) as caught:
        send(connector(FakeAsalae(post_failure=refusal)), make_sip(tmp_path))
    assert caught.value.reasons == ("Bordereau non conforme au profil",)
    assert not caught.value.retryable


# --- credentials -------------------------------------------------------------------------------


@pytest.mark.parametrize(("form", "other"), [("plain", "sha256"), ("sha256", "plain")])
def test_password_form_sets_the_basic_header(tmp_path: Path, form: str, other: str) -> None:
    remote = FakeAsalae(password_form=form)
    conn = connector(remote, password_form=form)
    assert conn.check().ok
    send(conn, make_sip(tmp_path))
    assert {r.headers["Authorization"] for r in remote.requests} == {expected_authorization(form)}
    if form == "plain":  # standard alphabet and padding, not CD56's URL-safe unpadded form
        assert remote.requests[0].headers["Authorization"].endswith("+Pw==")
    refused = connector(remote, password_form=other).check()
    assert (refused.ok, refused.code) == (False, "credentials_refused")
    assert f"password_form (actuellement {other})" in refused.reason


def test_refused_credentials_stop_the_submission(tmp_path: Path) -> None:
    remote = FakeAsalae()
    conn = AsalaeConnector(BASE, USER, "wrong-pw", httpx.Client(transport=StreamProbe(remote)))
    with pytest.raises(CredentialsRefused) as caught:
        send(conn, make_sip(tmp_path))
    assert not caught.value.retryable and remote.posts() == []
    assert "wrong-pw" not in repr(conn.history) and "wrong-pw" not in repr(conn)


# --- chunks and streaming ----------------------------------------------------------------------


def test_large_zip_is_sent_in_chunks_read_one_by_one(tmp_path: Path) -> None:
    sip = make_sip(tmp_path, payload=1_000_000)
    remote = FakeAsalae()
    probe = StreamProbe(remote)
    client = httpx.Client(transport=probe)
    conn = AsalaeConnector(
        BASE, USER, PASSWORD, client, attachments_format="zip", chunk_bytes=CHUNK
    )
    submission = send(conn, sip)
    data, size = sip.read_bytes(), sip.stat().st_size
    count = -(-size // CHUNK)
    session = remote.sessions["12"]
    assert [int(f["chunk_index"]) for f in session.forms] == list(range(1, count + 1))
    assert {
        (
            f["number_of_chunks"],
            f["file_name"],
            f["compression_algorithm"],
            f["number_of_files"],
            f["file_index"],
        )
        for f in session.forms
    } == {(str(count), sip.name, "ZIP", "1", "1")}
    transfer = remote.transfers[(OK_AGENCY, OK_ID)]
    assert transfer.attachments is not None and sha256(transfer.attachments) == sha256(data)
    assert submission.locators["attachments_sha256"] == sha256(data)
    assert submission.locators["upload"] == "chunked"
    chunks = [e for e in conn.history if e.url.endswith("/sedaAttachmentsChunkFiles")]
    assert [e.request_sha256 for e in chunks] == [
        sha256(data[i : i + CHUNK]) for i in range(0, size, CHUNK)
    ]
    opening = next(e for e in conn.history if e.method == "POST")
    assert opening.request_sha256 == sha256(members(sip)["manifest.xml"])
    assert all(max(p) <= CHUNK for p in probe.pieces if p)  # no slice is ever read whole


def test_large_package_repacked_as_targz_in_chunks(tmp_path: Path) -> None:
    sip = make_sip(tmp_path, payload=1_000_000)
    remote = FakeAsalae()
    submission = send(connector(remote, chunk_bytes=CHUNK), sip)
    session = remote.sessions["12"]
    assert {(f["compression_algorithm"], f["file_name"]) for f in session.forms} == {
        ("TARGZ", "archive.tar.gz")
    }
    assert len(session.forms) > 1
    transfer = remote.transfers[(OK_AGENCY, OK_ID)]
    assert transfer.attachments is not None
    with tarfile.open(fileobj=io.BytesIO(transfer.attachments), mode="r:gz") as tar:
        names = tar.getnames()
    assert names == [n for n in members(sip) if n != "manifest.xml"]
    assert submission.locators["attachments_sha256"] == sha256(transfer.attachments)


def test_an_asalae_without_chunks_is_a_clear_error(tmp_path: Path) -> None:
    remote = FakeAsalae(chunks_supported=False)
    with pytest.raises(ProtocolError) as caught:
        send(connector(remote, chunk_bytes=CHUNK), make_sip(tmp_path, payload=300_000))
    assert caught.value.code == "chunked_upload_unsupported" and not caught.value.retryable
    assert remote.posts("/restservices/sedaAttachmentsChunkFiles") == []


def test_upload_is_streamed_never_read_whole(tmp_path: Path) -> None:
    sip = make_sip(tmp_path, payload=600_000)
    remote = FakeAsalae()
    probe = StreamProbe(remote)
    conn = AsalaeConnector(
        BASE, USER, PASSWORD, httpx.Client(transport=probe), attachments_format="zip"
    )
    send(conn, sip)
    post = next(i for i, r in enumerate(remote.requests) if r.method == "POST")
    assert not issubclass(probe.stream_types[post], httpx.ByteStream)
    pieces = probe.pieces[post]
    assert max(pieces) <= CHUNK and len(pieces) > sip.stat().st_size // CHUNK
    request = remote.requests[post]
    assert request.headers["Content-Length"] == str(sum(pieces))
    assert "Transfer-Encoding" not in request.headers
    assert remote.transfers[(OK_AGENCY, OK_ID)].attachments == sip.read_bytes()
    exchange = next(e for e in conn.history if e.method == "POST")
    assert (exchange.request_sha256, exchange.request_size) == (
        sha256(sip.read_bytes()),
        sip.stat().st_size,
    )


# --- idempotency -------------------------------------------------------------------------------


def test_resend_after_a_timeout_returns_the_transfer_without_sending_again(tmp_path: Path) -> None:
    sip = make_sip(tmp_path)
    remote = FakeAsalae(timeout_after_post=True)
    conn = connector(remote)
    with pytest.raises(RemoteUnavailable) as caught:
        send(conn, sip)
    assert caught.value.code == "remote_timeout"
    again = send(conn, sip)
    assert (again.duplicate, again.remote_reference, len(remote.posts())) == (True, OK_ID, 1)
    assert isinstance(conn.poll(again), Acknowledged)


def test_an_unknown_transfer_answered_with_a_500_is_still_sent(tmp_path: Path) -> None:
    remote = FakeAsalae(unknown=httpx.Response(500, text="Message introuvable"))
    submission = send(connector(remote), make_sip(tmp_path))
    assert (submission.duplicate, len(remote.posts())) == (False, 1)


# --- history, health, addresses, settings ------------------------------------------------------


def test_exchanges_are_recorded_without_the_password(tmp_path: Path) -> None:
    remote = FakeAsalae(reply=asalae_reply("000", ("AE_1",)))
    conn = connector(remote, chunk_bytes=CHUNK)
    poll_until_replied(conn, send(conn, make_sip(tmp_path, payload=300_000)))
    assert [e.method for e in conn.history][:2] == ["GET", "POST"]
    assert all(e.request_headers["authorization"] == REDACTED for e in conn.history)
    assert all(e.message_identifier == OK_ID for e in conn.history)
    assert all(e.status is not None and e.error is None for e in conn.history)
    secrets = (
        PASSWORD,
        sha256(PASSWORD.encode()),
        expected_authorization("sha256")[6:],
        "sec-12-42",
    )
    text = repr(conn.history) + repr(conn)
    assert not [s for s in secrets if s in text]


def test_poll_path_is_url_encoded(tmp_path: Path) -> None:
    identifier, agency = "TR 2026/1+a", "FR AD/01"
    remote = FakeAsalae()
    conn = connector(remote)
    submission = send(
        conn, make_sip(tmp_path, message_identifier=identifier, agency=agency), identifier, agency
    )
    assert isinstance(conn.poll(submission), Acknowledged)
    raw = remote.requests[-1].url.raw_path.decode()
    assert raw == (
        "/restservices/sedaMessages/sequence:ArchiveTransfer/message:Acknowledgement/"
        "originOrganizationIdentification:FR%20AD%2F01/originMessageIdentifier:TR%202026%2F1%2Ba"
    )
    assert remote.requests[-1].headers["Accept"] == "application/xml"


def test_poll_query_style_as_cd56(tmp_path: Path) -> None:
    remote = FakeAsalae(reply=asalae_reply("000", ("AE_1",)))
    conn = connector(remote, poll_style="query")
    poll_until_replied(conn, send(conn, make_sip(tmp_path)))
    last = remote.requests[-1].url
    assert last.path == "/restservices/sedaMessages"
    assert dict(last.params) == {
        "sequence": "ArchiveTransfer",
        "message": "ArchiveTransferReply",
        "originOrganizationIdentification": OK_AGENCY,
        "originMessageIdentifier": OK_ID,
    }


def test_check_reports_version_of_a_reachable_asalae() -> None:
    remote = FakeAsalae()
    report = AsalaeConnector(
        BASE + "/restservices/", USER, PASSWORD, httpx.Client(transport=httpx.MockTransport(remote))
    ).check()
    assert (report.ok, report.code, dict(report.details)) == (
        True,
        "ok",
        {"application": "as@lae", "version": "2.1.8"},
    )
    assert [r.url.path for r in remote.requests] == ["/restservices/ping", "/restservices/versions"]


def _failing(exc: type[Exception]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if exc is ssl.SSLCertVerificationError:
            try:
                raise ssl.SSLCertVerificationError("certificate verify failed")
            except ssl.SSLError as tls:
                raise httpx.ConnectError("handshake", request=request) from tls
        raise httpx.ConnectError("Connection refused", request=request)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("transport", "code"),
    [
        (_failing(ConnectionRefusedError), "remote_unavailable"),
        (_failing(ssl.SSLCertVerificationError), "tls_refused"),
        (
            httpx.MockTransport(lambda r: httpx.Response(200, text="<html>Accueil</html>")),
            "unexpected_answer",
        ),
        (httpx.MockTransport(lambda r: httpx.Response(404, text="Not Found")), "unexpected_answer"),
    ],
)
def test_check_reports_precisely_what_is_wrong(transport: httpx.MockTransport, code: str) -> None:
    report = AsalaeConnector(BASE, USER, PASSWORD, httpx.Client(transport=transport)).check()
    assert (report.ok, report.code) == (False, code)
    assert report.reason and PASSWORD not in report.reason


def test_plain_http_is_refused_outside_loopback() -> None:
    client = httpx.Client(transport=httpx.MockTransport(FakeAsalae()))
    with pytest.raises(ValueError, match="HTTPS"):
        AsalaeConnector("http://asalae.example", USER, PASSWORD, client)
    assert AsalaeConnector("http://127.0.0.1:8080", USER, PASSWORD, client).check().ok


def test_from_settings_builds_the_connector(tmp_path: Path) -> None:
    secret = tmp_path / "asalae.pw"
    secret.write_text(PASSWORD + "\n")
    table = {
        "kind": "asalae",
        "base_url": BASE,
        "username": USER,
        "password_file": str(secret),
        "password_form": "plain",
        "poll_style": "query",
        "attachments_format": "zip",
        "chunk_bytes": CHUNK,
        "poll_interval": 120,
    }
    history: list[Any] = []
    conn = build(ConnectorSettings.from_table("asalae-ad56", table, environ={}), history)
    assert isinstance(conn, AsalaeConnector) and conn.history is history
    assert (conn.password_form, conn.poll_style, conn.attachments_format) == (
        "plain",
        "query",
        "zip",
    )
    assert (conn.chunk_bytes, conn.chunked_above_bytes, conn.poll_interval) == (CHUNK, CHUNK, 120.0)
    assert str(conn.base_url) == BASE + "/restservices" and PASSWORD not in repr(conn)
    conn._http.client.close()
    with pytest.raises(ConnectorMisconfigured, match="password_form"):
        build(ConnectorSettings.from_table("x", {**table, "password_form": "md5"}, environ={}))
    with pytest.raises(ConnectorMisconfigured, match="password"):
        build(ConnectorSettings.from_table("x", {**table, "password": PASSWORD}, environ={}))


def test_answers_are_json_or_a_clear_error() -> None:
    garbage = httpx.MockTransport(lambda r: httpx.Response(200, content=json.dumps("").encode()))
    report = AsalaeConnector(BASE, USER, PASSWORD, httpx.Client(transport=garbage)).check()
    assert (report.ok, report.code) == (False, "unexpected_answer")


def test_a_part_read_again_hashes_what_was_sent_and_withholds_the_whole_digest(
    tmp_path: Path,
) -> None:
    from connectors.asalae_upload import _Part, _Tally

    path = tmp_path / "a.bin"
    path.write_bytes(bytes(range(256)) * 40)
    window = _Part(path, lambda: path.open("rb"), 4096, 4096)
    assert window.seek(0, io.SEEK_END) == 4096 and window.seek(0) == 0  # how httpx sizes it
    assert window.read() + window.read() == path.read_bytes()[4096:8192]
    window.close()
    tally = _Tally(4096)
    part = _Part(path, lambda: path.open("rb"), 0, 4096, tally)
    first = part.read(1000)
    assert part.seek(0) == 0  # a rewind after reading: the part's hash starts over
    again = part.read()
    assert first == again[:1000] and len(again) == 4096
    assert (part.sha256.hexdigest(), part.size) == (sha256(again), 4096)
    assert tally.hexdigest() is None  # bytes went out twice: no digest rather than a wrong one
    with pytest.raises(io.UnsupportedOperation):
        part.seek(10)
    part.close()
