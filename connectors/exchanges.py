"""The optional capabilities of a connector beyond the transfer: communication
(`ArchiveDeliveryRequest` → reply and DIP) and restitution (`ArchiveRestitutionRequest` → reply
and package, then the producer's `Acknowledgement` once every digest is verified).

The repository's own messages to the producer — the `AuthorizationOriginatingAgencyRequest`
it sends before eliminating, the `ArchiveModificationNotification` of a change — wait in a
mailbox the GED reads (`Exchanges.mailbox`); the producer's answer goes back with
`answer_authorization`.

A connector that has them exposes an `exchanges` attribute following `Exchanges`
(`exchanges_of`); the others have none, and `OFFERED`/`WITHOUT` say so for `connectors list`
rather than pretending. The HTTP contract of our repository's side: docs/exchanges.md.

A package received (DIP or restitution) is verified before it is kept (`verify_package`): its
`manifest.xml` is the reply to our request, every object it describes is in the zip with its
digest and size, no member is left undescribed (``seda.package_checks``); a package that fails is
deleted whole and refused (`PackageRejected`, every reason listed).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from connectors.base import ConnectorError, NotReady, ProtocolError
from seda.communication import ArchiveDeliveryRequestReply
from seda.errors import SedaError
from seda.issues import Severity
from seda.messages import parse_message
from seda.model import BinaryDataObject, DataObjectPackage
from seda.package import open_package
from seda.package_checks import PackageChecker
from seda.restitution import ArchiveRestitutionRequestReply
from seda.scan import BinaryRecord

GRANTED = "000"  # ReplyCode of a request granted (SEDA code list, as for transfers)
MANIFEST = "manifest.xml"


class ExchangeKind(StrEnum):
    DELIVERY = "deliveries"  # the path of its resource (docs/exchanges.md)
    RESTITUTION = "restitutions"

    @property
    def label_fr(self) -> str:
        return "communication" if self is ExchangeKind.DELIVERY else "restitution"


# which exchanges each connector kind has, and why the others have none
OFFERED: dict[str, tuple[ExchangeKind, ...]] = {
    "sae_http": (ExchangeKind.DELIVERY, ExchangeKind.RESTITUTION),
}
WITHOUT = {
    "vitam": "l'export de DIP de Vitam passe par sa propre API (requête DSL), pas par un "
    "ArchiveDeliveryRequest",
    "asalae": "la communication se traite à la main dans As@lae",
}
TRANSFERS_ONLY = "ce connecteur ne porte que les versements"

Reply = ArchiveDeliveryRequestReply | ArchiveRestitutionRequestReply


class PackageRejected(ConnectorError):
    """The package received does not match the reply that describes it: nothing is kept."""

    code = "package_rejected"

    def __init__(self, message: str, *, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.reasons = reasons


@dataclass(frozen=True)
class ExchangeReply:
    """The repository's reply to a request, read; `raw` kept verbatim for the record."""

    message: Reply
    raw: bytes

    @property
    def granted(self) -> bool:
        return self.message.reply_code == GRANTED


@runtime_checkable
class Exchanges(Protocol):
    """What the GED asks of a repository that has communication and restitution."""

    def request(self, kind: ExchangeKind, message_identifier: str, message: bytes) -> None:
        """Send the request (idempotent by its MessageIdentifier); raises a `ConnectorError`."""
        ...

    def reply(self, kind: ExchangeKind, message_identifier: str) -> ExchangeReply | NotReady:
        """The reply once given, else how long to wait."""
        ...

    def fetch_package(self, kind: ExchangeKind, message_identifier: str, dest: Path) -> Reply:
        """The granted package written to `dest` and verified (`verify_package`)."""
        ...

    def acknowledge(self, kind: ExchangeKind, message_identifier: str, receipt: bytes) -> None:
        """Send the Acknowledgement of the reply (restitution: only after verifying)."""
        ...

    def mailbox(self, after: str | None) -> Mailbox:
        """What the repository has to say to the producer, oldest first, from ``after``."""
        ...

    def answer_authorization(self, request_identifier: str, reply: bytes) -> None:
        """Send the producer's AuthorizationOriginatingAgencyRequestReply."""
        ...


@dataclass(frozen=True)
class Incoming:
    """One message of the repository to the producer: an authorization request before an
    elimination, or a modification notice; ``raw`` as received."""

    remote_id: str
    message_type: str
    raw: bytes


@dataclass(frozen=True)
class Mailbox:
    messages: tuple[Incoming, ...]
    next: str | None  # the cursor to ask from next time; None: nothing further


def exchanges_of(connector: object) -> Exchanges | None:
    found = getattr(connector, "exchanges", None)
    return found if isinstance(found, Exchanges) else None


def offered(kind: str) -> str:
    """What `connectors list` says of a connector kind's exchanges, in French."""
    kinds = OFFERED.get(kind)
    if kinds:
        return "échanges : versement, " + ", ".join(k.label_fr for k in kinds)
    why = WITHOUT.get(kind, TRANSFERS_ONLY)
    return f"échanges : versement seulement ({why})"


def read_reply(data: bytes, message_identifier: str) -> Reply:
    """The delivery or restitution reply to our request; anything else is a `ProtocolError`."""
    try:
        _, message = parse_message(data)
    except SedaError as exc:
        raise ProtocolError(f"réponse SEDA illisible : {exc}", code="reply_unreadable") from exc
    if not isinstance(message, ArchiveDeliveryRequestReply | ArchiveRestitutionRequestReply):
        raise ProtocolError(f"{type(message).__name__} reçu", code="reply_unexpected")
    if message.request_identifier != message_identifier:
        raise ProtocolError(
            f"la réponse concerne la demande {message.request_identifier}, pas "
            f"{message_identifier}",
            code="reply_mismatch",
        )
    return message


def verify_package(path: Path, message_identifier: str) -> Reply:
    """The reply the package at `path` carries, once every object is verified; the file is
    deleted and `PackageRejected` raised at the first package that does not match."""
    try:
        with open_package(path) as package:
            if MANIFEST not in package.entries:
                raise PackageRejected(f"paquet sans {MANIFEST}", reasons=("manifest_missing",))
            with package.open(MANIFEST) as stream:
                reply = read_reply(stream.read(), message_identifier)
            checker = PackageChecker(package, size_mismatch=Severity.ERROR)
            for record in _records(reply.package):
                checker.check(record)
            errors = [i for i in checker.finish() if i.severity is Severity.ERROR]
    except (SedaError, ConnectorError) as exc:
        _discard(path)
        if isinstance(exc, PackageRejected):
            raise
        raise PackageRejected(f"paquet refusé : {exc}", reasons=(f"{exc.code} : {exc}",)) from exc
    if errors:
        _discard(path)
        reasons = tuple(f"{i.code} : {i.message}" for i in errors)
        raise PackageRejected(
            f"paquet refusé, {len(errors)} objet(s) non conforme(s) à la réponse", reasons=reasons
        )
    return reply


def _records(package: DataObjectPackage | None) -> list[BinaryRecord]:
    if package is None:
        return []
    binaries = [o for g in package.groups for o in g.objects if isinstance(o, BinaryDataObject)]
    return [
        BinaryRecord(o.id, o.uri, o.digest_algorithm, o.message_digest, o.size, None)
        for o in binaries
    ]


def _discard(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
