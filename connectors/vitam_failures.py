"""What Vitam's failures mean, named for the people who fix them: its HTTP statuses, VitamError
bodies and TLS handshake failures, for the Vitam connector (`connectors.vitam`).

As read in the Vitam sources at 5e6acc2f (TenantFilter.java, InternalSecurityFilter.java,
IngestExternalImpl.java) and summarised in shared/reference/connector-contracts-verified.md: a
missing or non-integer tenant is a **412**; a tenant the platform does not know, or a certificate
whose context has no ingest contract for it, is a **401**. A refused TLS handshake says little:
an untrusted server, a refused TLS version and a refused client certificate are told apart, since
the fixes differ.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from datetime import datetime

import httpx

from connectors.base import (
    ConnectorError,
    CredentialsRefused,
    Misconfiguration,
    ProtocolError,
    RemoteUnavailable,
    TlsRefused,
    tls_failure,
)
from connectors.http_util import error_body, retry_after
from seda.errors import SedaError
from seda.replies import ReplyOutcome, parse_reply


def submission_failure(
    response: httpx.Response, tenant: int, context_id: str, clock: Callable[[], datetime]
) -> ConnectorError:
    """What a refused `POST …/ingests` means."""
    status = response.status_code
    if status == 503:
        refusal = _workflow_refusal(response, context_id)
        if refusal is not None:
            return refusal
    if status == 415:
        return ProtocolError(
            "Vitam refuse le type de contenu du SIP (415, application/octet-stream attendu)",
            code="vitam_media_type_refused",
        )
    return failure(response, tenant, clock)


def _workflow_refusal(response: httpx.Response, context_id: str) -> Misconfiguration | None:
    """The 503 whose body is a KO reply: Vitam knows no workflow by our X-Context-Id (this
    platform lacks it): a configuration error, the records were not judged."""
    try:
        outcome = parse_reply(response.content)
    except SedaError:
        return None
    if outcome.message_type != "ArchiveTransferReply":
        return None
    operation = response.headers.get("X-Request-Id", "?")
    return Misconfiguration(
        f"Vitam refuse l'entrée (503, opération {operation}) : aucun processus pour "
        f"X-Context-Id {context_id} — vérifier context_id du connecteur",
        code="vitam_workflow_unknown",
        reasons=_event_reasons(outcome) or (f"ReplyCode {outcome.reply_code}",),
    )


def failure(response: httpx.Response, tenant: int, clock: Callable[[], datetime]) -> ConnectorError:
    """What any other unexpected answer means."""
    status = response.status_code
    detail = _detail(response)
    if status == 401:
        return CredentialsRefused(
            f"Vitam refuse la requête (401) : tenant {tenant} inconnu de la plateforme, "
            "ou certificat client sans contexte applicatif ni contrat d'entrée pour ce tenant "
            f"({detail})"
        )
    if status == 412:
        return ProtocolError(
            "Vitam refuse la requête (412) : en-tête X-Tenant-Id absent ou non entier "
            f"(un proxy l'a-t-il retiré ?) ou paramètre refusé ({detail})",
            code="vitam_tenant_malformed",
        )
    if status == 429 or status >= 500:
        return RemoteUnavailable(
            f"Vitam indisponible ({status}) : {detail}",
            retry_after=retry_after(response, clock()),
        )
    if status == 404:
        detail += " — adresse de base Vitam erronée ?"
    return ProtocolError(
        f"réponse inattendue de Vitam ({status}) : {detail}", code="vitam_unexpected_status"
    )


def _detail(response: httpx.Response) -> str:
    error = error_body(response)  # a VitamError, when Vitam itself answered
    parts = [str(error[k]) for k in ("code", "description", "Error") if error.get(k)]
    if not parts and error.get("message"):
        parts.append(str(error["message"]))
    return " — ".join(parts) or response.reason_phrase or "sans détail"


def _event_reasons(outcome: ReplyOutcome) -> tuple[str, ...]:
    return tuple(
        f"{code} {result} : {message}".strip()
        for code, result, message in outcome.events
        if result.upper() != "OK"
    )


def tls_explanation(exc: TlsRefused) -> str:
    """Tell an untrusted server from a refused client certificate: the fixes differ."""
    error = tls_failure(exc)
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            "certificat du serveur Vitam refusé (autorité absente de ca_bundle, expiré ou nom "
            f"différent) : {error.verify_message or error}"
        )
    reason = (error.reason or "") if error is not None else ""
    if "PROTOCOL_VERSION" in reason:
        return f"Vitam refuse la version TLS proposée ({reason}) : Vitam n'accepte que TLS 1.2"
    if "ALERT" in reason:
        return (
            f"Vitam a interrompu la poignée de main TLS ({reason}) : certificat client absent, "
            "non reconnu par l'autorité de Vitam, expiré ou révoqué"
        )
    return str(exc)
