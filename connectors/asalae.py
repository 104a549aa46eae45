"""Connector to As@lae (Libriciel) through its REST services, as its clients use them.

As@lae's source is not public: this contract is what two independent clients do — Pastell
(`libriciel/pastell` and `megalis-bretagne/pastell`, `connecteur/as@lae-rest/AsalaeREST.php`,
`src/Seda/AsalaeSedaHelper.php`, `src/Helpers/SedaHelper.php`) and the CD56 Java connector
(`PatPercot/cd56-connecteur-asalae`, `AsalaeConnector.java`) — as recorded in
shared/reference/connector-contracts-verified.md ("As@lae REST"). Every path lies under
`{base}/restservices` (a `base_url` that already ends with `/restservices`, as Pastell's form
asks, is taken as is). Every request carries HTTP Basic credentials: the password as written
(CD56) or the SHA-256 hex of it (Pastell), per `password_form`; standard base64 either way.

`GET /ping`, `GET /versions`
    The health check: reachable, then credentials accepted (JSON answers; `versions` names the
    application and its version).

`POST /sedaMessages` (multipart) — `seda_message` = the manifest (file `bordereau.xml`),
`attachments` = the archive; 2xx with a non-empty JSON answer, anything else is a failure.
    Chunked form (Pastell 4.x): the same POST without `attachments` and with
    `send_chunked_attachments=true` answers `chunk_session_identifier` and
    `chunk_security_identifier` (absent: this As@lae cannot take chunks), then one
    `POST /sedaAttachmentsChunkFiles` per chunk with `chunk_content`, `session_identifier`,
    `security_identifier`, `number_of_files=1`, `file_index=1`, `file_name`,
    `compression_algorithm`, `number_of_chunks`, `chunk_index` (from 1). Used when the archive
    exceeds `chunked_above_bytes` (default: `chunk_bytes`, 2,097,152 as in Pastell, whose form says
    As@lae takes no piece above 2 MB). Note that the manifest itself always travels whole.

`GET /sedaMessages/sequence:ArchiveTransfer/message:{Acknowledgement|ArchiveTransferReply}/
originOrganizationIdentification:{transferring agency}/originMessageIdentifier:{MessageIdentifier}`
    (segments URL-encoded; `poll_style = "query"` sends CD56's form
    `/sedaMessages?sequence=ArchiveTransfer&message=…&originOrganizationIdentification=…&
    originMessageIdentifier=…`). The Acknowledgement exists as soon as the transfer is received;
    a 404 for it is read as "not yet" (no client shows that answer). The reply answers HTTP 500 with the body `Transfert en cours de
    traitement` (surrounding blanks ignored) until the archivist has decided; any other 500 is a
    server failure. Replies are SEDA 2.x for a 2.x transfer: As@lae swaps Vitam's identifiers
    (`MessageIdentifier` = the transfer's, `MessageRequestIdentifier` = the reply's), so a reply
    is ours when either of them (or a SEDA 1.0 `TransferIdentifier` / an Acknowledgement's
    `MessageReceivedIdentifier`) is our MessageIdentifier. A positive reply must carry exactly one
    `/ArchiveTransferReply/DataObjectPackage/DescriptiveMetadata/ArchiveUnit/Content/
    ArchivalAgencyArchiveUnitIdentifier` (SEDA 1.0: `/ArchiveTransferReply/Archive/
    ArchivalAgencyArchiveIdentifier`), the archive's identifier, as Pastell requires. Pastell
    accepts only ReplyCode `000`; `seda.replies` also reads `001`/`002` as accepted with warnings.
    `poll` asks for the Acknowledgement until the caller has stored it, then for the reply (as
    Pastell's `verif-sae` then `validation-sae`): the Acknowledgement is kept for the record.

Versions. As@lae takes SEDA 1.0, 2.1 and 2.2, not 2.3: a 2.3 manifest is refused before
anything is sent (`seda_version_unsupported`). A SEDA 1.0 manifest is sent as is, but writing
SEDA 1.0 packages is a later issue: this repository only produces 2.x ones for now.

Attachments. Pastell always sends a gzip-compressed tar (`archive.tar.gz`) and labels chunks
`compression_algorithm=TARGZ`; CD56 sends a zip in one request (As@lae takes "ZIP ou TGZ"
there). No client shows how As@lae labels a zip sent in chunks. Hence `attachments_format`:
`"targz"` (default) reproduces Pastell exactly — the SIP's members but the manifest and its
detached signature, repacked member by member (streamed, never in memory) into a temporary
`archive.tar.gz` beside the SIP; `"zip"` sends the SIP byte for byte (its recorded digest is the
package's own) and labels chunks `ZIP`, a value no client confirms.

Streaming. The archive is never read whole: httpx reads multipart file parts in 64 KiB pieces,
and each chunk request reads only its own slice from disk. Every part hashes what httpx actually
read; the history records each request's digest (the archive, a chunk, or the manifest for the
first chunked request), and the Submission records the archive's SHA-256 as sent.

Idempotency. As@lae cannot tell a resend. So before every submission the connector asks for the
transfer's Acknowledgement: when As@lae has one, the transfer is already there and `submit`
returns it with `duplicate=True` instead of sending it again (a resend after a timeout lands
here). A 404 or a 500 (As@lae's answer for an unknown transfer is not documented) means "not
received" and the package is sent. Limits: a transfer whose Acknowledgement is not written yet
may be sent twice; a chunked upload cut half-way restarts from its first request.
"""

from __future__ import annotations

import base64
import hashlib
import io
import ipaddress
import json
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import quote

import httpx
from lxml import etree

from connectors.base import (
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
)
from connectors.config import ConnectorMisconfigured, ConnectorSettings, http_client
from seda.errors import SedaError
from seda.package import Package, open_package
from seda.replies import Outcome, ReplyOutcome, parse_reply
from seda.safexml import iterparse_safe, parse_bytes
from seda.sip import SIGNATURE_SUFFIX
from seda.versions import NAMESPACE_PREFIX, SedaVersion

NAME = "asalae"
REST = "/restservices"
NOT_READY_BODY = "Transfert en cours de traitement"
PASTELL_CHUNK_BYTES = 2_097_152
ACKNOWLEDGEMENT = "Acknowledgement"
REPLY = "ArchiveTransferReply"
PASSWORD_FORMS = frozenset({"plain", "sha256"})
POLL_STYLES = frozenset({"path", "query"})
ATTACHMENTS_FORMATS = frozenset({"targz", "zip"})
_VERSIONS = {
    NAMESPACE_PREFIX + "1.0": "1.0",
    SedaVersion.V2_1.namespace: "2.1",
    SedaVersion.V2_2.namespace: "2.2",
}
_HEADER_IDS = ("MessageIdentifier", "TransferIdentifier")  # 2.x, 1.0
_AFTER_HEADER = frozenset({"DataObjectPackage", "Integrity", "Contains", "Archive"})
_REPLY_IDS = (
    "MessageIdentifier",
    "MessageRequestIdentifier",
    "MessageReceivedIdentifier",
    "TransferIdentifier",
)
_ARCHIVE_ID_2X = (
    "DataObjectPackage",
    "DescriptiveMetadata",
    "ArchiveUnit",
    "Content",
    "ArchivalAgencyArchiveUnitIdentifier",
)
_ARCHIVE_ID_1_0 = ("Archive", "ArchivalAgencyArchiveIdentifier")
_REFUSALS = frozenset({400, 409, 413, 415, 422})
_POSITIVE = frozenset({Outcome.ACCEPTED, Outcome.ACCEPTED_WITH_WARNINGS})


class AsalaeConnector:
    """Pushes SIPs to As@lae and collects its Acknowledgement and ArchiveTransferReply."""

    name = NAME

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str | Secret,
        client: httpx.Client,
        *,
        history: list[Exchange] | None = None,
        password_form: str = "sha256",  # noqa: S107 - how the password is sent, not a password
        poll_style: str = "path",
        attachments_format: str = "targz",
        chunk_bytes: int = PASTELL_CHUNK_BYTES,
        chunked_above_bytes: int | None = None,
        poll_interval: float = 600.0,
        max_reply_bytes: int = 256 * 1024**2,
        allow_insecure_http: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        _check_choice("password_form", password_form, PASSWORD_FORMS)
        _check_choice("poll_style", poll_style, POLL_STYLES)
        _check_choice("attachments_format", attachments_format, ATTACHMENTS_FORMATS)
        if not username or ":" in username:
            raise ValueError("username vide ou contenant « : » (interdit par HTTP Basic)")
        if chunk_bytes <= 0 or (chunked_above_bytes is not None and chunked_above_bytes < 0):
            raise ValueError("chunk_bytes doit être positif et chunked_above_bytes positif ou nul")
        self.base_url = _rest_root(base_url)
        _refuse_plain_http(self.base_url, allow_insecure_http)
        self.username = username
        self._password = password if isinstance(password, Secret) else Secret(password)
        self.password_form = password_form
        self.poll_style = poll_style
        self.attachments_format = attachments_format
        self.chunk_bytes = chunk_bytes
        self.chunked_above_bytes = (
            chunk_bytes if chunked_above_bytes is None else chunked_above_bytes
        )
        self.poll_interval = poll_interval
        self.history: list[Exchange] = [] if history is None else history
        self._clock = clock
        self._http = Recorder(
            NAME, client, self.history, max_body_bytes=max_reply_bytes, clock=clock
        )

    def __repr__(self) -> str:
        return f"AsalaeConnector({str(self.base_url)!r}, {self.username!r})"

    def submit(
        self,
        sip: Path,
        *,
        message_identifier: str,
        transferring_agency: str,
        manifest_digest: tuple[str, str] | None,
    ) -> Submission:
        # As@lae takes no manifest digest: `manifest_digest` has nowhere to go
        with _opened(sip) as package:
            manifest = _manifest_name(package)
            version = _check_manifest(package, manifest, message_identifier)
            locators = {"transferring_agency": transferring_agency, "seda_version": version}
            if self._already_received(message_identifier, transferring_agency):
                return _submission(message_identifier, locators, duplicate=True)
            with self._attachments(sip, package) as (archive, label):
                sent = self._send(package, manifest, archive, label, message_identifier)
        return _submission(message_identifier, {**locators, **sent}, duplicate=False)

    def poll(self, submission: Submission) -> PollResult:
        if not submission.acknowledged:
            ack = self._fetch(ACKNOWLEDGEMENT, submission)
            if ack is None:
                return NotReady(self.poll_interval)
            outcome = self._read_reply(ack, submission, expected=ACKNOWLEDGEMENT)
            return Acknowledged(self.poll_interval, outcome, ack)
        reply = self._fetch(REPLY, submission)
        if reply is None:
            return NotReady(self.poll_interval)
        return Replied(self._read_reply(reply, submission, expected=REPLY), reply)

    def check(self) -> HealthReport:
        remote = str(self.base_url)
        try:
            self._get_json("/ping")
            versions = self._get_json("/versions")
        except ConnectorError as exc:
            return HealthReport.failed(NAME, remote, exc)
        details = {
            key: str(versions[key])
            for key in ("application", "version")
            if isinstance(versions, dict) and key in versions
        }
        return HealthReport(
            NAME, remote, True, "ok", "As@lae joignable, identifiants acceptés", details
        )

    # --- submission -------------------------------------------------------------------------

    def _already_received(self, message_identifier: str, agency: str) -> bool:
        url = self._poll_url(ACKNOWLEDGEMENT, agency, message_identifier)
        response = self._send_request(
            self._request("GET", url, "application/xml"), message_identifier
        )
        if response.status_code == 200:
            probe = Submission(NAME, message_identifier, message_identifier, False, {})
            self._read_reply(response.content, probe, expected=ACKNOWLEDGEMENT)
            return True
        if response.status_code in (404, 500):
            return False
        raise self._failure(response)

    @contextmanager
    def _attachments(self, sip: Path, package: Package) -> Iterator[tuple[Path, str]]:
        """The archive to send and its `compression_algorithm` label."""
        if self.attachments_format == "zip":
            yield sip, "ZIP"
            return
        with tempfile.TemporaryDirectory(prefix=".asalae-", dir=sip.parent) as spool:
            archive = Path(spool) / "archive.tar.gz"
            _repack(package, archive)
            yield archive, "TARGZ"

    def _send(
        self, package: Package, manifest: str, archive: Path, label: str, message_identifier: str
    ) -> dict[str, str]:
        size = archive.stat().st_size
        tally = _Tally(size)
        bordereau = _Part(archive, lambda: package.open(manifest), 0, package.entries[manifest])
        if size > self.chunked_above_bytes:
            self._send_chunked(bordereau, archive, label, tally, message_identifier)
            mode = "chunked"
        else:
            whole = _Part(archive, lambda: archive.open("rb"), 0, size, tally)
            files = [_file("seda_message", bordereau), _file("attachments", whole, archive.name)]
            self._post("/sedaMessages", {}, files, message_identifier, whole)
            mode = "single"
        sent = {"upload": mode, "attachments_name": archive.name, "attachments_bytes": str(size)}
        digest = tally.hexdigest()
        return sent if digest is None else {**sent, "attachments_sha256": digest}

    def _send_chunked(
        self, bordereau: _Part, archive: Path, label: str, tally: _Tally, message_identifier: str
    ) -> None:
        data = {"send_chunked_attachments": "true"}
        files = [_file("seda_message", bordereau)]
        answer = self._post("/sedaMessages", data, files, message_identifier, bordereau)
        session, security = _chunk_session(answer)
        size = archive.stat().st_size
        count = max(1, -(-size // self.chunk_bytes))
        for index in range(1, count + 1):
            offset = (index - 1) * self.chunk_bytes
            chunk = _Part(
                archive,
                lambda: archive.open("rb"),
                offset,
                min(self.chunk_bytes, size - offset),
                tally,
            )
            fields = {
                "session_identifier": session,
                "security_identifier": security,
                "number_of_files": "1",
                "file_index": "1",
                "file_name": archive.name,
                "compression_algorithm": label,
                "number_of_chunks": str(count),
                "chunk_index": str(index),
            }
            files = [_file("chunk_content", chunk, f"{archive.name}.{index:05d}")]
            self._post("/sedaAttachmentsChunkFiles", fields, files, message_identifier, chunk)

    def _post(
        self,
        path: str,
        data: dict[str, str],
        files: list[tuple[str, tuple[str, IO[bytes], str]]],
        message_identifier: str,
        upload: _Part,
    ) -> Any:
        request = self._request("POST", self._url(path), "application/json", data=data, files=files)
        try:
            response = self._http.send(
                request, message_identifier=message_identifier, upload=upload
            )
        finally:
            for _field, (_name, part, _type) in files:
                part.close()
        return self._json_answer(response, refusal_possible=True)

    # --- polling and health -----------------------------------------------------------------

    def _fetch(self, message: str, submission: Submission) -> bytes | None:
        """The message's XML, or None while As@lae has not produced it."""
        agency = submission.locators.get("transferring_agency")
        if not agency:
            raise ProtocolError("soumission sans transferring_agency", code="submission_incomplete")
        url = self._poll_url(message, agency, submission.message_identifier)
        response = self._send_request(
            self._request("GET", url, "application/xml"), submission.message_identifier
        )
        status = response.status_code
        if status == 200:
            return response.content
        if status == 500 and message == REPLY and response.text.strip() == NOT_READY_BODY:
            return None
        if status == 404 and message == ACKNOWLEDGEMENT:
            return None
        if status == 404:
            raise ProtocolError(
                f"As@lae ne connaît pas le transfert {submission.message_identifier}",
                code="transfer_not_found",
            )
        raise self._failure(response)

    def _read_reply(self, data: bytes, submission: Submission, *, expected: str) -> ReplyOutcome:
        try:
            outcome = parse_reply(data, transfer_identifier=submission.message_identifier)
            root = parse_bytes(data).getroot()
        except SedaError as exc:
            raise ProtocolError(f"réponse SEDA illisible : {exc}", code="reply_unreadable") from exc
        if outcome.message_type != expected:
            raise ProtocolError(
                f"{expected} attendu, {outcome.message_type} reçu", code="reply_unexpected"
            )
        identifiers = {_text(c) for c in root if _local(c) in _REPLY_IDS}
        if submission.message_identifier not in identifiers:
            raise ProtocolError(
                f"la réponse ({', '.join(sorted(i for i in identifiers if i))}) ne concerne pas "
                f"le transfert {submission.message_identifier}",
                code="reply_mismatch",
            )
        if outcome.outcome in _POSITIVE:
            outcome = replace(outcome, archive_identifiers=(_archive_identifier(root),))
        return outcome

    def _get_json(self, path: str) -> Any:
        request = self._request("GET", self._url(path), "application/json")
        return self._json_answer(self._send_request(request, None), refusal_possible=False)

    # --- HTTP -------------------------------------------------------------------------------

    def _json_answer(self, response: httpx.Response, *, refusal_possible: bool) -> Any:
        if not response.is_success:
            raise self._failure(response, refusal_possible=refusal_possible)
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if not body:
            # Pastell's test too: a wrong address often answers 200 with an HTML page
            raise ProtocolError(
                f"réponse incompréhensible d'As@lae (adresse de base fausse ?) : {_snippet(response)}",
                code="unexpected_answer",
            )
        return body

    def _failure(
        self, response: httpx.Response, *, refusal_possible: bool = False
    ) -> ConnectorError:
        status, detail = response.status_code, _snippet(response)
        if status in (401, 403):
            return CredentialsRefused(
                f"identifiants refusés par As@lae ({status}) : vérifiez username, password et "
                f"password_form (actuellement {self.password_form}) — {detail}"
            )
        if refusal_possible and status in _REFUSALS:
            return SubmissionRefused(
                f"transfert refusé par As@lae ({status}) : {detail}",
                code="package_too_large" if status == 413 else "submission_refused",
                reasons=(detail,),
            )
        if status == 429 or status >= 500:
            retry = parse_retry_after(response.headers.get("Retry-After"), self._clock())
            return RemoteUnavailable(
                f"As@lae indisponible ({status}) : {detail}", retry_after=retry
            )
        return ProtocolError(
            f"réponse inattendue d'As@lae ({status}) : {detail}", code="unexpected_answer"
        )

    def _send_request(
        self, request: httpx.Request, message_identifier: str | None
    ) -> httpx.Response:
        return self._http.send(request, message_identifier=message_identifier)

    def _request(self, method: str, url: httpx.URL, accept: str, **body: Any) -> httpx.Request:
        headers = {"Authorization": self._authorization(), "Accept": accept}
        return httpx.Request(method, url, headers=headers, **body)

    def _authorization(self) -> str:
        password = self._password.reveal()
        if self.password_form == "sha256":  # noqa: S105 - a mode name, not a password
            password = hashlib.sha256(password.encode("utf-8")).hexdigest()
        token = base64.b64encode(f"{self.username}:{password}".encode()).decode("ascii")
        return f"Basic {token}"

    def _url(self, path: str) -> httpx.URL:
        return httpx.URL(str(self.base_url) + path)

    def _poll_url(self, message: str, agency: str, identifier: str) -> httpx.URL:
        if self.poll_style == "query":
            params = {
                "sequence": "ArchiveTransfer",
                "message": message,
                "originOrganizationIdentification": agency,
                "originMessageIdentifier": identifier,
            }
            return self._url("/sedaMessages").copy_merge_params(params)
        segments = (
            "sequence:ArchiveTransfer",
            f"message:{message}",
            f"originOrganizationIdentification:{quote(agency, safe='')}",
            f"originMessageIdentifier:{quote(identifier, safe='')}",
        )
        return self._url("/sedaMessages/" + "/".join(segments))


class _Tally:
    """SHA-256 of a whole file sent in parts, in order. Should a part ever be read out of order
    (httpx re-reading a body), the digest is withheld rather than wrong."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.offset = 0
        self.in_order = True
        self._sha256 = hashlib.sha256()

    def feed(self, at: int, data: bytes) -> None:
        self.in_order = self.in_order and at == self.offset
        self._sha256.update(data)
        self.offset = at + len(data)

    def hexdigest(self) -> str | None:
        complete = self.in_order and self.offset == self.size
        return self._sha256.hexdigest() if complete else None


class _Part(HashingFileStream):
    """`length` bytes from `offset` of what `opener` opens, as the file object httpx's multipart
    encoder reads (size by seeking to the end, then reading from 0), hashing what it reads."""

    def __init__(
        self,
        path: Path,
        opener: Callable[[], IO[bytes]],
        offset: int,
        length: int,
        tally: _Tally | None = None,
    ) -> None:
        super().__init__(path)
        self._opener = opener
        self._offset = offset
        self._length = length
        self._tally = tally
        self._handle: IO[bytes] | None = None
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        left = self._length - self._position
        if left <= 0:
            return b""
        if self._handle is None:
            self._handle = self._opener()
            if self._offset:
                self._handle.seek(self._offset)
        data = self._handle.read(left if size < 0 else min(size, left))
        if not data:
            self.close()
            raise OSError(f"{self.path} a raccourci pendant l'envoi")
        if self._tally is not None:
            self._tally.feed(self._offset + self._position, data)
        self.sha256.update(data)
        self.size += len(data)
        self._position += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset + {io.SEEK_SET: 0, io.SEEK_CUR: self._position}.get(whence, self._length)
        if target == self._position:
            return target
        if target not in (0, self._length):
            raise io.UnsupportedOperation("seul un retour au début ou un saut à la fin est permis")
        self.close()
        if target == 0:  # read again from the start: what is hashed is what is sent
            self.sha256, self.size = hashlib.sha256(), 0
        self._position = target
        return target

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(self.chunk_bytes):
            yield chunk


def _file(
    field: str, part: _Part, filename: str = "bordereau.xml"
) -> tuple[str, tuple[str, IO[bytes], str]]:
    media = "application/xml" if filename.endswith(".xml") else "application/octet-stream"
    # httpx types file contents as IO[bytes]; it only calls read, seek and tell on them
    return field, (filename, cast(IO[bytes], part), media)


@contextmanager
def _opened(sip: Path) -> Iterator[Package]:
    try:
        with open_package(sip) as package:
            yield package
    except SedaError as exc:
        raise SubmissionRefused(
            f"paquet illisible, rien n'a été envoyé : {exc}", code=exc.code
        ) from exc


def _manifest_name(package: Package) -> str:
    if package.manifest_name is None:
        raise SubmissionRefused(
            "paquet sans manifest.xml, rien n'a été envoyé", code="sip_unreadable"
        )
    return package.manifest_name


def _check_manifest(package: Package, name: str, message_identifier: str) -> str:
    """The manifest's SEDA version label; refuses what As@lae does not take before any request."""
    namespace, root, identifier = _manifest_header(package, name)
    if root != "ArchiveTransfer":
        raise SubmissionRefused(f"{root} n'est pas un ArchiveTransfer", code="seda_not_a_message")
    version = _VERSIONS.get(namespace or "")
    if version is None:
        raise SubmissionRefused(
            f"As@lae ne prend pas ce bordereau ({namespace}) : SEDA 1.0, 2.1 ou 2.2 attendu"
            + (
                " (le SEDA 2.3 n'y est pas pris en charge)"
                if namespace == SedaVersion.V2_3.namespace
                else ""
            ),
            code="seda_version_unsupported",
        )
    if identifier != message_identifier:
        # As@lae files the transfer under the manifest's identifier: polling ours would never end
        raise ValueError(
            f"le bordereau porte l'identifiant {identifier!r}, pas {message_identifier!r}"
        )
    return version


def _manifest_header(package: Package, name: str) -> tuple[str | None, str, str | None]:
    """Root namespace, root name and message identifier, read from the manifest's first lines."""
    events = iterparse_safe(lambda: package.open(name), events=("start", "end"))
    namespace, root, depth = None, "", 0
    try:
        for event, element in events:
            depth += 1 if event == "start" else -1
            if not root:
                namespace, root = etree.QName(element).namespace, _local(element)
            elif depth == 2 and event == "start" and _local(element) in _AFTER_HEADER:
                break
            elif depth == 1 and event == "end" and _local(element) in _HEADER_IDS:
                return namespace, root, _text(element)
    except SedaError as exc:
        raise SubmissionRefused(f"bordereau illisible : {exc}", code=exc.code) from exc
    finally:
        events.close()
    return namespace, root, None


def _repack(package: Package, out: Path) -> None:
    """The SIP's members but the manifest (sent apart) and its signature, as a tar.gz."""
    skipped = {package.manifest_name, f"{package.manifest_name}{SIGNATURE_SUFFIX}"}
    now = int(time.time())
    # level 0 (stored blocks, still gzip): archives are mostly compressed formats already;
    # bench/bench_connectors.py measured level 1 at 19 MiB/s against 220 MiB/s for level 0
    with tarfile.open(out, "w:gz", compresslevel=0) as tar:
        for name, size in package.entries.items():
            if name in skipped:
                continue
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = size, now, 0o644
            with package.open(name) as member:
                tar.addfile(info, member)


def _chunk_session(answer: Any) -> tuple[str, str]:
    keys = ("chunk_session_identifier", "chunk_security_identifier")
    ids = [answer.get(k) if isinstance(answer, dict) else None for k in keys]
    if not all(isinstance(i, str | int) and not isinstance(i, bool) and str(i) for i in ids):
        raise ProtocolError(
            "cette version d'As@lae n'accepte pas l'envoi par morceaux (pas de "
            "chunk_session_identifier) : relevez chunked_above_bytes si elle prend l'envoi en une fois",
            code="chunked_upload_unsupported",
        )
    return str(ids[0]), str(ids[1])


def _submission(
    message_identifier: str, locators: dict[str, str], *, duplicate: bool
) -> Submission:
    # As@lae files a transfer under (transferring agency, MessageIdentifier): no id of its own
    return Submission(NAME, message_identifier, message_identifier, False, locators, duplicate)


def _archive_identifier(root: etree._Element) -> str:
    """The single archive identifier of a positive reply (SEDA 2.x path, or 1.0's)."""
    paths = (_ARCHIVE_ID_2X, _ARCHIVE_ID_1_0)
    found = [v for path in paths for v in (_text(e) for e in _walk(root, path)) if v]
    if len(found) != 1:
        raise ProtocolError(
            f"réponse positive avec {len(found)} identifiants d'archive au premier niveau "
            "(un seul attendu)",
            code="archive_identifier_missing" if not found else "archive_identifier_ambiguous",
        )
    return found[0]


def _walk(root: etree._Element, path: tuple[str, ...]) -> list[etree._Element]:
    level = [root]
    for name in path:
        level = [c for parent in level for c in parent if _local(c) == name]
    return level


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return (
        (text[:300] + "…" if len(text) > 300 else text) or response.reason_phrase or "sans détail"
    )


def _rest_root(base_url: str) -> httpx.URL:
    url = httpx.URL(base_url.rstrip("/"))
    path = url.path.rstrip("/")
    return url.copy_with(path=path if path.endswith(REST) else path + REST)


def _refuse_plain_http(url: httpx.URL, allowed: bool) -> None:
    """HTTP Basic over plain HTTP would hand the password to anyone on the path."""
    if url.scheme == "https" or allowed or (url.scheme == "http" and _is_loopback(url.host)):
        return
    raise ValueError(f"adresse d'As@lae refusée (HTTPS requis hors boucle locale) : {url}")


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_choice(option: str, value: str, allowed: frozenset[str]) -> None:
    if value not in allowed:
        raise ValueError(f"option {option} invalide : {value!r} ({' ou '.join(sorted(allowed))})")


def from_settings(settings: ConnectorSettings, history: list[Exchange]) -> AsalaeConnector:
    """``base_url``, ``username``, the secret ``password``, ``password_form`` (sha256|plain),
    ``poll_style`` (path|query), ``attachments_format`` (targz|zip), ``chunk_bytes``,
    ``chunked_above_bytes``, ``poll_interval`` (seconds), ``max_reply_bytes``, ``ca_bundle``."""
    password = settings.secret("password")
    assert password is not None  # required secrets are never None
    chunk_bytes = settings.integer("chunk_bytes", PASTELL_CHUNK_BYTES)
    try:
        return AsalaeConnector(
            settings.text("base_url"),
            settings.text("username"),
            password,
            http_client(settings),
            history=history,
            password_form=settings.text("password_form", "sha256"),
            poll_style=settings.text("poll_style", "path"),
            attachments_format=settings.text("attachments_format", "targz"),
            chunk_bytes=chunk_bytes,
            chunked_above_bytes=settings.integer("chunked_above_bytes", chunk_bytes),
            poll_interval=settings.number("poll_interval", 600.0),
            max_reply_bytes=settings.integer("max_reply_bytes", 256 * 1024**2),
        )
    except ValueError as exc:
        raise ConnectorMisconfigured(f"connecteur {settings.name} : {exc}") from exc
