"""Connector to Maarch RM (MEDONA / SEDA archival repository, Laabs JSON API).

Contract, as Maarch RM's own sources and its Maarch Courrier client show it (read in
`soumiamahieddine/enmoRM`, a mirror of maarch/MaarchRM: `src/bundle/medona/Controller/
{ArchiveTransfer,message}.php`, `src/bundle/medona/Model/message.php`, `core/Exception.php`,
`core/Error.php`, `dependency/fileSystem/plugins/zip.php`; and in Maarch Courrier:
`src/app/external/exportSeda/controllers/{ExportSEDATrait,SendMessageController}.php`
(`cedlerouge/MaarchCourrier`), `bin/exportSeda/batch_tools.php` (`soumiamahieddine/enmoCM`),
`modules/export_seda/AdapterMaarchRM.php` (`noelmartinon/MaarchCourrier`);
shared/reference/landscape-and-connector-contracts.md §2 "Maarch RM"):

Authentication
    Every request carries the cookie ``LAABS-AUTH=<url-encoded service token>`` and
    ``Accept: application/json``; Courrier also sends a configurable ``User-Agent``.

``POST {url}/medona/Archivetransfer`` (Courrier writes both ``Archivetransfer`` and
``archiveTransfer``; the route reaches the service ``medona/ArchiveTransfer/create``, user story
``archiveDeposit/transferImportInterface::createTransfer($messageFile, $attachments, $schema,
$filename)``)
    JSON body ``{"messageFile": base64(package), "filename": …, "schema": "seda2",
    "attachments": []}``. ``bundle/medona/Controller/ArchiveTransfer::receive`` base64-decodes
    ``messageFile``; a zip is extracted and the entry whose name without extension equals
    ``filename``'s is the manifest, the other entries its attachments (``receiveZip``). We send the
    whole SIP zip as ``messageFile`` (as Courrier's current client does), ``filename`` =
    ``manifest.xml`` by default. There is no chunked upload: the body is base64, 4/3 of the
    package, so packages whose base64 form exceeds ``max_base64_bytes`` are refused here, before
    the file is even opened (``package_too_large_for_maarch``). The body is still streamed, the
    package base64-encoded chunk by chunk (chunks a multiple of 3 bytes, so the pieces join into
    one valid base64 string), never whole in memory on our side.
    200: received; the answer is the Acknowledgement as a ``medona/message`` JSON object
    (``messageId`` = the Acknowledgement's id, ``receivedMessageId`` = Maarch's id of our
    transfer). Refusals are Laabs exceptions as JSON: ``{"message", "code", "errors": [{"message",
    "code", …}]}``, where each error code is a MEDONA reply code (101 malformed, 202 unknown
    transferring agency, 203 profile, 207 digests, 3xx agreement…) and the HTTP status the
    exception code (400 invalid message). **409** with error ``103`` "message already received"
    (`message::create`, unique on type + sender + reference): we look the transfer up and answer it
    as a duplicate.

``GET {url}/medona/message/reference?reference=<MessageIdentifier>`` (dots sent as ``%2E``, as
Courrier's ``Bt_getReply`` does)
    200 with the transfer's ``medona/message`` (``status``, ``acknowledgement``, and
    ``replyMessage`` once the ArchiveTransferReply exists: `message::read`), or ``null`` when no
    message has that reference. Statuses: received, valid, accepted, processing, processed,
    toBeModified, modified, rejected, invalid, error, validationError, processError. The reply is
    final when ``status`` is ``processed`` or ``rejected`` (Courrier's test) or ``invalid``
    (`ArchiveTransfer::sendValidationError` sends the ArchiveTransferReply too); toBeModified,
    validationError and processError wait for the archivist, so they poll as not ready.

``GET {url}/medona/message/{messageId}/Export``
    The message as a zip (`message::export`, built with 7-Zip) holding ``{messageId}.xml``: the
    ArchiveTransferReply or the Acknowledgement, SEDA 2.x for a ``seda2`` transfer (SEDA 1.0 for
    an older one; both are parsed leniently, by local name).

``GET {url}/medona/archivalAgreement/Index`` answers `check()`: reachable and token accepted.

Package layout caveat: `receiveZip` extracts with ``7z e``, which drops folder names, and then
takes the first folder found (in name order) as the package root. Courrier sends a flat zip
(``{MessageIdentifier}.xml`` and the binaries side by side); a SIP with binaries under
``content/`` arrives flattened, so Maarch RM must find each binary by its base name. Agreements
that use this connector therefore set ``sip_layout = "flat"`` (``seda.sip.SipLayout.FLAT``):
the binaries sit beside the manifest and their ``Uri`` is their bare name.

Statuses: 401/403 → `CredentialsRefused`; 429/5xx → `RemoteUnavailable`; 400/409/413/415/422
on submission → `SubmissionRefused` with every error as a reason; anything else, redirects
included (the cookie would follow them), → `ProtocolError`.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from base64 import b64encode
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import httpx

from connectors.base import (
    UPLOAD_CHUNK_BYTES,
    Acknowledged,
    ConnectorError,
    CredentialsRefused,
    Exchange,
    HashingFileStream,
    HealthReport,
    NotReady,
    PollResult,
    ProtocolError,
    Recorder,
    RemoteUnavailable,
    Replied,
    Secret,
    Submission,
    SubmissionRefused,
    parse_retry_after,
    refuse_plain_http,
)
from connectors.config import ConnectorSettings, http_client
from seda.errors import SedaError
from seda.replies import Outcome, ReplyOutcome, parse_reply
from seda.safexml import parse_bytes

NAME = "maarch_rm"
TRANSFER_PATH = "/medona/Archivetransfer"
REFERENCE_PATH = "/medona/message/reference"
EXPORT_PATH = "/medona/message/{message_id}/Export"
CHECK_PATH = "/medona/archivalAgreement/Index"
DEFAULT_MAX_BASE64_BYTES = 256 * 1024**2
FINAL_STATUSES = frozenset({"processed", "rejected", "invalid"})
_REFUSALS = frozenset({400, 409, 413, 415, 422})
_ALREADY_RECEIVED = "103"


def base64_size(size: int) -> int:
    """Length of the padded base64 form of `size` bytes (RFC 4648 §4)."""
    return 4 * math.ceil(size / 3)


def encode_chunks(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Base64 of the concatenated chunks, piece by piece: every piece but the last encodes a
    multiple of 3 bytes, so the pieces join into the one base64 string of the whole. Each chunk
    is held until the next arrives, so the file's last, shorter chunk leaves as one piece."""
    carry, pending = b"", None
    for chunk in chunks:
        if pending is not None:
            data = carry + pending
            cut = len(data) - len(data) % 3
            carry = data[cut:]
            if cut:
                yield b64encode(data[:cut])
        pending = chunk
    last = carry + (pending or b"")
    if last:
        yield b64encode(last)


class MaarchRmConnector:
    """Pushes SIPs to Maarch RM and collects its Acknowledgement and ArchiveTransferReply."""

    name = NAME

    def __init__(
        self,
        base_url: str,
        token: str | Secret,
        client: httpx.Client,
        *,
        history: list[Exchange] | None = None,
        poll_interval: float = 300.0,
        max_base64_bytes: int = DEFAULT_MAX_BASE64_BYTES,
        max_reply_bytes: int = 64 * 1024**2,
        manifest_filename: str = "manifest.xml",
        schema: str = "seda2",
        user_agent: str = "gedsae",
        upload_chunk_bytes: int = UPLOAD_CHUNK_BYTES,
        allow_insecure_http: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = httpx.URL(base_url.rstrip("/"))
        refuse_plain_http(self.base_url, allow_insecure_http, "de Maarch RM")
        self._token = token if isinstance(token, Secret) else Secret(token)
        self.history: list[Exchange] = [] if history is None else history
        self.poll_interval = poll_interval
        self.max_base64_bytes = max_base64_bytes
        self.max_reply_bytes = max_reply_bytes
        self.manifest_filename = manifest_filename
        self.schema = schema
        self.user_agent = user_agent
        # a multiple of 3, so that no chunk but the last carries base64 padding
        self.upload_chunk_bytes = max(3, upload_chunk_bytes - upload_chunk_bytes % 3)
        self._clock = clock
        self._http = Recorder(
            NAME, client, self.history, max_body_bytes=max_reply_bytes, clock=clock
        )

    def __repr__(self) -> str:
        return f"MaarchRmConnector({str(self.base_url)!r})"

    # submit

    def submit(
        self,
        sip: Path,
        *,
        message_identifier: str,
        transferring_agency: str,
        manifest_digest: tuple[str, str] | None,
    ) -> Submission:
        del transferring_agency, manifest_digest  # Maarch reads both from the manifest
        encoded = base64_size(sip.stat().st_size)
        if encoded > self.max_base64_bytes:
            raise SubmissionRefused(
                f"paquet trop volumineux pour Maarch RM : {encoded} octets une fois en base64, "
                f"limite configurée {self.max_base64_bytes} (l'API de Maarch RM n'accepte le "
                "paquet qu'en base64 dans une requête JSON, sans découpage)",
                code="package_too_large_for_maarch",
            )
        upload = HashingFileStream(sip, self.upload_chunk_bytes)
        head, tail = self._envelope()
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(head) + encoded + len(tail)),
        }
        body = _concat(head, encode_chunks(iter(upload)), tail)
        request = self._request("POST", self._url(TRANSFER_PATH), headers, content=body)
        response = self._http.send(request, message_identifier=message_identifier, upload=upload)
        if response.status_code == 409 and _ALREADY_RECEIVED in _error_codes(response):
            return self._duplicate(message_identifier, response)
        if response.status_code not in (200, 201, 202):
            raise self._submission_failure(response)
        acknowledgement = _json_object(response)
        return self._submission(
            message_identifier,
            remote=_text(acknowledgement.get("receivedMessageId")),
            acknowledgement=_text(acknowledgement.get("messageId")),
            duplicate=False,
        )

    def _envelope(self) -> tuple[bytes, bytes]:
        """The JSON around the base64 string; json.dumps escapes the configured names."""
        head = b'{"messageFile":"'
        rest = {"filename": self.manifest_filename, "schema": self.schema, "attachments": []}
        tail = '",' + json.dumps(rest, separators=(",", ":"))[1:]
        return head, tail.encode("utf-8")

    def _duplicate(self, message_identifier: str, refusal: httpx.Response) -> Submission:
        message = self._lookup(message_identifier)
        if message is None:
            raise SubmissionRefused(
                f"Maarch RM dit avoir déjà reçu {message_identifier} mais ne le retrouve pas",
                code="message_already_received",
                reasons=_reasons(refusal),
            )
        return self._submission(
            message_identifier,
            remote=_text(message.get("messageId")),
            acknowledgement=_text(_object(message.get("acknowledgement")).get("messageId")),
            duplicate=True,
        )

    def _submission(
        self, message_identifier: str, *, remote: str, acknowledgement: str, duplicate: bool
    ) -> Submission:
        locators = {"reference": message_identifier}
        if acknowledgement:
            locators["acknowledgement_message_id"] = acknowledgement
        return Submission(
            connector=NAME,
            message_identifier=message_identifier,
            remote_reference=remote or message_identifier,
            acknowledged=False,
            locators=locators,
            duplicate=duplicate,
        )

    # poll

    def poll(self, submission: Submission) -> PollResult:
        mid = submission.message_identifier
        message = self._lookup(submission.locators.get("reference", mid))
        if message is None:
            raise ProtocolError(
                f"Maarch RM ne connaît pas le transfert {mid}", code="transfer_not_found"
            )
        status = _text(message.get("status"))
        reply_id = _text(_object(message.get("replyMessage")).get("messageId"))
        if status in FINAL_STATUSES:
            if not reply_id:
                raise ProtocolError(
                    f"transfert {mid} au statut {status} sans ArchiveTransferReply",
                    code="reply_missing",
                )
            raw = self._export(reply_id, mid)
            return Replied(self._parse(raw, mid, expect_reply=True), raw)
        if submission.acknowledged:
            return NotReady(self.poll_interval)
        ack_id = submission.locators.get("acknowledgement_message_id") or _text(
            _object(message.get("acknowledgement")).get("messageId")
        )
        if not ack_id:
            return NotReady(self.poll_interval)
        raw = self._export(ack_id, mid)
        return Acknowledged(self.poll_interval, self._parse(raw, mid, expect_reply=False), raw)

    def _lookup(self, reference: str) -> dict[str, Any] | None:
        """The transfer's medona/message (`reference` is our MessageIdentifier), or None."""
        # Courrier encodes the dots too: Laabs would otherwise read ".xyz" as a format suffix
        query = "reference=" + quote(reference, safe="").replace(".", "%2E")
        url = self.base_url.copy_with(
            path=self.base_url.path + REFERENCE_PATH, query=query.encode("ascii")
        )
        response = self._http.send(self._request("GET", str(url), {}), message_identifier=reference)
        if response.status_code != 200:
            raise self._failure(response)
        body = _json(response)
        if body is None or body == "" or body == []:
            return None
        if not isinstance(body, dict):
            raise ProtocolError("objet JSON attendu", code="body_unreadable")
        return body

    def _export(self, message_id: str, mid: str) -> bytes:
        url = self._url(EXPORT_PATH.format(message_id=quote(message_id, safe="")))
        request = self._request("GET", url, {"Accept": "application/zip"})
        response = self._http.send(request, message_identifier=mid)
        if response.status_code != 200:
            raise self._failure(response)
        return self._message_xml(response.content, message_id)

    def _message_xml(self, body: bytes, message_id: str) -> bytes:
        """`{messageId}.xml` out of the export zip (or the body itself when it is the XML)."""
        if body.lstrip()[:1] == b"<":
            return body
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                member = _message_member(archive, message_id)
                if member.file_size > self.max_reply_bytes:
                    raise ProtocolError(
                        f"message {message_id} de plus de {self.max_reply_bytes} octets",
                        code="response_too_large",
                    )
                return archive.read(member)
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise ProtocolError(
                f"export du message {message_id} illisible : {exc}", code="export_unreadable"
            ) from exc

    def _parse(self, data: bytes, mid: str, *, expect_reply: bool) -> ReplyOutcome:
        try:
            outcome = parse_reply(data, transfer_identifier=mid)
        except SedaError as exc:
            raise ProtocolError(f"réponse SEDA illisible : {exc}", code="reply_unreadable") from exc
        if (outcome.outcome is not Outcome.RECEIVED) != expect_reply:
            expected = "ArchiveTransferReply" if expect_reply else "Acknowledgement"
            raise ProtocolError(
                f"{expected} attendu, {outcome.message_type} reçu", code="reply_unexpected"
            )
        about = outcome.transfer_identifier or _seda1_transfer_identifier(data)
        if about not in (None, mid):
            raise ProtocolError(
                f"la réponse concerne le transfert {about}, pas {mid}", code="reply_mismatch"
            )
        return outcome

    # check

    def check(self) -> HealthReport:
        remote = str(self.base_url)
        try:
            response = self._http.send(
                self._request("GET", self._url(CHECK_PATH), {}), message_identifier=None
            )
            if response.status_code != 200:
                raise self._failure(response)
            agreements = _json(response)
        except ConnectorError as exc:
            return HealthReport.failed(NAME, remote, exc)
        details = (
            {"archival_agreements": str(len(agreements))} if isinstance(agreements, list) else {}
        )
        return HealthReport(NAME, remote, True, "ok", "Maarch RM joignable, jeton accepté", details)

    # HTTP plumbing

    def _submission_failure(self, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        if status in _REFUSALS:
            codes = _error_codes(response)
            return SubmissionRefused(
                f"transfert refusé par Maarch RM ({status}) : {_detail(response)}",
                code=f"medona_{codes[0]}" if codes else "submission_refused",
                reasons=_reasons(response),
            )
        return self._failure(response)

    def _failure(self, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        detail = _detail(response)
        if status in (401, 403):
            return CredentialsRefused(
                f"jeton LAABS-AUTH refusé par Maarch RM ({status}) : {detail}"
            )
        if status == 429 or status >= 500:
            retry = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            return RemoteUnavailable(
                f"Maarch RM indisponible ({status}) : {detail}", retry_after=retry
            )
        if 300 <= status < 400:
            return ProtocolError(
                f"redirection refusée ({status}) vers {response.headers.get('Location', '?')}",
                code="redirect_refused",
            )
        return ProtocolError(f"réponse inattendue de Maarch RM ({status}) : {detail}")

    def _request(
        self, method: str, url: str, headers: dict[str, str], content: Any = None
    ) -> httpx.Request:
        base = {
            "Cookie": f"LAABS-AUTH={quote(self._token.reveal(), safe='')}",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }
        return httpx.Request(method, url, headers={**base, **headers}, content=content)

    def _url(self, path: str) -> str:
        return str(self.base_url.copy_with(path=self.base_url.path + path))


def _concat(head: bytes, middle: Iterator[bytes], tail: bytes) -> Iterator[bytes]:
    yield head
    yield from middle
    yield tail


def _message_member(archive: zipfile.ZipFile, message_id: str) -> zipfile.ZipInfo:
    """`{messageId}.xml` wherever 7-Zip put it, else the archive's only XML file."""
    members = [m for m in archive.infolist() if not m.is_dir()]
    wanted = f"{message_id}.xml"
    named = [m for m in members if PurePosixPath(m.filename).name == wanted]
    xml = [m for m in members if m.filename.lower().endswith(".xml")]
    if named:
        return named[0]
    if len(xml) == 1:
        return xml[0]
    raise KeyError(f"{wanted} absent de l'export")


def _seda1_transfer_identifier(data: bytes) -> str | None:
    """SEDA 1.0 replies name the transfer `TransferIdentifier`, not MessageRequestIdentifier."""
    try:
        root = parse_bytes(data).getroot()
    except SedaError:
        return None
    for child in root:
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "TransferIdentifier":
            return (child.text or "").strip() or None
    return None


def _json(response: httpx.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise ProtocolError("réponse JSON attendue", code="body_unreadable") from exc


def _json_object(response: httpx.Response) -> dict[str, Any]:
    body = _json(response)
    if not isinstance(body, dict):
        raise ProtocolError("objet JSON attendu", code="body_unreadable")
    return body


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _exception(response: httpx.Response) -> dict[str, Any]:
    """The Laabs exception body, or {} when the remote (or a proxy) sent something else."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    errors = _exception(response).get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _error_codes(response: httpx.Response) -> list[str]:
    return [code for e in _errors(response) if (code := _text(e.get("code")))]


def _detail(response: httpx.Response) -> str:
    message = _exception(response).get("message")
    if isinstance(message, str) and message:
        return message
    return response.reason_phrase or "sans détail"


def _reasons(response: httpx.Response) -> tuple[str, ...]:
    reasons = tuple(
        f"{_text(e.get('code')) or 'erreur'} : {_text(e.get('message'))}" for e in _errors(response)
    )
    return reasons or (_detail(response),)


def from_settings(settings: ConnectorSettings, history: list[Exchange]) -> MaarchRmConnector:
    """``base_url``, the secret ``token`` (``token_file`` / ``token_env``), ``poll_interval``,
    ``max_base64_bytes``, ``max_reply_bytes``, ``manifest_filename``, ``schema``,
    ``user_agent``."""
    token = settings.secret("token")
    assert token is not None  # required secrets are never None
    return MaarchRmConnector(
        settings.text("base_url"),
        token,
        http_client(settings),
        history=history,
        poll_interval=settings.number("poll_interval", 300.0),
        max_base64_bytes=settings.integer("max_base64_bytes", DEFAULT_MAX_BASE64_BYTES),
        max_reply_bytes=settings.integer("max_reply_bytes", 64 * 1024**2),
        manifest_filename=settings.text("manifest_filename", "manifest.xml"),
        schema=settings.text("schema", "seda2"),
        user_agent=settings.text("user_agent", "gedsae"),
    )
