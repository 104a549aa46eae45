"""Ports of the archival repository: one small repository per aggregate, and a unit of work.

The use cases (``sae.ingest``, ``sae.review``, ``sae.journal``, ``sae.catalogue``,
``sae.storage``) receive these interfaces; ``sae.adapters.sqlite`` implements them on the
standard library's ``sqlite3``, and another database can implement them too. The invariant a
unit of work keeps: a change and its entry in the operation log are committed in ONE
transaction, or neither is (NF Z42-013: no decision without its log entry, no log entry without
its decision). Exceptions are declared beside the interface that raises them; another
organisation's transfer or archive is "not found", exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from kernel.accounts.model import Account
from kernel.accounts.ports import AccountStore
from kernel.blobstore.ports import BlobNotFound, ContentRef, DigestMismatch
from kernel.errors import ConflictError, NotFoundError
from kernel.oplog import LogEntry, LogSpec
from kernel.paging import Page
from sae.model import (
    ArchiveDetail,
    ArchivedObject,
    ArchivePage,
    ArchiveQuery,
    CatalogueObject,
    CheckOutcome,
    DecisionRecord,
    Description,
    Person,
    SealedCheckpoint,
    StoredObject,
    Transfer,
    TransferState,
)


class TransferNotFound(NotFoundError):
    """Unknown, or belonging to another organisation: the two are never told apart."""

    code = "transfer_not_found"
    title = "Transfert introuvable"


class TransferAlreadyDecided(ConflictError):
    code = "transfer_already_decided"
    title = "Transfert déjà traité"


class ArchiveNotFound(NotFoundError):
    """Unknown, or kept for another organisation: the two are never told apart."""

    code = "archive_not_found"
    title = "Archive introuvable"


class ArchiveObjectNotFound(NotFoundError):
    code = "archive_object_not_found"
    title = "Objet introuvable dans cette archive"


class ObjectNotRegistered(BlobNotFound):
    code = "object_not_registered"
    title = "Objet inconnu du registre des empreintes"


class RegisteredDigestsDiffer(DigestMismatch):
    """The registry already holds other SHA-512/size for this SHA-256 (never overwritten)."""

    code = "registered_digests_differ"
    title = "Empreintes différentes de celles déjà enregistrées"


class TransferRepository(Protocol):
    """Transfers and the objects their acceptance archived. Every state move is conditional on
    the state before it, so that two archivists deciding at once cannot both win."""

    def add(self, transfer: Transfer) -> bool:
        """Records a received transfer; False if its MessageIdentifier is already known."""
        ...

    def get(self, organisation: str, transfer_id: str) -> Transfer:
        """``TransferNotFound`` when unknown or another organisation's."""
        ...

    def find_by_message(self, organisation: str, message_identifier: str) -> Transfer | None: ...

    def in_state(
        self, organisation: str, state: TransferState, page: Page | None = None
    ) -> list[Transfer]:
        """The organisation's transfers in ``state``, oldest first: all of them, or one page."""
        ...

    def every_in_state(self, state: TransferState) -> list[Transfer]:
        """The transfers of every organisation in ``state`` (crash recovery only)."""
        ...

    def record_checks(self, transfer_id: str, outcome: CheckOutcome) -> None:
        """received → checked with every issue; ``TransferAlreadyDecided`` if not received."""
        ...

    def move(self, transfer_id: str, before: TransferState, after: TransferState) -> None:
        """``TransferAlreadyDecided`` when the transfer is no longer ``before``."""
        ...

    def decide(
        self, transfer_id: str, before: TransferState, after: TransferState, record: DecisionRecord
    ) -> None:
        """The decision, its reply and the archived objects; ``TransferAlreadyDecided`` when the
        transfer is no longer ``before``."""
        ...

    def objects(self, transfer_id: str) -> list[ArchivedObject]: ...


class OperationLog(Protocol):
    """The hash-chained log (``kernel.oplog``), appended in the transaction of its change."""

    def append(self, spec: LogSpec, *, at: datetime | None = None) -> LogEntry:
        """Chains one entry after the head; nothing is committed until the unit of work is."""
        ...

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last entry; ``(0, GENESIS)`` for an empty log."""
        ...

    def entries(self, after: int = 0) -> Iterator[LogEntry]:
        """Entries in ``seq`` order, read one at a time (the log is never loaded whole)."""
        ...

    def entry_at(self, seq: int) -> LogEntry | None: ...


class CheckpointIndex(Protocol):
    """Where the sealed checkpoints are listed (an index only: the signed JSON is on the
    offers, and verification reads that)."""

    def recorded(self) -> list[SealedCheckpoint]:
        """Oldest first."""
        ...

    def latest(self) -> SealedCheckpoint | None: ...

    def add(self, sealed: SealedCheckpoint) -> None: ...


class CatalogueRepository(Protocol):
    """What acceptances recorded; searches never leave the organisation."""

    def record(self, description: Description) -> None: ...

    def search(self, query: ArchiveQuery) -> ArchivePage: ...

    def detail(self, organisation: str, archive_id: str) -> ArchiveDetail:
        """The unit, its children in SIP order and its objects; ``ArchiveNotFound``."""
        ...

    def object(self, organisation: str, archive_id: str, object_id: str) -> CatalogueObject:
        """An object the unit references; ``ArchiveObjectNotFound`` otherwise."""
        ...


class PeopleRepository(AccountStore, Protocol):
    """People who log in to the pages: their person (organisation, role) and account, and the
    kernel's ``AccountStore`` (accounts by login or e-mail, OpenID Connect identities, web
    sessions) that the login flows of ``kernel.accounts.login`` use. A login is unique on the
    whole repository; an account is never deleted (``Account.disabled_at``), so that the
    journal's actors stay people one can name.

    What an implementation keeps: the person's fields, the account's fields (its password hash
    only, never a password), the (issuer, subject) of each linked identity, and the sessions
    by the SHA-256 of their cookie's id (``WebSession``) with the messages waiting for the next
    page."""

    def add(self, person: Person, account: Account) -> None:
        """``LoginExists`` (``kernel.accounts.model``) when the login is taken."""
        ...

    def person(self, principal_id: str) -> Person | None: ...

    def revoke_sessions_of(self, principal_id: str, at: datetime) -> int:
        """Ends every open session of a person (an account disabled); how many were open."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the repository's database; nothing is kept unless ``commit`` is
    called. A writing unit takes the write lock first, so what it reads cannot go stale."""

    @property
    def transfers(self) -> TransferRepository: ...

    @property
    def log(self) -> OperationLog: ...

    @property
    def checkpoints(self) -> CheckpointIndex: ...

    @property
    def catalogue(self) -> CatalogueRepository: ...

    @property
    def people(self) -> PeopleRepository: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class Database(Protocol):
    """The repository's database: transfers, log, checkpoints, catalogue and people."""

    @property
    def name(self) -> str:
        """The same for every handle on one database (its file, its URL)."""
        ...

    def unit_of_work(self) -> UnitOfWork:
        """A writing transaction."""
        ...

    def reading(self) -> UnitOfWork:
        """Reads only; a reader never waits for a writer."""
        ...


class DigestRegistry(Protocol):
    """The reference digests of the storage offers, kept apart from the objects so that
    altering a copy cannot alter what it is checked against (NF Z42-013 / ISO 14641 §5). A
    SHA-256 registered once never takes other digests."""

    def record(self, ref: ContentRef) -> StoredObject:
        """Registers the object (idempotent); ``RegisteredDigestsDiffer`` on other digests."""
        ...

    def record_many(self, refs: Sequence[ContentRef]) -> list[StoredObject]:
        """Registers every object in ONE transaction, in order; none if any digests differ."""
        ...

    def find(self, object_id: str) -> StoredObject | None: ...

    def iter_objects(self) -> Iterator[StoredObject]: ...

    def quarantine(self, object_id: str, reason: str) -> None: ...

    def release(self, object_id: str) -> None:
        """Lifts a quarantine once verified copies are back on every offer."""
        ...
