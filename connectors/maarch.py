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
    The SIP zip, base64 in a streamed JSON body: see `connectors.maarch_body`. Packages whose
    base64 form exceeds ``max_base64_bytes`` are refused here, before the file is even opened
    (``package_too_large_for_maarch``).
    200: received; the answer is the Acknowledgement as a ``medona/message`` JSON object
    (``messageId`` = the Acknowledgement's id, ``receivedMessageId`` = Maarch's id of our
    transfer). Refusals are Laabs exceptions: see `connectors.maarch_failures`. A **409** "message
    already received" (error ``103``): we look the transfer up and answer it as a duplicate.

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
    The message as a zip holding the ArchiveTransferReply or the Acknowledgement, read by
    `connectors.maarch_replies`.

``GET {url}/medona/archivalAgreement/Index`` answers `check()`: reachable and token accepted.

Package layout caveat: `receiveZip` extracts with ``7z e``, which drops folder names, and then
takes the first folder found (in name order) as the package root. Courrier sends a flat zip
(``{MessageIdentifier}.xml`` and the binaries side by side); a SIP with binaries under
``content/`` arrives flattened, so Maarch RM must find each binary by its base name. Agreements
that use this connector therefore set ``sip_layout = "flat"`` (``seda.sip.SipLayout.FLAT``):
the binaries sit beside the manifest and their ``Uri`` is their bare name.

How statuses and Laabs exceptions become our exceptions: `connectors.maarch_failures`. The
package rules (`PACKAGE_RULES`): the flat layout, and no detached signature beside the manifest,
which `receiveZip` would take for an attachment the manifest does not describe.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from connectors.base import (
    UPLOAD_CHUNK_BYTES,
    Acknowledged,
    ConnectorError,
    Exchange,
    HashingFileStream,
    HealthReport,
    NotReady,
    PackageRules,
    PollResult,
    ProtocolError,
    Recorder,
    Replied,
    Secret,
    Submission,
    SubmissionRefused,
    refuse_plain_http,
)
from connectors.config import ConnectorSettings, http_client
from connectors.http_util import json_object
from connectors.maarch_body import base64_size, chunk_bytes, transfer_body
from connectors.maarch_failures import (
    already_received,
    as_object,
    as_text,
    failure,
    read_json,
    reasons,
    submission_failure,
)
from connectors.maarch_replies import message_xml, read_message
from seda.sip import SipLayout

NAME = "maarch_rm"
PACKAGE_RULES = PackageRules(
    "Maarch RM", signature_beside_manifest=False, layouts=frozenset({SipLayout.FLAT})
)
TRANSFER_PATH = "/medona/Archivetransfer"
REFERENCE_PATH = "/medona/message/reference"
EXPORT_PATH = "/medona/message/{message_id}/Export"
CHECK_PATH = "/medona/archivalAgreement/Index"
DEFAULT_MAX_BASE64_BYTES = 256 * 1024**2
FINAL_STATUSES = frozenset({"processed", "rejected", "invalid"})


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
        self.upload_chunk_bytes = chunk_bytes(upload_chunk_bytes)
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
        size = sip.stat().st_size
        encoded = base64_size(size)
        if encoded > self.max_base64_bytes:
            raise SubmissionRefused(
                f"paquet trop volumineux pour Maarch RM : {encoded} octets une fois en base64, "
                f"limite configurée {self.max_base64_bytes} (l'API de Maarch RM n'accepte le "
                "paquet qu'en base64 dans une requête JSON, sans découpage)",
                code="package_too_large_for_maarch",
            )
        upload = HashingFileStream(sip, self.upload_chunk_bytes)
        length, body = transfer_body(
            iter(upload), size, filename=self.manifest_filename, schema=self.schema
        )
        headers = {"Content-Type": "application/json", "Content-Length": str(length)}
        request = self._request("POST", self._url(TRANSFER_PATH), headers, content=body)
        response = self._http.send(request, message_identifier=message_identifier, upload=upload)
        if already_received(response):
            return self._duplicate(message_identifier, response)
        if response.status_code not in (200, 201, 202):
            raise submission_failure(response, self._clock)
        acknowledgement = json_object(response)
        return self._submission(
            message_identifier,
            remote=as_text(acknowledgement.get("receivedMessageId")),
            acknowledgement=as_text(acknowledgement.get("messageId")),
            duplicate=False,
        )

    def _duplicate(self, message_identifier: str, refusal: httpx.Response) -> Submission:
        message = self._lookup(message_identifier)
        if message is None:
            raise SubmissionRefused(
                f"Maarch RM dit avoir déjà reçu {message_identifier} mais ne le retrouve pas",
                code="message_already_received",
                reasons=reasons(refusal),
            )
        return self._submission(
            message_identifier,
            remote=as_text(message.get("messageId")),
            acknowledgement=as_text(as_object(message.get("acknowledgement")).get("messageId")),
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
        status = as_text(message.get("status"))
        reply_id = as_text(as_object(message.get("replyMessage")).get("messageId"))
        if status in FINAL_STATUSES:
            if not reply_id:
                raise ProtocolError(
                    f"transfert {mid} au statut {status} sans ArchiveTransferReply",
                    code="reply_missing",
                )
            raw = self._export(reply_id, mid)
            return Replied(read_message(raw, mid, expect_reply=True), raw)
        if submission.acknowledged:
            return NotReady(self.poll_interval)
        ack_id = submission.locators.get("acknowledgement_message_id") or as_text(
            as_object(message.get("acknowledgement")).get("messageId")
        )
        if not ack_id:
            return NotReady(self.poll_interval)
        raw = self._export(ack_id, mid)
        return Acknowledged(self.poll_interval, read_message(raw, mid, expect_reply=False), raw)

    def _lookup(self, reference: str) -> dict[str, Any] | None:
        """The transfer's medona/message (`reference` is our MessageIdentifier), or None."""
        # Courrier encodes the dots too: Laabs would otherwise read ".xyz" as a format suffix
        query = "reference=" + quote(reference, safe="").replace(".", "%2E")
        url = self.base_url.copy_with(
            path=self.base_url.path + REFERENCE_PATH, query=query.encode("ascii")
        )
        response = self._http.send(self._request("GET", str(url), {}), message_identifier=reference)
        if response.status_code != 200:
            raise failure(response, self._clock)
        body = read_json(response)
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
            raise failure(response, self._clock)
        return message_xml(response.content, message_id, self.max_reply_bytes)

    # check

    def check(self) -> HealthReport:
        remote = str(self.base_url)
        try:
            response = self._http.send(
                self._request("GET", self._url(CHECK_PATH), {}), message_identifier=None
            )
            if response.status_code != 200:
                raise failure(response, self._clock)
            agreements = read_json(response)
        except ConnectorError as exc:
            return HealthReport.failed(NAME, remote, exc)
        details = (
            {"archival_agreements": str(len(agreements))} if isinstance(agreements, list) else {}
        )
        return HealthReport(NAME, remote, True, "ok", "Maarch RM joignable, jeton accepté", details)

    # HTTP plumbing

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
