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

`POST /sedaMessages`, `POST /sedaAttachmentsChunkFiles`
    The upload, whole or in chunks, with the SEDA versions As@lae takes and the attachments'
    format: see `connectors.asalae_upload`.

`GET /sedaMessages/sequence:ArchiveTransfer/message:{Acknowledgement|ArchiveTransferReply}/
originOrganizationIdentification:{transferring agency}/originMessageIdentifier:{MessageIdentifier}`
    (segments URL-encoded; `poll_style = "query"` sends CD56's form
    `/sedaMessages?sequence=ArchiveTransfer&message=…&originOrganizationIdentification=…&
    originMessageIdentifier=…`). The Acknowledgement exists as soon as the transfer is received;
    a 404 for it is read as "not yet" (no client shows that answer). The reply answers HTTP 500
    with the body `Transfert en cours de traitement` (surrounding blanks ignored) until the
    archivist has decided; any other 500 is a server failure. Which reply is ours, and the
    archive identifier a positive one must carry: see `connectors.asalae_replies`. `poll` asks
    for the Acknowledgement until the caller has stored it, then for the reply (as Pastell's
    `verif-sae` then `validation-sae`): the Acknowledgement is kept for the record.

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
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from connectors.asalae_replies import read_reply
from connectors.asalae_upload import (
    ATTACHMENTS_FORMATS,
    PASTELL_CHUNK_BYTES,
    FileField,
    Upload,
    attachments,
    check_manifest,
    manifest_name,
    opened_package,
)
from connectors.base import (
    Acknowledged,
    ConnectorError,
    CredentialsRefused,
    Exchange,
    HashingFileStream,
    HealthReport,
    NotReady,
    PackageRules,
    PollResult,
    ProtocolError,
    Recorder,
    RemoteUnavailable,
    Replied,
    Secret,
    Submission,
    SubmissionRefused,
    refuse_plain_http,
)
from connectors.config import ConnectorMisconfigured, ConnectorSettings, http_client
from connectors.http_util import retry_after
from seda.versions import SEDA_1_0, SedaVersion

NAME = "asalae"
REST = "/restservices"
NOT_READY_BODY = "Transfert en cours de traitement"
ACKNOWLEDGEMENT = "Acknowledgement"
REPLY = "ArchiveTransferReply"
PASSWORD_FORMS = frozenset({"plain", "sha256"})
POLL_STYLES = frozenset({"path", "query"})
_REFUSALS = frozenset({400, 409, 413, 415, 422})
# the SEDA versions As@lae takes: 1.0 (Pastell's profiles), 2.1 and 2.2
PACKAGE_RULES = PackageRules(
    "As@lae", seda_versions=frozenset({SEDA_1_0, SedaVersion.V2_1, SedaVersion.V2_2})
)


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
        refuse_plain_http(self.base_url, allow_insecure_http, "d'As@lae")
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
        with opened_package(sip) as package:
            manifest = manifest_name(package)
            version = check_manifest(package, manifest, message_identifier)
            locators = {"transferring_agency": transferring_agency, "seda_version": version}
            if self._already_received(message_identifier, transferring_agency):
                return _submission(message_identifier, locators, duplicate=True)
            with attachments(sip, package, self.attachments_format) as (archive, label):
                upload = Upload(self._post, self.chunk_bytes, self.chunked_above_bytes)
                sent = upload.send(package, manifest, archive, label, message_identifier)
        return _submission(message_identifier, {**locators, **sent}, duplicate=False)

    def poll(self, submission: Submission) -> PollResult:
        if not submission.acknowledged:
            ack = self._fetch(ACKNOWLEDGEMENT, submission)
            if ack is None:
                return NotReady(self.poll_interval)
            outcome = read_reply(ack, submission.message_identifier, expected=ACKNOWLEDGEMENT)
            return Acknowledged(self.poll_interval, outcome, ack)
        reply = self._fetch(REPLY, submission)
        if reply is None:
            return NotReady(self.poll_interval)
        return Replied(read_reply(reply, submission.message_identifier, expected=REPLY), reply)

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
            read_reply(response.content, message_identifier, expected=ACKNOWLEDGEMENT)
            return True
        if response.status_code in (404, 500):
            return False
        raise self._failure(response)

    def _post(
        self,
        path: str,
        data: dict[str, str],
        files: list[FileField],
        message_identifier: str,
        upload: HashingFileStream,
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
            return RemoteUnavailable(
                f"As@lae indisponible ({status}) : {detail}",
                retry_after=retry_after(response, self._clock()),
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


def _submission(
    message_identifier: str, locators: dict[str, str], *, duplicate: bool
) -> Submission:
    # As@lae files a transfer under (transferring agency, MessageIdentifier): no id of its own
    return Submission(NAME, message_identifier, message_identifier, False, locators, duplicate)


def _snippet(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return (
        (text[:300] + "…" if len(text) > 300 else text) or response.reason_phrase or "sans détail"
    )


def _rest_root(base_url: str) -> httpx.URL:
    url = httpx.URL(base_url.rstrip("/"))
    path = url.path.rstrip("/")
    return url.copy_with(path=path if path.endswith(REST) else path + REST)


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
