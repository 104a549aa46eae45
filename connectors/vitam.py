"""Connector to Vitam's `ingest-external` API (ProgrammeVitam/vitam 7.0.1) over mutual TLS.

Contract, as read in the Vitam sources at 5e6acc2f (IngestExternalResource.java,
IngestExternalImpl.java, AtrKoBuilder.java, AdminManagementExternalResource.java, TenantFilter.java,
InternalSecurityFilter.java, doc/fr/rest/externe/ingest.raml) and summarised in
shared/reference/connector-contracts-verified.md:

Authentication is the client certificate alone (its application context lists the tenants and the
ingest contracts it may use); every request carries `X-Tenant-Id: <integer>`. Vitam's Jetty speaks
TLS 1.2 only: we never cap the version, and the default context never forbids 1.2.
How Vitam's refusals and TLS failures are named for people: `connectors.vitam_failures`.

`POST /ingest-external/v1/ingests` — the SIP streamed as `application/octet-stream` (anything else
is a 415), `X-Action: RESUME`, `X-Context-Id`, optional `X-Manifest-Digest-Algo` +
`X-Manifest-Digest-Value` (lower-case hex, compared verbatim).
    202 once the body is on Vitam's disk, `X-Request-Id` = the operation id. A bad SIP is never an
        HTTP error here: it ends as a KO operation with a KO reply.
    503 with a KO ArchiveTransferReply as the body: the `X-Context-Id` names no workflow (a
        configuration error, `Misconfiguration`, never a rejection of the records).
`X-Context-Id` is one of ingest-external's `Contexts`: `DEFAULT_WORKFLOW` (an ingest),
`BLANK_TEST` (a dry run), `HOLDING_SCHEME` and `FILING_SCHEME` (which ingest holding and filing
schemes, not records). A transfer may use only the first two: any other value is refused when the
connector is built, so `gedsae connectors check` reports it.

`HEAD /admin-external/v1/operations/{id}` — 202 while the operation runs, 200 once `COMPLETED`,
with `X-Global-Execution-State` and `X-Global-Execution-Status` (`OK|WARNING|KO|FATAL`…). An
unknown id answers 204, 404 or 500 depending on the path taken: all are retried, and the caller's
state machine gives up at its deadline. `admin-external` is served by Vitam's access-external
component, often on another port: `admin_base_url` overrides `base_url` for it.

`GET /ingest-external/v1/ingests/{id}/archivetransferreply` — 200 the ArchiveTransferReply;
404 with VitamError code `040102` until it exists.

Vitam sends no Acknowledgement. Its reply has `MessageIdentifier` = the operation id and
`MessageRequestIdentifier` = our MessageIdentifier, except that a SIP refused early gets an
**empty** `MessageRequestIdentifier`: replies are correlated by operation id, and a non-empty
`MessageRequestIdentifier` must still be ours. `WARNING` means accepted with warnings. Archive
identifiers are each unit's `SystemId`.

Vitam has no idempotency key: a resend after a lost 202 creates a second operation. The SIP layout
Vitam demands is checked before anything is sent (`connectors.vitam_layout`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from connectors.base import (
    UPLOAD_CHUNK_BYTES,
    ConnectorError,
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
    Submission,
    TlsRefused,
)
from connectors.config import ConnectorMisconfigured, ConnectorSettings, http_client
from connectors.http_util import error_body, expected_reply, manifest_digest
from connectors.vitam_failures import failure, submission_failure, tls_explanation
from connectors.vitam_layout import refuse_unsafe_layout
from seda.replies import ReplyOutcome
from seda.sip import SipLayout

NAME = "vitam"
INGEST = "/ingest-external/v1"
ADMIN = "/admin-external/v1"
DEFAULT_CONTEXT = "DEFAULT_WORKFLOW"
# the Contexts of ingest-external a transfer of records may use (an ingest, a dry run)
INGEST_CONTEXTS = frozenset({DEFAULT_CONTEXT, "BLANK_TEST"})
# one root file only (SafeFileChecker), binaries under content/ (`connectors.vitam_layout`)
PACKAGE_RULES = PackageRules(
    "Vitam", signature_beside_manifest=False, layouts=frozenset({SipLayout.CONTENT})
)
REPLY_NOT_FOUND = "040102"  # VitamCode INGEST_EXTERNAL_NOT_FOUND
# check() asks for the reply of an operation that cannot exist: the answer passes the tenant filter
# and the ingest-contract check of the certificate's context first (see `check`)
PROBE_OPERATION = "gedsae-connection-check"
# AtrKoBuilder's template writes this when Vitam does not know the SIP's MessageIdentifier
_UNKNOWN_REQUEST = "Unknown"
_OPERATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class VitamConnector:
    """Pushes SIPs to Vitam's ingest-external and collects the ArchiveTransferReply."""

    name = NAME

    def __init__(
        self,
        base_url: str,
        tenant: int,
        client: httpx.Client,
        *,
        history: list[Exchange] | None = None,
        context_id: str = DEFAULT_CONTEXT,
        admin_base_url: str | None = None,
        poll_interval: float = 30.0,
        max_reply_bytes: int = 256 * 1024**2,
        upload_chunk_bytes: int = UPLOAD_CHUNK_BYTES,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url = _https_url(base_url)
        self.admin_base_url = _https_url(admin_base_url or base_url)
        if isinstance(tenant, bool) or not isinstance(tenant, int):
            raise ValueError(f"tenant Vitam entier attendu : {tenant!r}")
        if context_id not in INGEST_CONTEXTS:
            raise ValueError(
                f"context_id {context_id!r} inconnu de Vitam pour une entrée d'archives "
                "(DEFAULT_WORKFLOW, ou BLANK_TEST pour un essai à blanc)"
            )
        self.tenant = tenant
        self.context_id = context_id
        self.history: list[Exchange] = [] if history is None else history
        self.poll_interval = poll_interval
        self.upload_chunk_bytes = upload_chunk_bytes
        self._clock = clock
        self._client = client
        self._http = Recorder(
            NAME, client, self.history, max_body_bytes=max_reply_bytes, clock=clock
        )

    def __repr__(self) -> str:
        return f"VitamConnector({str(self.base_url)!r}, tenant={self.tenant})"

    def close(self) -> None:
        """Close the HTTP client (the one `from_settings` made belongs to this connector)."""
        self._client.close()

    def submit(
        self,
        sip: Path,
        *,
        message_identifier: str,
        transferring_agency: str,
        manifest_digest: tuple[str, str] | None,
    ) -> Submission:
        """Vitam reads the transferring agency from the manifest; it is not sent separately."""
        refuse_unsafe_layout(sip)
        upload = HashingFileStream(sip, self.upload_chunk_bytes)
        headers = {
            "X-Action": "RESUME",
            "X-Context-Id": self.context_id,
            "Accept": "application/xml",
            "Content-Type": "application/octet-stream",
            "Content-Length": str(sip.stat().st_size),
            **_digest_headers(manifest_digest),
        }
        url = _join(self.base_url, f"{INGEST}/ingests")
        request = self._request("POST", url, headers, content=iter(upload))
        response = self._send(request, message_identifier, upload)
        if response.status_code != 202:
            raise submission_failure(response, self.tenant, self.context_id, self._clock)
        operation = _operation_id(response.headers.get("X-Request-Id", ""))
        return Submission(
            connector=NAME,
            message_identifier=message_identifier,
            remote_reference=operation,
            acknowledged=False,
            locators={"operation_id": operation},
        )

    def poll(self, submission: Submission) -> PollResult:
        """Never `Acknowledged`: Vitam writes no Acknowledgement, only the final reply."""
        operation = _operation_id(
            submission.locators.get("operation_id", submission.remote_reference)
        )
        status = self._operation_status(operation, submission.message_identifier)
        if status is None:
            return NotReady(self.poll_interval)
        url = _join(self.base_url, f"{INGEST}/ingests/{operation}/archivetransferreply")
        request = self._request("GET", url, {"Accept": "application/octet-stream"})
        response = self._send(request, submission.message_identifier)
        if response.status_code == 200:
            outcome = self._parse(response.content, submission.message_identifier, operation)
            return Replied(outcome, response.content)
        if response.status_code != 404 or error_body(response).get("code") != REPLY_NOT_FOUND:
            raise self._failure(response)
        if status == "FATAL":
            # a FATAL operation may end without a reply; say so rather than wait silently
            raise RemoteUnavailable(
                f"opération Vitam {operation} terminée en FATAL (erreur technique de Vitam), "
                "sans ArchiveTransferReply pour l'instant : le SIP sera à renvoyer",
                code="vitam_operation_fatal",
                retry_after=self.poll_interval,
            )
        return NotReady(self.poll_interval)

    def check(self) -> HealthReport:
        """Asks for the reply of an operation that cannot exist, an ingest-external request that
        crosses what a submission crosses: the TLS handshake with our certificate, the tenant
        filter (412 malformed, 401 unknown), the certificate's context and its ingest contract for
        the tenant (401). Past them Vitam answers 404 with its `040102` error: all is accepted.
        `GET …/status` would not do: it is unsecured and skips the tenant and contract checks;
        the admin referential endpoints need permissions a pushing connector does not hold."""
        probe = f"{INGEST}/ingests/{PROBE_OPERATION}/archivetransferreply"
        details = {"tenant": str(self.tenant), "context_id": self.context_id, "probe": probe}
        remote = str(self.base_url)
        try:
            request = self._request(
                "GET", _join(self.base_url, probe), {"Accept": "application/octet-stream"}
            )
            response = self._send(request, None)
            if response.status_code != 404 or "code" not in error_body(response):
                raise self._failure(response)
        except ConnectorError as exc:
            return HealthReport(NAME, remote, False, exc.code, str(exc), details)
        reason = f"Vitam joignable : TLS mutuel, certificat et tenant {self.tenant} acceptés"
        return HealthReport(NAME, remote, True, "ok", reason, details)

    def _operation_status(self, operation: str, message_identifier: str) -> str | None:
        """Vitam's global status once the operation is completed; None while it runs."""
        url = _join(self.admin_base_url, f"{ADMIN}/operations/{operation}")
        response = self._send(
            self._request("HEAD", url, {"Accept": "application/json"}), message_identifier
        )
        if response.status_code == 202:
            return None
        if response.status_code == 200:
            status: str = response.headers.get("X-Global-Execution-Status", "UNKNOWN")
            return status.strip().upper()
        if response.status_code in (204, 404):
            raise RemoteUnavailable(
                f"opération {operation} inconnue de Vitam ({response.status_code}) : "
                "nouvel essai plus tard, abandon à l'échéance du transfert",
                code="vitam_operation_unknown",
                retry_after=self.poll_interval,
            )
        raise self._failure(response)

    def _parse(self, data: bytes, message_identifier: str, operation: str) -> ReplyOutcome:
        outcome = expected_reply(data, message_identifier, expected="ArchiveTransferReply")
        # Vitam's reply names the operation in MessageIdentifier; an early KO leaves
        # MessageRequestIdentifier empty, so the operation id is what correlates
        if outcome.reply_identifier not in (None, operation):
            raise ProtocolError(
                f"la réponse concerne l'opération {outcome.reply_identifier}, pas {operation}",
                code="reply_mismatch",
            )
        if outcome.transfer_identifier not in (None, _UNKNOWN_REQUEST, message_identifier):
            raise ProtocolError(
                f"la réponse concerne le transfert {outcome.transfer_identifier}, "
                f"pas {message_identifier}",
                code="reply_mismatch",
            )
        # correlated by the operation id: the reply is this transfer's, say so for the caller
        # (an early KO names no MessageRequestIdentifier, or "Unknown")
        return replace(outcome, transfer_identifier=message_identifier)

    def _failure(self, response: httpx.Response) -> ConnectorError:
        return failure(response, self.tenant, self._clock)

    def _request(
        self, method: str, url: str, headers: dict[str, str], content: Any = None
    ) -> httpx.Request:
        headers = {"X-Tenant-Id": str(self.tenant), **headers}
        return httpx.Request(method, url, headers=headers, content=content)

    def _send(
        self,
        request: httpx.Request,
        message_identifier: str | None,
        upload: HashingFileStream | None = None,
    ) -> httpx.Response:
        try:
            return self._http.send(request, message_identifier=message_identifier, upload=upload)
        except TlsRefused as exc:
            raise TlsRefused(tls_explanation(exc)) from exc


def _https_url(url: str) -> httpx.URL:
    parsed = httpx.URL(url.rstrip("/"))
    if parsed.scheme != "https" or not parsed.host:
        raise ValueError(f"adresse Vitam refusée (HTTPS requis, TLS mutuel) : {url}")
    return parsed


def _join(base: httpx.URL, path: str) -> str:
    return str(base.copy_with(path=base.path.rstrip("/") + path))


def _operation_id(value: str) -> str:
    """The operation id goes into URL paths: anything but a plain token is refused."""
    value = value.strip()
    if not _OPERATION_ID.match(value):
        raise ProtocolError(
            f"identifiant d'opération Vitam absent ou inutilisable : {value[:80]!r}",
            code="vitam_operation_id_invalid",
        )
    return value


def _digest_headers(digest: tuple[str, str] | None) -> dict[str, str]:
    if digest is None:
        return {}
    algorithm, value = manifest_digest(digest)
    # Vitam compares the value verbatim with its own lower-case hex
    return {"X-Manifest-Digest-Algo": algorithm, "X-Manifest-Digest-Value": value}


def from_settings(settings: ConnectorSettings, history: list[Exchange]) -> VitamConnector:
    """``base_url``, ``tenant`` (integer), ``context_id`` (default DEFAULT_WORKFLOW; BLANK_TEST
    for a dry run), ``client_certificate`` + ``client_key`` (required: Vitam knows us by our
    certificate), ``ca_bundle``, the secret ``client_key_password``, ``admin_base_url`` (when
    admin-external is served apart), ``poll_interval`` (seconds), ``max_reply_bytes``."""
    settings.path("client_certificate")
    settings.path("client_key")
    base_url, tenant = settings.text("base_url"), settings.integer("tenant")
    context_id = settings.text("context_id", DEFAULT_CONTEXT)
    admin_base_url = settings.optional_text("admin_base_url")
    poll_interval = settings.number("poll_interval", 30.0)
    max_reply_bytes = settings.integer("max_reply_bytes", 256 * 1024**2)
    client = http_client(settings)
    try:
        return VitamConnector(
            base_url,
            tenant,
            client,
            history=history,
            context_id=context_id,
            admin_base_url=admin_base_url,
            poll_interval=poll_interval,
            max_reply_bytes=max_reply_bytes,
        )
    except ValueError as exc:
        client.close()
        raise ConnectorMisconfigured(f"connecteur {settings.name} : {exc}") from exc
