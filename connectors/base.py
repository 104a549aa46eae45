"""The interface every connector to an archival repository implements, and its exceptions.

A connector pushes a SEDA SIP to one repository and collects what the repository answers
(`Acknowledgement` and `ArchiveTransferReply`, SEDA 2.x or 1.0, normalised by
`seda.replies.parse_reply`). It holds no transfer state: the caller's persisted state machine
keeps the `Submission` it got back and hands it to `poll` as often as it likes, from any process.

Exception tree (every remote or library failure is translated at the boundary with
`raise ... from exc`; `code` is a stable snake_case string, the message is for people):

    ConnectorError                 base; `retryable` says whether the same call may succeed later
    ├── RemoteUnavailable          retryable: network error, timeout, 5xx, 429 (`retry_after`)
    ├── CredentialsRefused         the remote refused who we are (401, bad token or password)
    ├── TlsRefused                 the TLS handshake failed (certificate not trusted, expired…)
    ├── SubmissionRefused          permanent: the remote refused this package (`reasons`)
    ├── Misconfiguration           nothing was judged: the package or the settings break the
    │                              connector's or the remote's rules (a configuration error,
    │                              never a rejection of the records)
    └── ProtocolError              the remote answered something its contract does not allow

What packages a connector can deliver is known from its contract before anything is built
(`PackageRules`, a module's `PACKAGE_RULES`): an archival agreement is checked against them.

Every HTTP request a connector makes is recorded as an `Exchange` in its `history` list
(issue 6, item 6: every request and reply is recorded in the transfer's history), secrets
redacted; the caller persists those records. Secrets are held in `Secret`, whose repr never
shows the value.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import httpx

from seda.replies import ReplyOutcome
from seda.sip import SipLayout
from seda.versions import AnyVersion, SedaVersion

UPLOAD_CHUNK_BYTES = 1024 * 1024
REDACTED = "[redacted]"


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    code = "connector_error"
    retryable = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class RemoteUnavailable(ConnectorError):
    """The remote could not be reached or is temporarily failing; the same call may succeed."""

    code = "remote_unavailable"
    retryable = True

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class CredentialsRefused(ConnectorError):
    """The remote refused our credentials (token, password, client certificate)."""

    code = "credentials_refused"


class TlsRefused(ConnectorError):
    """The TLS handshake failed: the remote's certificate is not trusted, or ours was refused."""

    code = "tls_refused"


class SubmissionRefused(ConnectorError):
    """The remote refused this package for good; sending it again unchanged will fail again."""

    code = "submission_refused"

    def __init__(
        self, message: str, *, code: str | None = None, reasons: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, code=code)
        self.reasons = reasons


class Misconfiguration(ConnectorError):
    """Refused before the repository judged the records: the package or the settings break the
    connector's or the remote's rules (a second root file for Vitam, a SEDA version As@lae does
    not take, a workflow Vitam does not know). Fix the configuration; the records are not at
    fault. ``reasons`` lists each problem."""

    code = "misconfiguration"

    def __init__(
        self, message: str, *, code: str | None = None, reasons: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, code=code)
        self.reasons = reasons


class ProtocolError(ConnectorError):
    """The remote answered outside its contract (unexpected status, body or redirect)."""

    code = "protocol_error"


class Secret:
    """A credential whose value never appears in a repr, str or log line."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class PackageRules:
    """What packages a connector can deliver, from its contract: the SEDA versions its
    repository takes, whether a detached signature may sit beside the manifest, and where the
    binaries may lie. ``remote`` names the repository in messages."""

    remote: str
    seda_versions: frozenset[AnyVersion] = frozenset(SedaVersion)  # SEDA 1.0 only where said
    signature_beside_manifest: bool = True
    layouts: frozenset[SipLayout] = frozenset(SipLayout)

    def problems(
        self, version: AnyVersion, signed: bool, layout: SipLayout
    ) -> list[tuple[str, str]]:
        """(agreement option, why) for each option this connector cannot honour."""
        found = []
        if version not in self.seda_versions:
            taken = ", ".join(sorted(v.value for v in self.seda_versions))
            found.append(
                ("seda_version", f"{self.remote} ne prend pas le SEDA {version} (pris : {taken})")
            )
        if signed and not self.signature_beside_manifest:
            found.append(
                (
                    "sign_package",
                    f"{self.remote} refuse tout fichier à la racine du SIP autre que le "
                    "manifeste : sign_package = false (la signature reste sur le versement)",
                )
            )
        if layout not in self.layouts:
            wanted = " ou ".join(sorted(v.value for v in self.layouts))
            found.append(("sip_layout", f"{self.remote} exige sip_layout = {wanted}"))
        return found


@dataclass(frozen=True)
class Submission:
    """What the remote answered to a submission; the caller persists it and polls with it.

    `locators` holds the connector-specific addresses or identifiers polling needs (plain
    strings, so the record stores as JSON). `duplicate` is true when the remote said it already
    had this MessageIdentifier (a resend answered with the existing transfer).
    """

    connector: str
    message_identifier: str
    remote_reference: str
    acknowledged: bool
    locators: Mapping[str, str] = field(default_factory=dict)
    duplicate: bool = False

    def with_acknowledgement(self) -> Submission:
        return replace(self, acknowledged=True)


@dataclass(frozen=True)
class NotReady:
    """Nothing new yet; poll again after `retry_after` seconds (a suggestion)."""

    retry_after: float
    status: Literal["not_ready"] = "not_ready"


@dataclass(frozen=True)
class Acknowledged:
    """The remote acknowledged receipt; the reply is still to come.

    The caller stores `submission.with_acknowledgement()` so later polls do not ask again.
    """

    retry_after: float
    acknowledgement: ReplyOutcome | None
    raw: bytes | None
    status: Literal["acknowledged"] = "acknowledged"


@dataclass(frozen=True)
class Replied:
    """The ArchiveTransferReply: `outcome` normalised, `raw` kept verbatim for the record."""

    outcome: ReplyOutcome
    raw: bytes
    status: Literal["replied"] = "replied"


PollResult = NotReady | Acknowledged | Replied


class HealthCode(StrEnum):
    OK = "ok"
    REMOTE_UNAVAILABLE = RemoteUnavailable.code
    CREDENTIALS_REFUSED = CredentialsRefused.code
    TLS_REFUSED = TlsRefused.code
    PROTOCOL_ERROR = ProtocolError.code


@dataclass(frozen=True)
class HealthReport:
    """Result of `check()`: reachable and credentials accepted, or precisely what is wrong."""

    connector: str
    remote: str  # the address checked, never with credentials
    ok: bool
    code: str
    reason: str
    details: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def failed(cls, connector: str, remote: str, exc: ConnectorError) -> HealthReport:
        return cls(connector, remote, False, exc.code, str(exc))


@runtime_checkable
class Connector(Protocol):
    """What the transfer state machine needs from any archival repository."""

    name: str
    history: list[Exchange]

    def submit(
        self,
        sip: Path,
        *,
        message_identifier: str,
        transferring_agency: str,
        manifest_digest: tuple[str, str] | None,
    ) -> Submission:
        """Send the SIP (streamed, never read whole). Idempotent by `message_identifier` where
        the remote can tell; raises a `ConnectorError`."""
        ...

    def poll(self, submission: Submission) -> PollResult:
        """Ask how the transfer stands; raises a `ConnectorError`."""
        ...

    def check(self) -> HealthReport:
        """Test reachability and credentials; reports failures instead of raising them."""
        ...


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and its answer (or failure), as recorded in a transfer's history."""

    connector: str
    message_identifier: str | None
    method: str
    url: str
    started_at: datetime
    elapsed_seconds: float
    status: int | None
    request_headers: Mapping[str, str]
    response_headers: Mapping[str, str]
    request_sha256: str | None
    request_size: int
    response_sha256: str | None
    response_size: int
    error: str | None = None  # the ConnectorError code when the request failed on the way


_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
_SECRET_HINTS = ("token", "secret", "password", "auth")


def redact_headers(headers: httpx.Headers) -> dict[str, str]:
    """Header values that could carry a credential are replaced, whatever the remote's naming."""

    def hidden(name: str) -> bool:
        lowered = name.lower()
        return lowered in _SECRET_HEADERS or any(h in lowered for h in _SECRET_HINTS)

    return {k: REDACTED if hidden(k) else v for k, v in headers.items()}


def redact_url(url: httpx.URL) -> str:
    """User info and query values are dropped: some remotes take tokens in either."""
    clean = url.copy_with(username=None, password=None)
    if clean.query:
        clean = clean.copy_with(params={k: REDACTED for k in clean.params})
    return str(clean)


class HashingFileStream:
    """Reads a file in chunks for an upload, hashing what was actually sent."""

    def __init__(self, path: Path, chunk_bytes: int = UPLOAD_CHUNK_BYTES) -> None:
        self.path = path
        self.chunk_bytes = chunk_bytes
        self.sha256 = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(self.chunk_bytes):
                self.sha256.update(chunk)
                self.size += len(chunk)
                yield chunk


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """RFC 9110 §10.2.3: delay in seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdecimal():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


def refuse_plain_http(url: httpx.URL, allowed: bool, remote: str) -> None:
    """Credentials travel with every request: HTTPS, except on the loopback interface (or when
    the operator explicitly allows plain HTTP). ``remote`` names the remote in the message."""
    if url.scheme == "https" or allowed or (url.scheme == "http" and is_loopback(url.host)):
        return
    raise ValueError(f"adresse {remote} refusée (HTTPS requis hors boucle locale) : {url}")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def tls_failure(exc: BaseException) -> ssl.SSLError | None:
    """httpx wraps the ssl error (via httpcore); walk the chain to find it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def translate_transport_error(exc: httpx.TransportError) -> ConnectorError:
    tls = tls_failure(exc)
    if tls is not None:
        return TlsRefused(f"connexion TLS refusée : {tls}")
    if isinstance(exc, httpx.TimeoutException):
        return RemoteUnavailable(f"délai dépassé : {exc}", code="remote_timeout")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.ProxyError):
        return ProtocolError(f"adresse ou proxy inutilisable : {exc}")
    return RemoteUnavailable(f"serveur injoignable : {exc}")


class Recorder:
    """Sends requests through an `httpx.Client`, records each as an `Exchange`, bounds bodies
    read into memory and turns transport failures into `ConnectorError`s."""

    def __init__(
        self,
        connector: str,
        client: httpx.Client,
        history: list[Exchange],
        *,
        max_body_bytes: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.connector = connector
        self.client = client
        self.history = history
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    def send(
        self,
        request: httpx.Request,
        *,
        message_identifier: str | None,
        upload: HashingFileStream | None = None,
    ) -> httpx.Response:
        started_at, began = self.clock(), time.monotonic()
        response: httpx.Response | None = None
        body = b""
        try:
            response = self.client.send(request, stream=True, follow_redirects=False)
            body = self._read_bounded(response)
        except httpx.TransportError as exc:
            error = translate_transport_error(exc)
            self._record(
                request, response, body, upload, started_at, began, message_identifier, error.code
            )
            raise error from exc
        except ConnectorError as exc:
            self._record(
                request, response, body, upload, started_at, began, message_identifier, exc.code
            )
            raise
        self._record(request, response, body, upload, started_at, began, message_identifier, None)
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def download(
        self,
        request: httpx.Request,
        dest: Path,
        *,
        message_identifier: str | None,
        max_bytes: int,
    ) -> httpx.Response:
        """As ``send``, but a 200's body is streamed into ``dest`` (hashed, at most
        ``max_bytes``, fsynced) and never held in memory: a package may be far larger than a
        reply. Any other answer is read as ``send`` reads it (for its reason); ``dest`` exists
        only after a complete 200."""
        started_at, began = self.clock(), time.monotonic()
        response: httpx.Response | None = None
        body, received = b"", None
        try:
            response = self.client.send(request, stream=True, follow_redirects=False)
            if response.status_code == 200:
                received = _stream_to(response, dest, max_bytes)
            else:
                body = self._read_bounded(response)
        except (httpx.TransportError, ConnectorError, OSError) as exc:
            dest.unlink(missing_ok=True)
            error = translate_transport_error(exc) if isinstance(exc, httpx.TransportError) else exc
            code = getattr(error, "code", "io_error")
            self._record(request, response, body, None, started_at, began, message_identifier, code)
            if isinstance(exc, httpx.TransportError):
                raise error from exc
            raise
        self._record(
            request, response, body, None, started_at, began, message_identifier, None, received
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def _read_bounded(self, response: httpx.Response) -> bytes:
        chunks, size = [], 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise ProtocolError(
                        f"réponse de plus de {self.max_body_bytes} octets refusée",
                        code="response_too_large",
                    )
                chunks.append(chunk)
        finally:
            response.close()
        return b"".join(chunks)

    def _record(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        body: bytes,
        upload: HashingFileStream | None,
        started_at: datetime,
        began: float,
        message_identifier: str | None,
        error: str | None,
        received: tuple[str, int] | None = None,  # a body streamed to a file: SHA-256, size
    ) -> None:
        sent = _request_digest(request, upload)
        body_digest = hashlib.sha256(body).hexdigest() if received is None else received[0]
        self.history.append(
            Exchange(
                connector=self.connector,
                message_identifier=message_identifier,
                method=request.method,
                url=redact_url(request.url),
                started_at=started_at,
                elapsed_seconds=time.monotonic() - began,
                status=None if response is None else response.status_code,
                request_headers=redact_headers(request.headers),
                response_headers={} if response is None else redact_headers(response.headers),
                request_sha256=sent[0],
                request_size=sent[1],
                response_sha256=None if response is None else body_digest,
                response_size=len(body) if received is None else received[1],
                error=error,
            )
        )


def _stream_to(response: httpx.Response, dest: Path, max_bytes: int) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    try:
        with dest.open("wb") as out:
            for chunk in response.iter_bytes(UPLOAD_CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise ProtocolError(
                        f"paquet de plus de {max_bytes} octets refusé", code="package_too_large"
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    finally:
        response.close()
    return digest.hexdigest(), size


def _request_digest(
    request: httpx.Request, upload: HashingFileStream | None
) -> tuple[str | None, int]:
    if upload is not None:
        return upload.sha256.hexdigest(), upload.size
    content = request.content if isinstance(request.stream, httpx.ByteStream) else b""
    return (hashlib.sha256(content).hexdigest() if content else None), len(content)
