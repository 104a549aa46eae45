"""What Maarch RM's answers mean: its JSON bodies read, and its Laabs exceptions and HTTP
statuses translated into ours, for the Maarch RM connector (`connectors.maarch`).

As read in `soumiamahieddine/enmoRM` (`core/Exception.php`, `core/Error.php`,
`src/bundle/medona/Model/message.php`): refusals are Laabs exceptions as JSON: ``{"message",
"code", "errors": [{"message", "code", …}]}``, where each error code is a MEDONA reply code (101
malformed, 202 unknown transferring agency, 203 profile, 207 digests, 3xx agreement…) and the HTTP
status the exception code (400 invalid message). A **409** with error ``103`` is "message already
received" (`message::create`, unique on type + sender + reference).

Statuses: 401/403 → `CredentialsRefused`; 429/5xx → `RemoteUnavailable`; 400/409/413/415/422
on submission → `SubmissionRefused` with every error as a reason; anything else, redirects
included (the cookie would follow them), → `ProtocolError`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from connectors.base import (
    ConnectorError,
    CredentialsRefused,
    ProtocolError,
    RemoteUnavailable,
    SubmissionRefused,
)
from connectors.http_util import error_body, json_body, retry_after

_REFUSALS = frozenset({400, 409, 413, 415, 422})
_ALREADY_RECEIVED = "103"


def already_received(response: httpx.Response) -> bool:
    """Maarch RM refused the transfer as one it already holds."""
    return response.status_code == 409 and _ALREADY_RECEIVED in _error_codes(response)


def submission_failure(response: httpx.Response, clock: Callable[[], datetime]) -> ConnectorError:
    """What a refused `POST …/medona/Archivetransfer` means."""
    status = response.status_code
    if status in _REFUSALS:
        codes = _error_codes(response)
        return SubmissionRefused(
            f"transfert refusé par Maarch RM ({status}) : {_detail(response)}",
            code=f"medona_{codes[0]}" if codes else "submission_refused",
            reasons=reasons(response),
        )
    return failure(response, clock)


def failure(response: httpx.Response, clock: Callable[[], datetime]) -> ConnectorError:
    """What any other unexpected answer means."""
    status = response.status_code
    detail = _detail(response)
    if status in (401, 403):
        return CredentialsRefused(f"jeton LAABS-AUTH refusé par Maarch RM ({status}) : {detail}")
    if status == 429 or status >= 500:
        return RemoteUnavailable(
            f"Maarch RM indisponible ({status}) : {detail}",
            retry_after=retry_after(response, clock()),
        )
    if 300 <= status < 400:
        return ProtocolError(
            f"redirection refusée ({status}) vers {response.headers.get('Location', '?')}",
            code="redirect_refused",
        )
    return ProtocolError(f"réponse inattendue de Maarch RM ({status}) : {detail}")


def reasons(response: httpx.Response) -> tuple[str, ...]:
    """Every error of the Laabs exception, else its message."""
    found = tuple(
        f"{as_text(e.get('code')) or 'erreur'} : {as_text(e.get('message'))}"
        for e in _errors(response)
    )
    return found or (_detail(response),)


def read_json(response: httpx.Response) -> Any:
    """The body as JSON, None when it is blank."""
    return json_body(response) if response.content.strip() else None


def as_object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_text(value: object) -> str:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    errors = error_body(response).get("errors")
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _error_codes(response: httpx.Response) -> list[str]:
    return [code for e in _errors(response) if (code := as_text(e.get("code")))]


def _detail(response: httpx.Response) -> str:
    message = error_body(response).get("message")
    if isinstance(message, str) and message:
        return message
    return response.reason_phrase or "sans détail"
