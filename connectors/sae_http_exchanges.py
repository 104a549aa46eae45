"""Communication and restitution with our own repository over HTTP (`connectors.exchanges`), as
docs/exchanges.md defines them: a request posted once (its MessageIdentifier as idempotency
key), then every later document at an address derived from that identifier, so the GED keeps
none: `{kind}/{id}/reply`, `{kind}/{id}/dip` or `/package`, `restitutions/{id}/receipt`.

Errors are those of the transfer (`SaeHttpConnector.failure`): token refused, repository
unavailable (with `Retry-After`), anything else outside the contract a `ProtocolError`; a
request refused by the repository (403, 409, 422) is a `SubmissionRefused` with its reasons.
"""

from __future__ import annotations

import urllib.parse
from datetime import datetime
from pathlib import Path
from typing import Protocol

import httpx

from connectors.base import NotReady, ProtocolError, SubmissionRefused
from connectors.exchanges import (
    ExchangeKind,
    ExchangeReply,
    Incoming,
    Mailbox,
    Reply,
    read_reply,
    verify_package,
)
from connectors.http_util import error_body, json_object, retry_after

API_ROOT = "/api/v1/sae"  # the message URLs the mailbox gives are under it (same origin)
_PACKAGES = {ExchangeKind.DELIVERY: "dip", ExchangeKind.RESTITUTION: "package"}
_REFUSALS = frozenset({403, 409, 422})
XML = {"Content-Type": "application/xml"}


class Channel(Protocol):
    """What the exchanges need of the connector: authenticated, recorded requests."""

    poll_interval: float

    def call(
        self, method: str, path: str, headers: dict[str, str], content: bytes | None, mid: str
    ) -> httpx.Response: ...

    def failure(self, response: httpx.Response) -> Exception: ...

    def download(self, path: str, dest: Path, mid: str) -> httpx.Response:
        """A GET whose 200 body is streamed into ``dest``; any other answer read as ``call``."""
        ...

    def now(self) -> datetime: ...


class SaeExchanges:
    """`connectors.exchanges.Exchanges` against our repository."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def request(self, kind: ExchangeKind, message_identifier: str, message: bytes) -> None:
        headers = {**XML, "Idempotency-Key": message_identifier}
        response = self._channel.call("POST", f"/{kind}", headers, message, message_identifier)
        if response.status_code in (200, 202):
            return
        if response.status_code in _REFUSALS:
            problem = error_body(response)
            raise SubmissionRefused(
                f"demande refusée par le dépôt ({response.status_code}) : "
                f"{problem.get('detail') or problem.get('title') or 'sans détail'}",
                code=str(problem.get("code") or "request_refused"),
                reasons=_reasons(problem.get("issues")),
            )
        raise self._channel.failure(response)

    def reply(self, kind: ExchangeKind, message_identifier: str) -> ExchangeReply | NotReady:
        response = self._get(kind, message_identifier, "reply")
        if response.status_code == 404 and error_body(response).get("code") == "reply_not_ready":
            delay = retry_after(response, self._channel.now())
            return NotReady(self._channel.poll_interval if delay is None else delay)
        if response.status_code != 200:
            raise self._channel.failure(response)
        return ExchangeReply(read_reply(response.content, message_identifier), response.content)

    def fetch_package(self, kind: ExchangeKind, message_identifier: str, dest: Path) -> Reply:
        """The package streamed to disk (never held in memory, whatever its size), kept only
        once every digest and size matches its reply."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")
        path = f"/{kind}/{_quoted(message_identifier)}/{_PACKAGES[kind]}"
        response = self._channel.download(path, partial, message_identifier)
        if response.status_code != 200:
            partial.unlink(missing_ok=True)
            raise self._channel.failure(response)
        reply = verify_package(partial, message_identifier)  # deletes it when it fails
        partial.replace(dest)
        return reply

    def acknowledge(self, kind: ExchangeKind, message_identifier: str, receipt: bytes) -> None:
        path = f"/{kind}/{_quoted(message_identifier)}/receipt"
        response = self._channel.call("POST", path, XML, receipt, message_identifier)
        if response.status_code != 200:
            raise self._channel.failure(response)

    def mailbox(self, after: str | None) -> Mailbox:
        query = "" if after is None else "?after=" + urllib.parse.quote(after, safe="")
        response = self._channel.call("GET", f"/messages{query}", {}, None, "mailbox")
        if response.status_code != 200:
            raise self._channel.failure(response)
        listed = json_object(response)
        entries = listed.get("messages")
        if not isinstance(entries, list):
            raise ProtocolError("liste messages absente de la réponse", code="body_incomplete")
        found = tuple(self._incoming(entry) for entry in entries)
        cursor = listed.get("next")
        return Mailbox(found, cursor if isinstance(cursor, str) and cursor else None)

    def answer_authorization(self, request_identifier: str, reply: bytes) -> None:
        headers = {**XML, "Idempotency-Key": request_identifier}
        path = "/authorization-replies"
        response = self._channel.call("POST", path, headers, reply, request_identifier)
        if response.status_code not in (200, 202):
            raise self._channel.failure(response)

    def _incoming(self, entry: object) -> Incoming:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) for k in ("id", "type", "url")
        ):
            raise ProtocolError("message de la boîte mal décrit", code="body_incomplete")
        path = urllib.parse.urlsplit(entry["url"]).path.split(API_ROOT, 1)[-1]
        response = self._channel.call("GET", path, {"Accept": "application/xml"}, None, entry["id"])
        if response.status_code != 200:
            raise self._channel.failure(response)
        return Incoming(entry["id"], entry["type"], response.content)

    def _get(self, kind: ExchangeKind, message_identifier: str, what: str) -> httpx.Response:
        path = f"/{kind}/{_quoted(message_identifier)}/{what}"
        return self._channel.call("GET", path, {}, None, message_identifier)


def _reasons(issues: object) -> tuple[str, ...]:
    """Each issue's message, whatever shape a proxy or a newer repository gives them."""
    if not isinstance(issues, list):
        return ()
    return tuple(str(i.get("message", i)) if isinstance(i, dict) else str(i) for i in issues)


def _quoted(identifier: str) -> str:
    return urllib.parse.quote(identifier, safe="")
