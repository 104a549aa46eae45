"""Ports the services depend on; adapters in ``ged.adapters`` implement them.

Exceptions are declared beside the interface they belong to. The blob store port is the
kernel's (``kernel.blobstore.ports``), shared with the archival repository, as is the renderer of
previews (``kernel.sandbox.preview.PageRenderer``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ged.domain.model import Damage
from ged.domain.signatures import SignatureCheck
from kernel.errors import ConflictError
from kernel.oplog import LogEntry, LogSpec
from kernel.paging import Page

if TYPE_CHECKING:
    from ged.services.access_repository import AccessRepository
    from ged.services.account_repository import AccountRepository
    from ged.services.fixity import FixityRepository
    from ged.services.inbound.repository import InboundRepository
    from ged.services.incoming_ports import IncomingRepository
    from ged.services.lifecycle_repository import LifecycleRepository
    from ged.services.relations import RelationRepository
    from ged.services.repository import Repository
    from ged.services.signatures import SignatureRepository
    from ged.services.webhook_repository import WebhookRepository


class ContentCorrupted(ConflictError):
    """The stored bytes of a version are missing or differ from its recorded digests: they are
    never served (a retry cannot help until the content is repaired)."""

    code = "content_corrupted"
    title = "Contenu endommagé dans le stockage"

    @classmethod
    def of(cls, damage: Damage, sha256: str) -> ContentCorrupted:
        found = {
            Damage.MISSING: "est absent du stockage",
            Damage.ALTERED: "ne correspond plus aux empreintes enregistrées au dépôt",
        }[damage]
        return cls(
            f"Le contenu de cette version {found} : il n'est pas servi tant qu'il n'a pas été "
            "réparé (gedsae audit, depuis la réplique)",
            sha256=sha256,
            damage=damage.value,
        )


# -- format identification and text extraction ---------------------------------------------
@dataclass(frozen=True)
class FormatFacts:
    """What format identification says of a file (PRONOM identifier and MIME type)."""

    puid: str | None
    format_name: str
    mime_type: str


@dataclass(frozen=True)
class EmbeddedFile:
    """A file carried inside another (an e-mail's attachment), decoded into the ``parts`` file
    given to the extractor: ``size`` bytes from ``offset``."""

    filename: str
    mime_type: str
    offset: int
    size: int


@dataclass(frozen=True)
class ExtractedText:
    status: str  # done | failed | unsupported
    text: str
    error: str | None = None
    attachments: tuple[EmbeddedFile, ...] = ()


class FormatIdentifier(Protocol):
    """``filename`` is the original name: blobs have no extension, and some formats differ only
    by it (CSV and plain text)."""

    def __call__(self, path: Path, *, filename: str | None = None) -> FormatFacts: ...


class TextExtractor(Protocol):
    """``parts``: an empty file where the attachments of a message are written, when the
    caller wants them (``ExtractedText.attachments`` then says where each one is)."""

    def __call__(
        self, path: Path, mime_type: str | None, *, parts: Path | None = None
    ) -> ExtractedText: ...


# Batch forms, for many files at once: one call into Siegfried for many files (each with its
# original name, as ``FormatIdentifier`` takes it); extraction with every sandbox worker busy.
# Results come in the order given.
BatchIdentifier = Callable[[Sequence[tuple[Path, str | None]]], Sequence[FormatFacts]]
BatchExtractor = Callable[[Iterable[tuple[Path, str | None]]], Iterable[ExtractedText]]


LocalCopy = Callable[[str], AbstractContextManager[Path]]
# An empty private temporary file, removed when the context exits (a message's parts).
Scratch = Callable[[], AbstractContextManager[Path]]


# -- signatures ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrustAnchors:
    """The certificates (DER) an organisation trusts as roots, and their set's fingerprint."""

    certificates: tuple[bytes, ...] = ()
    fingerprint: str = ""


class SignatureVerifier(Protocol):
    """The signatures of a file: ``kind`` is ``pdf``, ``xml`` or ``p7s`` (then ``content`` is
    the signed document), judged against ``anchors`` at ``moment``. Never raises for anything
    the files do: a verification that cannot end is an indeterminate check."""

    def __call__(
        self,
        kind: str,
        path: Path,
        anchors: TrustAnchors,
        moment: datetime,
        content: Path | None = None,
    ) -> list[SignatureCheck]: ...


# -- persistence -----------------------------------------------------------------------------
class UnitOfWork(Protocol):
    """One transaction: ``repo`` reads and writes, ``log`` appends to the operation log in the
    same transaction, nothing is kept unless ``commit`` is called."""

    @property
    def repo(self) -> Repository: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(self, *exc: object) -> None: ...

    def commit(self) -> None: ...

    def log(
        self,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        organisation_id: str | None,
        details: dict[str, Any] | None = None,
    ) -> LogEntry: ...

    def log_many(self, specs: list[LogSpec]) -> list[LogEntry]: ...

    def iter_log(self) -> Iterator[LogEntry]: ...

    @property
    def access(self) -> AccessRepository:
        """Role grants (who granted each role, and when)."""
        ...

    @property
    def accounts(self) -> AccountRepository:
        """People's accounts, their OpenID Connect identities and their web sessions."""
        ...

    @property
    def lifecycle(self) -> LifecycleRepository:
        """Retention rules, bindings, holds, lifecycle states and eliminations."""
        ...

    @property
    def webhooks(self) -> WebhookRepository:
        """Webhooks of the business applications and their queue of deliveries."""
        ...

    @property
    def transfers(self) -> TransferRepository:
        """Transfers to an archival repository, their state and the replies they got."""
        ...

    @property
    def incoming(self) -> IncomingRepository:
        """What the archival repository said to the producer (authorizations, notices)."""
        ...

    @property
    def relations(self) -> RelationRepository:
        """Relations between documents (attachments, detached signatures)."""
        ...

    @property
    def signatures(self) -> SignatureRepository:
        """The last signature report of each version."""
        ...

    @property
    def fixity(self) -> FixityRepository:
        """The recorded blobs stored copies are checked against, and their damage."""
        ...

    @property
    def inbound(self) -> InboundRepository:
        """Imports from the business systems: records, circuit histories, links."""
        ...


# -- transfers to an archival repository ------------------------------------------------------
class TransferState(StrEnum):
    PREPARED = "prepared"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted_with_warnings"
    REJECTED = "rejected"
    ERROR_SENDING = "error_sending"
    ERROR_POLLING = "error_polling"
    ERROR_REPLY = "error_reply"


# the repository accepted the transfer, in a reply the transfer loop verified
POSITIVE_TRANSFER_STATES = frozenset({TransferState.ACCEPTED, TransferState.ACCEPTED_WITH_WARNINGS})


@dataclass(frozen=True)
class TransferRecord:
    """One transfer as persisted: what was sent, where, how it stands and everything heard.

    ``outcome`` is the normalised reply (archive identifiers and events) once one arrived;
    ``history`` the connector's exchanges, secrets already redacted by the connector.
    """

    message_identifier: str
    organisation_id: str
    dossiers: tuple[str, ...]
    connector: str
    transferring_agency: str
    state: TransferState
    sip_path: str
    sip_sha256: str
    created_at: datetime
    updated_at: datetime
    created_by: str
    acknowledged: bool = False
    remote_reference: str | None = None
    locators: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error_code: str | None = None
    last_error_message: str | None = None
    reasons: tuple[str, ...] = ()
    outcome: dict[str, Any] | None = None
    history: tuple[dict[str, Any], ...] = ()
    agreement: str | None = None  # the [agreements.NAME] this transfer was made under
    # the detached manifest signature and the package digest signature (base64 CMS), signer
    signature: dict[str, Any] | None = None
    give_up_at: datetime | None = None  # no reply by then: stop polling, say so
    manifest_sha256: str | None = None  # sent with every push where the remote checks it


class TransferRepository(Protocol):
    def get(self, message_identifier: str) -> TransferRecord | None: ...

    def claim(self, record: TransferRecord) -> bool:
        """Inserts the record unless its MessageIdentifier exists; says whether it inserted."""
        ...

    def save(self, record: TransferRecord) -> None: ...

    def delete(self, message_identifier: str) -> None: ...

    def listing(
        self,
        organisation_id: str,
        state: TransferState | None,
        page: Page,
        created_by: str | None = None,
    ) -> list[TransferRecord]:
        """Newest first; only those ``created_by`` one principal when given."""
        ...

    def due(self, organisation_id: str, now: datetime) -> list[TransferRecord]:
        """Transfers waiting for a retry or a poll whose time has come, oldest first."""
        ...

    def save_reply(self, message_identifier: str, data: bytes, received_at: datetime) -> None:
        """Keeps the raw reply the transfer was judged on (replacing an earlier one)."""
        ...

    def get_reply(self, message_identifier: str) -> bytes | None: ...
