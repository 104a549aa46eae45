"""Connector to our own archival repository (`sae/`) over HTTP: the contract both sides follow.

Contract, version 1 (every path under `{base}/api/v1/sae`; every request carries
`Authorization: Bearer <token>`; errors are RFC 9457 `application/problem+json` bodies with a
stable `code`, and `issues: [{code, message, line, path}]` when there are several reasons):

`GET /health`
    200 `{"status": "ok", "organisation": …, "version": …}`: reachable, token accepted.
    401: token refused.

`POST /transfers` — the SIP as the body, streamed, `Content-Type: application/zip`,
`Content-Length` set; headers `Idempotency-Key: <MessageIdentifier>`,
`X-Transferring-Agency: <identifier>`, and optionally `X-Manifest-Digest-Algorithm`
(`SHA-256|SHA-384|SHA-512`) with `X-Manifest-Digest-Value` (lower-case hex), both or neither.
    202 `{"transfer_id", "acknowledgement_url", "reply_url"}`: received into quarantine.
    200 same body: this Idempotency-Key is already known with the same package; nothing new is
        created (a resend after a timeout lands here).
    409 `idempotency_conflict`: the key is known with a different package.
    401: token refused. 403: the archival agreement does not let this agency send this.
    413 / 415 / 422: the package is refused (too large, not a zip, invalid), with its reasons.
    429 / 503 / 507: try again later (`Retry-After` when the repository knows when).
    URLs in the body may be absolute or relative to `{base}`; they must stay on `{base}`'s origin.

`GET acknowledgement_url`
    200 the `Acknowledgement` (XML, SEDA 2.x), available as soon as the transfer is received.
    404 `acknowledgement_not_ready` if the repository has not written it yet.

`GET reply_url`
    404 `reply_not_ready` (optional `Retry-After`) until the archivist has decided;
    200 the `ArchiveTransferReply` (XML, SEDA 2.x; MessageRequestIdentifier = our
    MessageIdentifier); 404 `transfer_not_found` for a transfer this token cannot see.

The connector never follows redirects (the token would travel with them), never reads the SIP
whole, and refuses a plain-HTTP base address outside loopback unless told otherwise.
Communication and restitution (``exchanges``): docs/exchanges.md, ``connectors.sae_http_exchanges``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
    refuse_plain_http,
)
from connectors.config import ConnectorSettings, http_client
from connectors.http_util import (
    error_body,
    expected_reply,
    json_object,
    manifest_digest,
    retry_after,
)
from connectors.sae_http_exchanges import SaeExchanges
from seda.replies import ReplyOutcome

NAME = "sae_http"
API = "/api/v1/sae"
_REFUSALS = frozenset({400, 403, 409, 413, 415, 422})


class SaeHttpConnector:
    """Pushes SIPs to our repository and collects its Acknowledgement and reply."""

    name = NAME

    def __init__(
        self,
        base_url: str,
        token: str | Secret,
        client: httpx.Client,
        *,
        history: list[Exchange] | None = None,
        poll_interval: float = 30.0,
        max_reply_bytes: int = 256 * 1024**2,
        max_package_bytes: int = 256 * 1024**3,
        upload_chunk_bytes: int = UPLOAD_CHUNK_BYTES,
        allow_insecure_http: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = httpx.URL(base_url.rstrip("/"))
        refuse_plain_http(self.base_url, allow_insecure_http, "du dépôt")
        self._token = token if isinstance(token, Secret) else Secret(token)
        self.history: list[Exchange] = [] if history is None else history
        self.poll_interval = poll_interval
        self.upload_chunk_bytes = upload_chunk_bytes
        self.max_package_bytes = max_package_bytes  # a DIP or restituted package, streamed
        self._clock = clock
        self._http = Recorder(
            NAME, client, self.history, max_body_bytes=max_reply_bytes, clock=clock
        )
        self.exchanges = SaeExchanges(self)  # communication and restitution (docs/exchanges.md)

    def __repr__(self) -> str:
        return f"SaeHttpConnector({str(self.base_url)!r})"

    def close(self) -> None:
        """Closes the HTTP client (the one ``from_settings`` made, or the caller's)."""
        self._http.client.close()

    def submit(
        self,
        sip: Path,
        *,
        message_identifier: str,
        transferring_agency: str,
        manifest_digest: tuple[str, str] | None,
    ) -> Submission:
        upload = HashingFileStream(sip, self.upload_chunk_bytes)
        headers = {
            "Content-Type": "application/zip",
            "Content-Length": str(sip.stat().st_size),
            "Idempotency-Key": message_identifier,
            "X-Transferring-Agency": transferring_agency,
            **_digest_headers(manifest_digest),
        }
        request = self._request("POST", self._url("/transfers"), headers, content=iter(upload))
        response = self._http.send(request, message_identifier=message_identifier, upload=upload)
        if response.status_code not in (200, 202):
            raise self._submission_failure(response)
        body = json_object(response)
        return Submission(
            connector=NAME,
            message_identifier=message_identifier,
            remote_reference=_field(body, "transfer_id"),
            acknowledged=False,
            locators={
                "acknowledgement_url": self._same_origin(_field(body, "acknowledgement_url")),
                "reply_url": self._same_origin(_field(body, "reply_url")),
            },
            duplicate=response.status_code == 200,
        )

    def poll(self, submission: Submission) -> PollResult:
        reply = self._get(submission, "reply_url", "reply_not_ready")
        if isinstance(reply, httpx.Response):
            outcome = self._parse(reply.content, submission, expect_reply=True)
            return Replied(outcome, reply.content)
        if submission.acknowledged:
            return NotReady(reply)
        ack = self._get(submission, "acknowledgement_url", "acknowledgement_not_ready")
        if isinstance(ack, httpx.Response):
            outcome = self._parse(ack.content, submission, expect_reply=False)
            return Acknowledged(reply, outcome, ack.content)
        return NotReady(min(reply, ack))

    def check(self) -> HealthReport:
        remote = str(self.base_url)
        try:
            response = self._http.send(
                self._request("GET", self._url("/health"), {}), message_identifier=None
            )
            if response.status_code != 200:
                raise self.failure(response)
            body = json_object(response)
        except ConnectorError as exc:
            return HealthReport.failed(NAME, remote, exc)
        details: dict[str, str] = {
            k: str(body[k]) for k in ("organisation", "version") if k in body
        }
        return HealthReport(NAME, remote, True, "ok", "dépôt joignable, jeton accepté", details)

    def _get(
        self, submission: Submission, locator: str, not_ready_code: str
    ) -> httpx.Response | float:
        """The answer when the document exists, else the suggested delay before asking again."""
        url = submission.locators.get(locator)
        if url is None:
            raise ProtocolError(f"soumission sans {locator}", code="submission_incomplete")
        request = self._request("GET", self._same_origin(url), {"Accept": "application/xml"})
        response = self._http.send(request, message_identifier=submission.message_identifier)
        if response.status_code == 200:
            return response
        if response.status_code == 404 and error_body(response).get("code") == not_ready_code:
            retry = retry_after(response, self._clock())
            return self.poll_interval if retry is None else retry
        raise self.failure(response)

    def _parse(self, data: bytes, submission: Submission, *, expect_reply: bool) -> ReplyOutcome:
        expected = "ArchiveTransferReply" if expect_reply else "Acknowledgement"
        outcome = expected_reply(data, submission.message_identifier, expected=expected)
        if outcome.transfer_identifier not in (None, submission.message_identifier):
            raise ProtocolError(
                f"la réponse concerne le transfert {outcome.transfer_identifier}, "
                f"pas {submission.message_identifier}",
                code="reply_mismatch",
            )
        return outcome

    def _submission_failure(self, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        # 403 here is the archival agreement refusing this agency or package, not the token;
        # 404 or 405 would mean a wrong base address: a configuration problem, not a refusal
        if status in _REFUSALS:
            problem = error_body(response)
            return SubmissionRefused(
                f"transfert refusé par le dépôt ({status}) : {_detail(problem, response)}",
                code=str(problem.get("code") or "submission_refused"),
                reasons=_reasons(problem, response),
            )
        return self.failure(response)

    def failure(self, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        problem = error_body(response)
        detail = _detail(problem, response)
        if status == 401 or status == 403:
            return CredentialsRefused(f"jeton refusé par le dépôt ({status}) : {detail}")
        if status == 429 or status >= 500:
            retry = retry_after(response, self._clock())
            return RemoteUnavailable(
                f"dépôt indisponible ({status}) : {detail}",
                code=str(problem.get("code") or "remote_unavailable"),
                retry_after=retry,
            )
        return ProtocolError(
            f"réponse inattendue du dépôt ({status}) : {detail}",
            code=str(problem.get("code") or "protocol_error"),
        )

    def call(
        self, method: str, path: str, headers: dict[str, str], content: bytes | None, mid: str
    ) -> httpx.Response:
        """One authenticated, recorded request to ``path`` (and its query) under the root."""
        path, _, query = path.partition("?")
        url = httpx.URL(self._url(path)).copy_with(query=query.encode() or None)
        request = self._request(method, str(url), headers, content)
        return self._http.send(request, message_identifier=mid)

    def download(self, path: str, dest: Path, mid: str) -> httpx.Response:
        """A package streamed into ``dest`` (see ``Recorder.download``)."""
        request = self._request("GET", self._url(path), {"Accept": "application/zip"})
        return self._http.download(
            request, dest, message_identifier=mid, max_bytes=self.max_package_bytes
        )

    def now(self) -> datetime:
        return self._clock()

    def _request(
        self, method: str, url: str, headers: dict[str, str], content: Any = None
    ) -> httpx.Request:
        headers = {"Authorization": f"Bearer {self._token.reveal()}", **headers}
        return httpx.Request(method, url, headers=headers, content=content)

    def _url(self, path: str) -> str:
        return str(self.base_url.copy_with(path=self.base_url.path.rstrip("/") + API + path))

    def _same_origin(self, url: str) -> str:
        """Resolve a URL the remote gave us; refuse one elsewhere, the token would follow it."""
        resolved = self.base_url.join(url)
        origin = (self.base_url.scheme, self.base_url.host, self.base_url.port)
        if (resolved.scheme, resolved.host, resolved.port) != origin:
            raise ProtocolError(
                f"adresse hors du dépôt refusée : {resolved.copy_with(query=None)}",
                code="foreign_url",
            )
        return str(resolved)


def _digest_headers(digest: tuple[str, str] | None) -> dict[str, str]:
    if digest is None:
        return {}
    algorithm, value = manifest_digest(digest)
    return {"X-Manifest-Digest-Algorithm": algorithm, "X-Manifest-Digest-Value": value}


def _field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"champ {name} absent de la réponse", code="body_incomplete")
    return value


def _detail(problem: dict[str, Any], response: httpx.Response) -> str:
    for key in ("detail", "title"):
        if isinstance(problem.get(key), str) and problem[key]:
            return str(problem[key])
    return response.reason_phrase or "sans détail"


def _reasons(problem: dict[str, Any], response: httpx.Response) -> tuple[str, ...]:
    issues = problem.get("issues")
    if isinstance(issues, list) and issues:
        return tuple(_issue_text(i) for i in issues)
    return (_detail(problem, response),)


def _issue_text(issue: object) -> str:
    if not isinstance(issue, dict):
        return str(issue)
    where = ", ".join(f"{k} {issue[k]}" for k in ("path", "line") if issue.get(k) is not None)
    text = f"{issue.get('code', 'issue')} : {issue.get('message', '')}"
    return f"{text} ({where})" if where else text


def from_settings(settings: ConnectorSettings, history: list[Exchange]) -> SaeHttpConnector:
    """``base_url``, the secret ``token``, ``poll_interval`` (seconds), ``max_reply_bytes``,
    ``max_package_bytes`` (a DIP or restituted package, streamed to disk)."""
    token = settings.secret("token")
    assert token is not None  # required secrets are never None
    return SaeHttpConnector(
        settings.text("base_url"),
        token,
        http_client(settings),
        history=history,
        poll_interval=settings.number("poll_interval", 30.0),
        max_reply_bytes=settings.integer("max_reply_bytes", 256 * 1024**2),
        max_package_bytes=settings.integer("max_package_bytes", 256 * 1024**3),
    )
