"""Ports of the archival repository: one small repository per aggregate, and a unit of work.

The use cases (``sae.ingest``, ``sae.review``, ``sae.journal``, ``sae.catalogue``,
``sae.storage``, ``sae.tenancy``) receive these interfaces; ``sae.adapters.db`` implements them
with SQLAlchemy Core on SQLite and PostgreSQL. The invariant a unit of work keeps: a change and
its entry in the operation log are committed in ONE transaction, or neither is (NF Z42-013: no
decision without its log entry, no log entry without its decision).

A unit of work belongs to ONE tenant, named when it is opened: every repository it hands out
reads and writes that tenant's rows only (and on PostgreSQL, row-level security holds the
transaction to that tenant too). Another tenant's transfer, archive or entry is therefore "not
found", exactly like a missing one. Only the platform's unit of work (``Database.platform``)
sees the tenants themselves, never what they hold. Exceptions are declared beside the
interface that raises them.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol

from kernel.accounts.model import Account
from kernel.accounts.ports import AccountStore
from kernel.blobstore.ports import BlobNotFound, ContentRef, DigestMismatch
from kernel.errors import ConflictError, NotFoundError
from kernel.oplog import LogEntry, LogSpec
from kernel.paging import Page
from sae.model import (
    AccessRecord,
    ArchivalAgreement,
    ArchiveDetail,
    ArchivedObject,
    ArchivePage,
    ArchiveQuery,
    CatalogueObject,
    CatalogueUnit,
    CheckOutcome,
    Decision,
    DecisionRecord,
    Delivery,
    Derogation,
    Description,
    Elimination,
    FileKind,
    MailboxMessage,
    Person,
    Restitution,
    SealedCheckpoint,
    SpooledObject,
    StoredObject,
    Tenant,
    TenantFile,
    TokenRecord,
    Tombstone,
    Transfer,
    TransferState,
)
from seda.idindex import IdIndex
from seda.model import ObjectReference


class TenantNotFound(NotFoundError):
    code = "tenant_not_found"
    title = "Locataire (service d'archives) introuvable"


class TenantAlreadyExists(ConflictError):
    code = "tenant_already_exists"
    title = "Ce locataire existe déjà"


class StoragePrefixTaken(ConflictError):
    code = "storage_prefix_taken"
    title = "Préfixe de stockage déjà attribué à un autre locataire"


class TokenNotFound(NotFoundError):
    code = "token_not_found"
    title = "Jeton introuvable"


class TokenAlreadyRevoked(ConflictError):
    code = "token_already_revoked"
    title = "Jeton déjà révoqué"


class AgreementNotFound(NotFoundError):
    code = "agreement_not_found"
    title = "Accord de versement introuvable"


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
    """The tenant's transfers and the objects their acceptance archived. Every state move is
    conditional on the state before it, so that two archivists deciding at once cannot both win."""

    def add(self, transfer: Transfer) -> bool:
        """Records a received transfer; False if its MessageIdentifier is already known."""
        ...

    def get(self, transfer_id: str) -> Transfer:
        """``TransferNotFound`` when unknown (or another tenant's)."""
        ...

    def reply(self, transfer_id: str) -> bytes | None:
        """The ArchiveTransferReply written by the decision, None before it."""
        ...

    def find_by_message(self, message_identifier: str) -> Transfer | None: ...

    def in_state(self, state: TransferState, page: Page | None = None) -> list[Transfer]:
        """The tenant's transfers in ``state``, oldest first: all of them, or one page."""
        ...

    def record_checks(self, transfer_id: str, outcome: CheckOutcome) -> None:
        """received → checked with every issue; ``TransferAlreadyDecided`` if not received."""
        ...

    def move(self, transfer_id: str, before: TransferState, after: TransferState) -> None:
        """``TransferAlreadyDecided`` when the transfer is no longer ``before``."""
        ...

    def claim(self, transfer_id: str, decision: Decision) -> None:
        """awaiting_review → accepting, the archivist and comment recorded with the claim (the
        archive is written after, possibly by a worker); ``TransferAlreadyDecided`` otherwise."""
        ...

    def unclaim(self, transfer_id: str) -> None:
        """accepting → awaiting_review, the claim's archivist and comment removed (an
        acceptance that failed leaves no half-recorded decision)."""
        ...

    def decide(
        self, transfer_id: str, before: TransferState, after: TransferState, record: DecisionRecord
    ) -> None:
        """The decision, its reply and the archived objects; ``TransferAlreadyDecided`` when the
        transfer is no longer ``before``."""
        ...

    def add_objects(self, objects: Sequence[ArchivedObject]) -> None:
        """More archived objects of an acceptance (by batches), in its unit of work."""
        ...

    def objects(self, transfer_id: str) -> list[ArchivedObject]: ...


class OperationLog(Protocol):
    """The tenant's hash-chained log (``kernel.oplog``), appended in the transaction of its
    change. One chain per tenant: see ``sae.journal.log``."""

    def append(self, spec: LogSpec, *, at: datetime | None = None) -> LogEntry:
        """Chains one entry after the head; nothing is committed until the unit of work is.
        Refused in a reading unit of work."""
        ...

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last entry; ``(0, GENESIS)`` for an empty log."""
        ...

    def entries(self, after: int = 0) -> Iterator[LogEntry]:
        """Entries in ``seq`` order, read one at a time (the log is never loaded whole)."""
        ...

    def entry_at(self, seq: int) -> LogEntry | None: ...

    def entry(self, entry_hash: str) -> LogEntry | None:
        """The entry whose hash is ``entry_hash``: an entry's identifier outside the log."""
        ...

    def with_action(self, action: str, page: Page) -> list[LogEntry]:
        """Entries of one action, latest first (the audits, the seals)."""
        ...


class CheckpointIndex(Protocol):
    """Where the tenant's sealed checkpoints are listed (an index only: the signed JSON is on
    the offers, and verification reads that)."""

    def recorded(self) -> list[SealedCheckpoint]:
        """Oldest first."""
        ...

    def latest(self) -> SealedCheckpoint | None: ...

    def add(self, sealed: SealedCheckpoint) -> None: ...


class CatalogueRepository(Protocol):
    """What the tenant's acceptances recorded; searches never leave the tenant."""

    def record(self, description: Description) -> None: ...

    def search(self, query: ArchiveQuery) -> ArchivePage: ...

    def detail(self, archive_id: str) -> ArchiveDetail:
        """The unit, its children in SIP order and its objects; ``ArchiveNotFound``."""
        ...

    def amend(self, unit: CatalogueUnit) -> None:
        """The unit's title, description and rules replaced by ``unit``'s (re-indexed)."""
        ...

    def units(self) -> Iterator[CatalogueUnit]:
        """Every unit of the tenant, in catalogue order."""
        ...

    def remove(self, archive_ids: Sequence[str]) -> set[str]:
        """Deletes these units, their links and the objects no unit links any more; the
        SHA-256 of the objects no object row of the tenant holds any more."""
        ...

    def object(self, archive_id: str, object_id: str) -> CatalogueObject:
        """An object the unit references; ``ArchiveObjectNotFound`` otherwise."""
        ...

    def transfers_holding(self, sha256: str) -> list[str]:
        """The transfers whose catalogued objects have this content (none: an orphan)."""
        ...


class TokenRepository(Protocol):
    """Bearer tokens of the unit of work's scope: one tenant's, or the platform's."""

    def add(self, token: TokenRecord) -> None: ...

    def listing(self) -> list[TokenRecord]:
        """Oldest first."""
        ...

    def revoke(self, token_id: str, at: datetime) -> TokenRecord:
        """``TokenNotFound``, ``TokenAlreadyRevoked``; the revoked record otherwise."""
        ...


class TenantSetupRepository(Protocol):
    """What a tenant's transfers are checked against: its agreements and its imported files
    (referentials, trust anchors, archival profiles)."""

    def agreements(self) -> dict[str, ArchivalAgreement]: ...

    def put_agreement(self, identifier: str, agreement: ArchivalAgreement) -> None:
        """Adds the agreement, or replaces the one of that identifier."""
        ...

    def remove_agreement(self, identifier: str) -> None:
        """``AgreementNotFound`` when the tenant has none of that identifier."""
        ...

    def files(self) -> list[TenantFile]: ...

    def file(self, kind: FileKind, name: str = "") -> TenantFile | None: ...

    def put_file(self, file: TenantFile) -> None:
        """Adds the file, or replaces the one of that kind and name."""
        ...


class PeopleRepository(AccountStore, Protocol):
    """People who log in to the pages: their person (organisation, role) and account, and the
    kernel's ``AccountStore`` (accounts by login or e-mail, OpenID Connect identities, web
    sessions) that the login flows of ``kernel.accounts.login`` use, all of the unit of work's
    tenant: a login is unique within its tenant, and a person's changes go to its log. An
    account is never deleted (``Account.disabled_at``), so that the journal's actors stay
    people one can name.

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


class DeliveryNotFound(NotFoundError):
    code = "delivery_not_found"
    title = "Demande de communication introuvable"


class DerogationNotFound(NotFoundError):
    code = "derogation_not_found"
    title = "Dérogation introuvable"


class DeliveryRepository(Protocol):
    """A tenant's delivery requests and their replies (communication, SEDA
    ``ArchiveDeliveryRequest``)."""

    def add(self, delivery: Delivery) -> None: ...

    def find(self, message_identifier: str) -> Delivery | None: ...

    def listing(self, page: Page) -> list[Delivery]:
        """Latest first."""
        ...


class DerogationRepository(Protocol):
    """Derogations to the communicability delays, given by the tenant's archivists."""

    def add(self, derogation: Derogation) -> None: ...

    def get(self, derogation_id: str) -> Derogation:
        """``DerogationNotFound`` when the tenant has none of that id."""
        ...

    def of_archives(self, archive_ids: Sequence[str]) -> list[Derogation]:
        """Every derogation given on one of these archives, withdrawn ones too."""
        ...

    def listing(self, page: Page) -> list[Derogation]:
        """Latest first."""
        ...

    def revoke(self, derogation_id: str, at: datetime) -> Derogation: ...


class RestitutionNotFound(NotFoundError):
    code = "restitution_not_found"
    title = "Demande de restitution introuvable"


class RestitutionRepository(Protocol):
    """A tenant's restitution requests, their replies and the producer's receipts."""

    def add(self, restitution: Restitution) -> None: ...

    def find(self, message_identifier: str) -> Restitution | None: ...

    def complete(self, message_identifier: str, receipt: bytes, at: datetime) -> None: ...

    def listing(self) -> list[Restitution]:
        """Latest first."""
        ...


class TombstoneRepository(Protocol):
    """What is kept of each archive deleted (restitution, elimination)."""

    def add(self, tombstones: Sequence[Tombstone]) -> None: ...

    def of(self, archive_id: str) -> Tombstone | None: ...


class EliminationNotFound(NotFoundError):
    code = "elimination_not_found"
    title = "Élimination introuvable"


class MailboxRepository(Protocol):
    """The tenant's messages to its producers, oldest first."""

    def post(self, message: MailboxMessage) -> None: ...

    def after(self, seq: int, limit: int) -> list[MailboxMessage]: ...

    def get(self, message_id: str) -> MailboxMessage | None: ...


class EliminationRepository(Protocol):
    def add(self, elimination: Elimination) -> None: ...

    def get(self, elimination_id: str) -> Elimination:
        """``EliminationNotFound`` when the tenant has none of that id."""
        ...

    def by_request(self, message_identifier: str) -> Elimination | None: ...

    def listing(self) -> list[Elimination]:
        """Latest first."""
        ...

    def update(self, elimination: Elimination) -> None: ...


class AccessRegister(Protocol):
    """Every communication and download of the tenant's archives, append-only."""

    def add(self, records: Sequence[AccessRecord]) -> None: ...

    def between(self, start: date | None, end: date | None) -> Iterator[AccessRecord]:
        """In time order, the days ``start`` to ``end`` included (open when None)."""
        ...


class UnitOfWork(Protocol):
    """One transaction over ONE tenant's part of the repository's database; nothing is kept
    unless ``commit`` is called. A writing unit takes the tenant's write lock first, so what it
    reads cannot go stale."""

    @property
    def tenant(self) -> str: ...

    @property
    def transfers(self) -> TransferRepository: ...

    @property
    def log(self) -> OperationLog: ...

    @property
    def checkpoints(self) -> CheckpointIndex: ...

    @property
    def catalogue(self) -> CatalogueRepository: ...

    @property
    def tokens(self) -> TokenRepository: ...

    @property
    def setup(self) -> TenantSetupRepository: ...

    @property
    def people(self) -> PeopleRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def derogations(self) -> DerogationRepository: ...

    @property
    def access_register(self) -> AccessRegister: ...

    @property
    def restitutions(self) -> RestitutionRepository: ...

    @property
    def tombstones(self) -> TombstoneRepository: ...

    @property
    def mailbox(self) -> MailboxRepository: ...

    @property
    def eliminations(self) -> EliminationRepository: ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class TenantDirectory(Protocol):
    """The tenants themselves (the platform's view: never what they hold)."""

    def add(self, tenant: Tenant) -> None:
        """``TenantAlreadyExists``; ``StoragePrefixTaken`` when another tenant has its prefix."""
        ...

    def get(self, identifier: str) -> Tenant:
        """``TenantNotFound``."""
        ...

    def all(self) -> list[Tenant]:
        """By identifier."""
        ...


class PlatformUnitOfWork(Protocol):
    """One transaction over what belongs to no tenant: the tenants and the platform
    administrators' tokens."""

    @property
    def tenants(self) -> TenantDirectory: ...

    @property
    def tokens(self) -> TokenRepository: ...

    def log(self, tenant: str) -> OperationLog:
        """``tenant``'s log, written in this transaction (its creation is its first entry)."""
        ...

    def __enter__(self) -> PlatformUnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


class AcceptanceSpool(Protocol):
    """One acceptance's scratch store, on disk and private (removed on ``close``): what its
    first pass stored, what its second catalogued (``sae.review.archiving``)."""

    def add_objects(self, rows: Iterable[SpooledObject]) -> None: ...

    def objects(self) -> Iterator[SpooledObject]:
        """In the order they were added."""
        ...

    def resolve(self, references: Iterable[ObjectReference]) -> tuple[str, ...]:
        """Object ids a unit references: a group gives all its objects, an object itself."""
        ...

    def digests(self) -> Iterator[tuple[str, str]]:
        """(object id, SHA-256), by object id."""
        ...

    def add_units(self, pairs: Iterable[tuple[str, str]]) -> None: ...

    def units(self) -> Iterator[tuple[str, str]]:
        """(unit id, archive identifier), in the order they were added."""
        ...

    def close(self) -> None: ...


class ObjectNames(MutableMapping[str, tuple[str, str]]):
    """Each BinaryDataObject's member and file name by id, ``(Uri, Filename)``, as the checks
    read them from the manifest (``sae.ingest.manifest``): a mapping kept on disk and private
    (removed on ``close``), so that the checks hold nothing per object in memory."""

    @abstractmethod
    def close(self) -> None: ...


class Database(Protocol):
    """The repository's database: every tenant's transfers, log, checkpoints, catalogue, tokens,
    people, setup and digest registry, and the tenants themselves."""

    @property
    def name(self) -> str:
        """The same for every handle on one database (its file, its URL without password)."""
        ...

    def unit_of_work(self, tenant: str) -> UnitOfWork:
        """A writing transaction of ``tenant``."""
        ...

    def reading(self, tenant: str) -> UnitOfWork:
        """Reads only, of ``tenant``; a reader never waits for a writer."""
        ...

    def platform(self, *, write: bool = True) -> PlatformUnitOfWork:
        """The tenants themselves and the platform's tokens (``write=False``: reads only)."""
        ...

    def registry(self, tenant: str) -> DigestRegistry:
        """The digest registry of ``tenant``'s storage (each call its own transaction)."""
        ...

    def spool(self) -> AcceptanceSpool:
        """A new scratch store for one acceptance (not this database: nothing in it lasts)."""
        ...

    def id_index(self) -> IdIndex:
        """A new scratch index of the identifiers one scan of the checks meets
        (``seda.validate.ValidationOptions.id_index``; not this database: nothing in it lasts)."""
        ...

    def object_names(self) -> ObjectNames:
        """A new scratch mapping for the checks of one package (not this database either)."""
        ...

    def token(self, digest: str) -> TokenRecord | None:
        """The token of that SHA-256, whichever tenant holds it (authentication comes before the
        tenant is known); None when unknown."""
        ...

    def session_tenant(self, id_hash: str) -> str | None:
        """The tenant of the web session of that SHA-256 (a page's request names no tenant
        before its session is found); None when unknown."""
        ...


class DigestRegistry(Protocol):
    """The reference digests of a tenant's objects on the storage offers, kept apart from the
    objects so that altering a copy cannot alter what it is checked against (NF Z42-013 /
    ISO 14641 §5). A SHA-256 registered once never takes other digests."""

    def record(self, ref: ContentRef) -> StoredObject:
        """Registers the object (idempotent); ``RegisteredDigestsDiffer`` on other digests."""
        ...

    def record_many(self, refs: Sequence[ContentRef]) -> list[StoredObject]:
        """Registers every object in ONE transaction, in order; none if any digests differ."""
        ...

    def find(self, object_id: str) -> StoredObject | None: ...

    def iter_objects(self) -> Iterator[StoredObject]: ...

    def quarantine(self, object_id: str, reason: str) -> None: ...

    def forget(self, object_ids: Sequence[str]) -> None:
        """The objects' rows removed (their archives deleted; their copies go next)."""
        ...

    def release(self, object_id: str) -> None:
        """Lifts a quarantine once verified copies are back on every offer."""
        ...


class JobQueue(Protocol):
    """Where the background work of a received transfer goes (``sae.jobs.queue``)."""

    def defer_checks(self, transfer: Transfer) -> bool:
        """True when a worker will run the transfer's checks; False: the caller runs them."""
        ...

    def defer_acceptance(self, transfer: Transfer) -> bool:
        """True when a worker will write the archive of a claimed transfer; False: the caller."""
        ...

    def close(self) -> None: ...
