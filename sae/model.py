"""The archival repository's domain model, in one place: plain classes, no I/O.

A transfer (SEDA 2.x ``ArchiveTransfer``, OAIS Submission Information Package) moves
``received → checked → awaiting_review → accepting → accepted`` or ``→ rejected``; its
``MessageIdentifier`` is the idempotency key of the exchange. Accepting it archives its objects
(``StoredObject``: identified by SHA-256, kept on every storage offer, their digests in the
registry) and describes its units in the catalogue (OAIS Data Management, ISO 14721 §4.1.1.4).
The operation log (``kernel.oplog``) is sealed by signed checkpoints (NF Z42-013). Who may do
what is a ``Principal``: one organisation, one role — the holder of a token (an application: a
GED that transfers, or an archivist's script), or a ``Person`` logged in to the pages.

One repository serves several archival services, its tenants (``Tenant``): each has its own
transfers, catalogue, operation log, digest registry, tokens, people, agreements, referentials,
trust anchors and storage prefix; a tenant is the ``organisation`` of everything it holds (its
SEDA identifier is the ArchivalAgency of its transfers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple, overload

from kernel.paging import MAX_OFFSET
from kernel.retention import RuleCategory
from seda.versions import SedaVersion

Role = Literal["transferring", "archivist", "reader", "platform_admin"]
TENANT_ROLES: Final[tuple[Role, ...]] = ("transferring", "archivist")  # what a tenant's token holds
PLATFORM_ADMIN: Final[Role] = "platform_admin"
ROLES: Final[tuple[Role, ...]] = (*TENANT_ROLES, PLATFORM_ADMIN)  # what a token may hold
# What a person may be: an archivist reviews, decides and verifies; a reader searches the
# catalogue and downloads what it keeps.
PERSON_ROLES: Final[tuple[Role, ...]] = ("archivist", "reader")


@dataclass(frozen=True)
class Principal:
    """Who acts: the holder of a bearer token (a GED that transfers, an archivist who reviews;
    both within one tenant, their ``organisation``), a person logged in to the pages (within
    their tenant too), or the platform's administrator (no tenant: ``organisation`` is empty;
    administers tenants, never reads their archives)."""

    organisation: str
    role: Role
    name: str = "archiviste"


# -- tenants -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tenant:
    """An archival service the repository serves. Its ``identifier`` (SEDA identifier of the
    archival agency) is the ``organisation`` of all it holds; its objects are kept under
    ``storage_prefix`` on every storage offer."""

    identifier: str
    name: str
    storage_prefix: str
    created_at: datetime


@dataclass(frozen=True)
class TokenRecord:
    """A bearer token as the repository keeps it: its SHA-256 only, with who holds it.

    ``tenant`` is None for a platform administrator's token. A token's identifier is the first
    16 hex digits of its digest: it reveals nothing of a 256-bit token."""

    digest: str
    tenant: str | None
    name: str
    role: Role
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def token_id(self) -> str:
        return self.digest[:16]

    def usable(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def principal(self) -> Principal:
        return Principal(self.tenant or "", self.role, self.name)


class FileKind(StrEnum):
    """What a tenant imports as a file and keeps verbatim: its referentials (Vitam CSV), the
    certificates it trusts for manifest signatures (PEM), the roots it trusts for the signatures
    of the transferred documents (PEM), its archival profiles (RELAX NG)."""

    AGENCIES = "agencies"
    RULES = "rules"
    TRUST_ANCHORS = "trust_anchors"
    SIGNATURE_ANCHORS = "signature_anchors"  # roots of the signatures of transferred documents
    PROFILE = "profile"


@dataclass(frozen=True)
class TenantFile:
    """One imported file of a tenant, as imported: ``name`` is a profile's name ("" else)."""

    kind: FileKind
    name: str
    content: bytes
    sha256: str
    imported_at: datetime


@dataclass(frozen=True)
class Person:
    """Someone who logs in to the repository's pages with an account (``kernel.accounts``):
    one organisation, one role of ``PERSON_ROLES``; decides as ``principal`` (their login)."""

    id: str
    login: str
    organisation: str
    role: Role
    email: str | None = None

    @property
    def name(self) -> str:
        return self.login

    @property
    def organisation_id(self) -> str:
        return self.organisation

    @property
    def principal(self) -> Principal:
        return Principal(self.organisation, self.role, self.login)


# -- transfers -----------------------------------------------------------------------------
class TransferState(StrEnum):
    RECEIVED = "received"
    CHECKED = "checked"
    AWAITING_REVIEW = "awaiting_review"
    ACCEPTING = "accepting"  # an archivist's acceptance is writing the archive
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True)
class CheckIssue:
    code: str
    severity: str  # "fatal", "error" or "warning" (seda.issues.Severity)
    message: str
    line: int | None = None
    path: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity != "warning"


@dataclass(frozen=True)
class SignatureVerdict:
    """The repository's own verification of a signed object whose SIP declares a validation
    report: the status the sender declared and the one found here (ETSI EN 319 102-1 §5
    indications: ``valid``, ``invalid``, ``indeterminate``; ``unchecked`` when the repository
    could not verify it itself)."""

    object_id: str
    filename: str
    declared: str
    found: str
    reasons: tuple[str, ...] = ()  # the repository's reasons, as stable codes
    signer: str | None = None

    @property
    def agrees(self) -> bool:
        return self.declared == self.found


class ArchivePairs(Sequence[tuple[str, str]]):
    """An accepted transfer's (unit id in the SIP, archive identifier) pairs, read from their
    JSON text only when asked, and that text fetched only then when given as a function: an
    acceptance of 100,000 units has 100,000 of them (6.5 MB of text), which reading the
    transfer for its state does not need."""

    __slots__ = ("_pairs", "_text")

    def __init__(self, text: str | Callable[[], str]) -> None:
        self._text = text
        self._pairs: tuple[tuple[str, str], ...] | None = None

    def _all(self) -> tuple[tuple[str, str], ...]:
        if self._pairs is None:
            text = self._text if isinstance(self._text, str) else self._text()
            self._pairs = tuple((unit, archive) for unit, archive in json.loads(text))
        return self._pairs

    @overload
    def __getitem__(self, index: int) -> tuple[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[str, str]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, str] | Sequence[tuple[str, str]]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self._all() == tuple(other)

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"ArchivePairs({self._all()!r})"


@dataclass(frozen=True)
class Transfer:
    id: str
    organisation: str
    message_identifier: str
    package_sha256: str
    transferring_agency: str
    state: TransferState
    quarantine_path: Path
    acknowledgement: bytes
    received_at: datetime
    issues: tuple[CheckIssue, ...] = ()
    seda_version: str | None = None
    # Whether the ArchiveTransferReply is written; its bytes (10 MB for 100,000 units) are read
    # apart, by what sends them (TransferRepository.reply).
    replied: bool = False
    comment: str | None = None
    decided_by: str | None = None
    # (unit id in the SIP, archive id), in document order
    archive_identifiers: Sequence[tuple[str, str]] = ()
    manifest_digest: tuple[str, str] | None = None  # announced at submission: (algorithm, hex)
    signer: str | None = None  # subject of the certificate whose manifest signature verified
    signature_checks: tuple[SignatureVerdict, ...] = ()  # the signed objects verified again

    @property
    def checks_passed(self) -> bool:
        return not any(i.blocking for i in self.issues)


@dataclass(frozen=True)
class CheckOutcome:
    """What the checks of a received transfer found: every issue, and who signed."""

    issues: tuple[CheckIssue, ...]
    seda_version: str | None
    signer: str | None = None
    signature_checks: tuple[SignatureVerdict, ...] = ()


@dataclass(frozen=True)
class ArchivedObject:
    transfer_id: str
    object_id: str  # the BinaryDataObject id in the SIP
    uri: str
    sha256: str
    sha512: str
    size: int


@dataclass(frozen=True)
class Decision:
    """An archivist's decision on a transfer, with the comment sent to the transferring agency."""

    archivist: str
    comment: str | None = None


@dataclass(frozen=True)
class DecisionRecord:
    """What a decision writes on the transfer: the reply and, on acceptance, the archive."""

    reply: bytes
    decision: Decision
    decided_at: datetime
    # (unit id in the SIP, archive id), read once (an acceptance's may be streamed)
    archive_identifiers: Iterable[tuple[str, str]] = ()
    objects: tuple[ArchivedObject, ...] = ()
    reply_encoding: str | None = None  # "zlib": ``reply`` is compressed already


# -- what the repository accepts -------------------------------------------------------------
@dataclass(frozen=True)
class ArchivalAgreement:
    """What one organisation accepts from whom: agencies and SEDA versions; and what it requires
    of every manifest: a signature, an archival profile (RELAX NG, one of the tenant's profile
    files, by name) and its identifier."""

    organisation: str
    transferring_agencies: frozenset[str]
    seda_versions: frozenset[SedaVersion]
    signature_required: bool = False
    profile: str | None = None  # name of a FileKind.PROFILE file of the tenant
    profile_identifier: str | None = None  # the ArchivalProfile the manifest must declare


@dataclass(frozen=True)
class Referential:
    """What one organisation knows; ``None`` means that half is not configured (not checked)."""

    agencies: frozenset[str] | None = None
    rules: Mapping[str, RuleCategory] | None = None  # rule id → category


# -- archival storage ------------------------------------------------------------------------
@dataclass(frozen=True)
class StoredObject:
    """An archived object as the digest registry knows it; its identifier is its SHA-256."""

    sha256: str
    sha512: str
    size: int
    quarantine_reason: str | None = None

    @property
    def object_id(self) -> str:
        return self.sha256

    @property
    def quarantined(self) -> bool:
        return self.quarantine_reason is not None


# -- the catalogue ---------------------------------------------------------------------------
MAX_PAGE_SIZE: Final = 100
MAX_PAGES: Final = MAX_OFFSET // MAX_PAGE_SIZE  # the deepest page starts at the deepest offset


@dataclass(frozen=True)
class CatalogueObject:
    transfer_id: str
    object_id: str  # the BinaryDataObject id in the SIP
    group_id: str | None
    uri: str
    filename: str | None
    sha256: str
    sha512: str
    size: int
    mime_type: str | None = None
    format_id: str | None = None  # PRONOM identifier when the SIP gives one
    # the repository's own verification of its signatures at ingest (SignatureVerdict.found)
    signature_status: str | None = None


class SpooledObject(NamedTuple):
    """A binary as an acceptance stored it, kept aside until it is catalogued."""

    object_id: str
    group_id: str
    uri: str
    filename: str | None
    mime_type: str | None
    format_id: str | None
    sha256: str
    sha512: str
    size: int


@dataclass(frozen=True)
class CatalogueLink:
    """A unit referencing an object of its transfer."""

    archive_id: str
    transfer_id: str
    object_id: str


@dataclass(frozen=True)
class RuleRef:
    """A rule of the organisation's referential, and the date its duration runs from."""

    rule_id: str
    start_date: date | None = None


@dataclass(frozen=True)
class UnitRules:
    """A unit's rules as SEDA 2.x ``Management`` states them: its own, or, when it has none,
    the bordereau's (``ManagementMetadata``; ``inherited``): the DUA (``AppraisalRule``) and its
    final action (``Keep`` or ``Destroy``), and the communicabilité (``AccessRule``)."""

    appraisal: tuple[RuleRef, ...] = ()
    final_action: str | None = None
    access: tuple[RuleRef, ...] = ()
    inherited: bool = False

    def to_dict(self) -> dict[str, Any]:
        def refs(rules: tuple[RuleRef, ...]) -> list[dict[str, Any]]:
            return [{"rule_id": r.rule_id, "start_date": _iso(r.start_date)} for r in rules]

        return {
            "appraisal": refs(self.appraisal),
            "final_action": self.final_action,
            "access": refs(self.access),
            "inherited": self.inherited,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnitRules:
        def refs(items: list[dict[str, Any]]) -> tuple[RuleRef, ...]:
            return tuple(
                RuleRef(
                    i["rule_id"], date.fromisoformat(i["start_date"]) if i["start_date"] else None
                )
                for i in items
            )

        return cls(
            refs(data.get("appraisal", [])),
            data.get("final_action"),
            refs(data.get("access", [])),
            bool(data.get("inherited", False)),
        )


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True)
class CatalogueUnit:
    archive_id: str  # the SystemId given at acceptance
    organisation: str
    transfer_id: str
    message_identifier: str
    unit_id: str  # the ArchiveUnit id in the SIP
    parent_archive_id: str | None
    position: int  # document order in the SIP
    description_level: str | None
    title: str
    description: str
    start_date: str | None
    end_date: str | None
    originating_agency: str | None
    archived_at: datetime
    object_ids: tuple[str, ...] = ()
    titles: tuple[str, ...] = field(default=(), compare=False)  # every Title, for the index
    rules: UnitRules = field(default_factory=UnitRules)


@dataclass(frozen=True)
class Description:
    """What one acceptance adds to the catalogue (all of it, or one batch)."""

    units: list[CatalogueUnit]
    objects: list[CatalogueObject]
    # links beyond those of ``units``' own ``object_ids`` (units recorded before their
    # references were read)
    links: list[CatalogueLink] = field(default_factory=list)


@dataclass(frozen=True)
class ArchiveQuery:
    organisation: str
    text: str = ""
    level: str | None = None
    transfer_id: str | None = None
    originating_agency: str | None = None
    date_from: date | None = None  # units whose dates overlap [date_from, date_to]
    date_to: date | None = None
    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        return (max(self.page, 1) - 1) * self.limit

    @property
    def limit(self) -> int:
        return min(max(self.page_size, 1), MAX_PAGE_SIZE)


@dataclass(frozen=True)
class ArchivePage:
    units: list[CatalogueUnit]
    page: int
    page_size: int
    has_more: bool


@dataclass(frozen=True)
class ArchiveDetail:
    unit: CatalogueUnit
    children: list[CatalogueUnit]
    objects: list[CatalogueObject]


# -- sealed checkpoints of the operation log ----------------------------------------------------
CHECKPOINT_MARKER: Final = "gedsae.sae.log-checkpoint"
CHECKPOINT_PREFIX: Final = b'{"type":"' + CHECKPOINT_MARKER.encode() + b'"'
CHECKPOINT_FORMAT: Final = 1
SCOPE_ALL: Final = "all"


class MalformedCheckpoint(ValueError):
    """An object that is not a checkpoint of this format."""


@dataclass(frozen=True)
class Checkpoint:
    """The head of a tenant's log at ``seq``, as signed: ``{seq, head hash, time, organisation
    scope (the tenant; "all" for a log older than tenants), previous checkpoint}`` in canonical
    JSON."""

    seq: int
    head: str
    at: datetime
    previous: str | None = None  # object id (SHA-256) of the previous checkpoint's JSON
    previous_signature: str | None = None
    scope: str = SCOPE_ALL

    def to_json(self) -> bytes:
        """Canonical bytes; ``type`` comes first so that a scan recognises them by prefix."""
        fields = {
            "type": CHECKPOINT_MARKER,
            "version": CHECKPOINT_FORMAT,
            "seq": self.seq,
            "head": self.head,
            "at": self.at.isoformat(),
            "organisation_scope": self.scope,
            "previous": self.previous,
            "previous_signature": self.previous_signature,
        }
        return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Checkpoint:
        try:
            fields = json.loads(data)
            if not data.startswith(CHECKPOINT_PREFIX) or fields["version"] != CHECKPOINT_FORMAT:
                raise MalformedCheckpoint("marqueur ou version de point de scellement inconnus")
            return cls(
                seq=int(fields["seq"]),
                head=str(fields["head"]),
                at=datetime.fromisoformat(fields["at"]),
                previous=fields["previous"],
                previous_signature=fields["previous_signature"],
                scope=str(fields["organisation_scope"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedCheckpoint(f"point de scellement illisible : {exc}") from exc


@dataclass(frozen=True)
class SealedCheckpoint:
    checkpoint: Checkpoint
    checkpoint_id: str  # SHA-256 of the JSON: its object id on the offers
    signature_id: str
    timestamped: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint_id": self.checkpoint_id,
            "signature_id": self.signature_id,
            "seq": self.checkpoint.seq,
            "head": self.checkpoint.head,
            "at": self.checkpoint.at.isoformat(),
            "timestamped": self.timestamped,
        }


# -- communication and the access register ----------------------------------------------------
# What a delivery reply answers (SEDA code list, as for transfers): granted, or refused.
GRANTED: Final = "000"
REFUSED: Final = "300"


@dataclass(frozen=True)
class Derogation:
    """Leave to communicate an archive (and what it holds) before its communicability date
    (Code du patrimoine, article L213-3): to which requesting agency, why, until which day
    (included), given by which archivist; withdrawn, it no longer applies."""

    id: str
    archive_id: str
    requester: str
    reason: str
    until: date
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None = None

    def applies(self, requester: str, day: date) -> bool:
        return self.revoked_at is None and self.requester == requester and day <= self.until


@dataclass(frozen=True)
class Delivery:
    """An ``ArchiveDeliveryRequest`` received and the repository's reply to it, kept verbatim
    (decided at receipt); ``message_identifier`` is the request's, its idempotency key."""

    id: str
    message_identifier: str
    requester: str
    unit_ids: tuple[str, ...]
    request: bytes
    received_at: datetime
    received_by: str
    granted: bool
    reply: bytes


class AccessBasis(StrEnum):
    """Under what an archive was communicated or downloaded."""

    FREE = "free"  # no access rule: communicable at once
    RULE = "rule"  # the access rule's delay is over
    DEROGATION = "derogation"  # before it, under a derogation
    ROLE = "role"  # an archivist, or the service that transferred it, downloading an object


@dataclass(frozen=True)
class AccessRecord:
    """One line of the access register: who had what, when, and under which rule or
    derogation (communications of a delivery, downloads of an object)."""

    at: datetime
    actor: str  # the token's or person's name
    requester: str  # the requesting agency (delivery) or the role (download)
    kind: Literal["communication", "download"]
    archive_id: str
    title: str
    basis: AccessBasis
    rule_id: str | None = None
    derogation_id: str | None = None
    object_id: str | None = None
    delivery: str | None = None  # the delivery request's MessageIdentifier


# -- restitution --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Restitution:
    """An ``ArchiveRestitutionRequest`` and the reply given at receipt (verbatim); once the
    producer acknowledges the reply (``receipt``: it verified every digest), the archives are
    deleted and ``completed_at`` set."""

    id: str
    message_identifier: str
    originating_agency: str
    unit_ids: tuple[str, ...]
    request: bytes
    received_at: datetime
    received_by: str
    granted: bool
    reply: bytes
    reply_identifier: str
    receipt: bytes | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Tombstone:
    """What is kept of an archive deleted from the repository: what it was, why, when, on
    whose word, and the objects it held (their SHA-256)."""

    archive_id: str
    title: str
    transfer_id: str
    reason: Literal["restitution", "elimination"]
    message_identifier: str  # the exchange that deleted it
    deleted_at: datetime
    deleted_by: str
    objects: tuple[str, ...] = ()


# -- what the repository says to the producer; elimination --------------------------------------
@dataclass(frozen=True)
class MailboxMessage:
    """A message of the repository to a producer, waiting for the GED to read it (pull: the
    repository never calls the GED); ``seq`` orders them and is the reading cursor."""

    id: str
    type: str  # the SEDA message's name
    message_identifier: str
    message: bytes
    at: datetime
    seq: int = 0


class EliminationState(StrEnum):
    AWAITING_PRODUCER = "awaiting_producer"  # the authorization request is in the mailbox
    AWAITING_CONTROL = "awaiting_control"  # the producer agreed: the control authority's visa
    AGREED = "agreed"  # the producer agreed: awaiting the archivist's visa
    REFUSED = "refused"  # the producer or the control authority refused: nothing is destroyed
    DESTROYED = "destroyed"  # visa given, archives destroyed, tombstones kept


@dataclass(frozen=True)
class Elimination:
    """Archives whose DUA is over and final action Destroy, proposed for elimination to their
    producer (``AuthorizationOriginatingAgencyRequest`` ``message_identifier``)."""

    id: str
    message_identifier: str
    originating_agency: str
    unit_ids: tuple[str, ...]
    proposed_at: datetime
    proposed_by: str
    state: EliminationState = EliminationState.AWAITING_PRODUCER
    reply: bytes | None = None  # the producer's AuthorizationOriginatingAgencyRequestReply
    approved_by: str | None = None
    destroyed_at: datetime | None = None
    notification: bytes | None = None  # the ArchiveDestructionNotification
    # the control authority whose visa the elimination also needs (Code du patrimoine R212-14:
    # the Archives départementales for a commune's archives), its request, its answer
    control_authority: str | None = None
    control_request: bytes | None = None  # AuthorizationControlAuthorityRequest
    control_reply: bytes | None = None  # AuthorizationControlAuthorityRequestReply
    control_granted: bool | None = None  # the visa: given, refused, or awaited (None)
