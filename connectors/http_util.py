"""Reading what HTTP remotes answer, shared by the HTTP connectors (`connectors.sae_http`,
`connectors.vitam`, `connectors.maarch`, `connectors.asalae`): JSON bodies (RFC 8259; error bodies
such as RFC 9457 problem+json or Vitam's VitamError), `Retry-After` (RFC 9110 §10.2.3), manifest
digests sent as headers, and SEDA 2.x replies (`seda.replies.parse_reply`) turned into
`ProtocolError`s when they are not what the contract promises.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import httpx

from connectors.base import ProtocolError, parse_retry_after
from seda.errors import SedaError
from seda.replies import ReplyOutcome, parse_reply

DIGEST_ALGORITHMS = frozenset({"SHA-256", "SHA-384", "SHA-512"})
_HEX = re.compile(r"^[0-9a-f]+$")


def json_body(response: httpx.Response) -> Any:
    """The body as JSON; anything else is a `ProtocolError`."""
    try:
        return json.loads(response.content)
    except ValueError as exc:
        raise ProtocolError("réponse JSON attendue", code="body_unreadable") from exc


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object; anything else is a `ProtocolError`."""
    body = json_body(response)
    if not isinstance(body, dict):
        raise ProtocolError("objet JSON attendu", code="body_unreadable")
    return body


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of an error answer, or {} when the remote (or a proxy) sent something
    else: an error is reported whatever its body."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(response: httpx.Response, now: datetime) -> float | None:
    """The answer's `Retry-After`, in seconds from `now`, when it has a usable one."""
    return parse_retry_after(response.headers.get("Retry-After"), now)


def manifest_digest(digest: tuple[str, str]) -> tuple[str, str]:
    """(algorithm, lower-case hex value) checked before they go into request headers."""
    algorithm, value = digest[0].strip().upper(), digest[1].strip().lower()
    if algorithm not in DIGEST_ALGORITHMS or not _HEX.match(value):
        raise ValueError(f"empreinte du manifeste inutilisable : {digest[0]}")
    return algorithm, value


def expected_reply(data: bytes, transfer_identifier: str, *, expected: str) -> ReplyOutcome:
    """The `expected` SEDA message (``Acknowledgement`` or ``ArchiveTransferReply``) read from
    `data`; an unreadable message, or one of the other kind, is a `ProtocolError`. Which
    transfer it is about is left to the caller: each remote names it its own way."""
    try:
        outcome = parse_reply(data, transfer_identifier=transfer_identifier)
    except SedaError as exc:
        raise ProtocolError(f"réponse SEDA illisible : {exc}", code="reply_unreadable") from exc
    if outcome.message_type != expected:
        raise ProtocolError(
            f"{expected} attendu, {outcome.message_type} reçu", code="reply_unexpected"
        )
    return outcome
