"""Our repository's side of docs/exchanges.md, scripted: what it replies to a delivery or a
restitution request, the package it serves (built from real bytes, the reply as its
manifest.xml), and the receipts it is given. Shared by the connector's tests and the GED's."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from connectors.exchanges import ExchangeKind
from seda.communication import ArchiveDeliveryRequest, ArchiveDeliveryRequestReply
from seda.messages import Message, build_message, parse_message
from seda.model import (
    ArchiveUnit,
    BinaryDataObject,
    Content,
    DataObjectGroup,
    DataObjectPackage,
    ObjectReference,
)
from seda.restitution import ArchiveRestitutionRequest, ArchiveRestitutionRequestReply
from seda.versions import SedaVersion

TOKEN = "jeton-des-echanges"
ARCHIVAL_AGENCY = "FR_AD_35"
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SINGULAR = {ExchangeKind.DELIVERY: "delivery", ExchangeKind.RESTITUTION: "restitution"}
FILES = {"content/BDO_1.pdf": b"%PDF-1.7 deliberation", "content/BDO_2.txt": b"registre 1923"}


def problem(status: int, code: str) -> httpx.Response:
    return httpx.Response(status, json={"status": status, "code": code, "title": code})


def package_of(files: dict[str, bytes], units: tuple[str, ...]) -> DataObjectPackage:
    """One unit per file, each object with its SHA-512 and size, as the repository holds it."""
    groups, described = [], []
    for n, (uri, data) in enumerate(files.items(), start=1):
        digest = hashlib.sha512(data).hexdigest()
        groups.append(
            DataObjectGroup(
                f"GOT_{n}", (BinaryDataObject(f"BDO_{n}", uri, digest, size=len(data)),)
            )
        )
        described.append(
            ArchiveUnit(
                f"AU_{n}",
                Content(
                    "Item", (uri.rsplit("/", 1)[-1],), system_ids=(units[(n - 1) % len(units)],)
                ),
                object_references=(ObjectReference(data_object_group_reference_id=f"GOT_{n}"),),
            )
        )
    return DataObjectPackage(tuple(groups), tuple(described))


@dataclass
class Pending:
    kind: ExchangeKind
    request: bytes
    reply: bytes | None = None
    package: bytes | None = None
    receipts: list[bytes] = field(default_factory=list)


@dataclass
class ExchangeRepository:
    """The remote: requests by MessageIdentifier, replies and packages scripted per test."""

    version: SedaVersion = SedaVersion.V2_2
    pending: dict[str, Pending] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    retry_after: str = "120"
    mailbox: list[tuple[str, bytes]] = field(default_factory=list)  # (type, message)
    authorization_replies: list[bytes] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return problem(401, "unauthenticated")
        parts = request.url.path.removeprefix("/api/v1/sae/").split("/")
        if parts[0] in ("messages", "authorization-replies"):
            return self._mailbox(request, parts)
        kind = ExchangeKind(parts[0])
        if request.method == "POST" and len(parts) == 1:
            return self._received(kind, request)
        found = self.pending.get(parts[1])
        if found is None or found.kind is not kind:
            return problem(404, f"{SINGULAR[kind]}_not_found")
        return self._document(found, parts[2], request)

    def _mailbox(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        """Two messages a page, the cursor being the last id given."""
        if parts[0] == "authorization-replies":
            self.authorization_replies.append(request.content)
            return httpx.Response(202, json={"status": "recorded"})
        if len(parts) == 2:
            return httpx.Response(200, content=self.mailbox[int(parts[1])][1])
        after = int(request.url.params.get("after", "-1"))
        shown = [
            {"id": str(n), "type": kind, "url": f"https://sae.test/api/v1/sae/messages/{n}"}
            for n, (kind, _) in enumerate(self.mailbox)
            if n > after
        ][:2]
        more = shown and int(shown[-1]["id"]) < len(self.mailbox) - 1
        return httpx.Response(
            200, json={"messages": shown, **({"next": shown[-1]["id"]} if more else {})}
        )

    def post(self, message: Message) -> None:
        """The repository puts one of its messages in the producer's mailbox."""
        self.mailbox.append((type(message).__name__, build_message(self.version, message)))

    def _received(self, kind: ExchangeKind, request: httpx.Request) -> httpx.Response:
        _, message = parse_message(request.content)
        mid = message.message_identifier
        assert request.headers["Idempotency-Key"] == mid
        known = mid in self.pending
        self.pending.setdefault(mid, Pending(kind, request.content))
        return httpx.Response(200 if known else 202, json={"id": mid})

    def _document(self, found: Pending, what: str, request: httpx.Request) -> httpx.Response:
        if what == "reply":
            if found.reply is None:
                return httpx.Response(
                    404, json={"code": "reply_not_ready"}, headers={"Retry-After": self.retry_after}
                )
            return httpx.Response(200, content=found.reply)
        if what == "receipt":
            found.receipts.append(request.content)
            return httpx.Response(200, json={"status": "acknowledged"})
        if found.package is None:
            return problem(409, f"{SINGULAR[found.kind]}_refused")
        return httpx.Response(
            200, content=found.package, headers={"Content-Type": "application/zip"}
        )

    def grant(
        self, mid: str, files: dict[str, bytes] = FILES, *, served: dict[str, bytes] | None = None
    ) -> bytes:
        """The reply granting `mid`, describing `files`; the package serves `served` (default
        the same files) beside it, the reply as its manifest.xml. Returns the reply."""
        found = self.pending[mid]
        request = _request(found)
        reply = self._reply(request, "000", package_of(files, request.unit_identifiers))
        found.reply = reply
        found.package = zipped({"manifest.xml": reply, **(files if served is None else served)})
        return reply

    def refuse(self, mid: str, comment: str) -> bytes:
        found = self.pending[mid]
        found.reply = self._reply(_request(found), "300", None, (comment,))
        return found.reply

    def _reply(
        self,
        request: Request,
        code: str,
        package: DataObjectPackage | None,
        comments: tuple[str, ...] = (),
    ) -> bytes:
        mid, units = request.message_identifier, request.unit_identifiers
        reply: ArchiveDeliveryRequestReply | ArchiveRestitutionRequestReply
        if isinstance(request, ArchiveDeliveryRequest):
            reply = ArchiveDeliveryRequestReply(
                f"{mid}-R", WHEN, mid, ARCHIVAL_AGENCY, request.requester, units, code,
                comments=comments, package=package,
            )  # fmt: skip
        else:
            reply = ArchiveRestitutionRequestReply(
                f"{mid}-R", WHEN, mid, ARCHIVAL_AGENCY, request.originating_agency, units, code,
                comments, package=package,
            )  # fmt: skip
        return build_message(self.version, reply)


Request = ArchiveDeliveryRequest | ArchiveRestitutionRequest


def _request(found: Pending) -> Request:
    _, message = parse_message(found.request)
    assert isinstance(message, ArchiveDeliveryRequest | ArchiveRestitutionRequest)
    return message


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
