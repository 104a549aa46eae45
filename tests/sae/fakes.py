"""The repository's ports in memory (``sae.ports``), for unit tests of its use cases.

Each tenant has a ``State`` of its own (``FakeDatabase.states``): a unit of work of one tenant
sees that tenant's state only, as the database's WHERE clauses and row-level security hold it.
A unit of work works on a copy of its tenant's state and hands it back only when it commits, as
a database transaction does: a use case that fails half-way leaves nothing behind.
"""

from __future__ import annotations

import copy
import dataclasses
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kernel.oplog import GENESIS, LogEntry, LogSpec, entry_hash
from kernel.paging import Page
from sae.adapters.db.spool import SqliteIdIndex, SqliteObjectNames, SqliteSpool
from sae.model import (
    AccessRecord,
    ArchivalAgreement,
    ArchiveDetail,
    ArchivedObject,
    ArchivePage,
    ArchiveQuery,
    CatalogueObject,
    CheckOutcome,
    Decision,
    DecisionRecord,
    Delivery,
    Derogation,
    Description,
    SealedCheckpoint,
    TenantFile,
    Transfer,
    TransferState,
)
from sae.ports import (
    ArchiveNotFound,
    ArchiveObjectNotFound,
    DerogationNotFound,
    TransferAlreadyDecided,
    TransferNotFound,
)


@dataclass
class State:
    transfers: dict[str, Transfer] = field(default_factory=dict)
    objects: dict[str, list[ArchivedObject]] = field(default_factory=dict)
    replies: dict[str, bytes] = field(default_factory=dict)  # transfer id -> its reply
    log: list[LogEntry] = field(default_factory=list)
    checkpoints: list[SealedCheckpoint] = field(default_factory=list)
    descriptions: list[Description] = field(default_factory=list)
    agreements: dict[str, ArchivalAgreement] = field(default_factory=dict)
    files: list[TenantFile] = field(default_factory=list)
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    derogations: dict[str, Derogation] = field(default_factory=dict)
    register: list[AccessRecord] = field(default_factory=list)


class FakeTransfers:
    def __init__(self, state: State) -> None:
        self.state = state

    def add(self, transfer: Transfer) -> bool:
        if self.find_by_message(transfer.message_identifier) is not None:
            return False
        self.state.transfers[transfer.id] = transfer
        return True

    def get(self, transfer_id: str) -> Transfer:
        found = self.state.transfers.get(transfer_id)
        if found is None:
            raise TransferNotFound(f"Transfert {transfer_id} introuvable")
        return found

    def reply(self, transfer_id: str) -> bytes | None:
        self.get(transfer_id)
        return self.state.replies.get(transfer_id)

    def find_by_message(self, message_identifier: str) -> Transfer | None:
        found = self.state.transfers.values()
        return next((t for t in found if t.message_identifier == message_identifier), None)

    def in_state(self, state: TransferState, page: Page | None = None) -> list[Transfer]:
        found = [t for t in self.state.transfers.values() if t.state is state]
        found.sort(key=lambda t: (t.received_at, t.id))  # oldest first, as the database lists
        return found if page is None else page.of(found)

    def record_checks(self, transfer_id: str, outcome: CheckOutcome) -> None:
        self._change(
            transfer_id,
            TransferState.RECEIVED,
            state=TransferState.CHECKED,
            issues=outcome.issues,
            seda_version=outcome.seda_version,
            signer=outcome.signer,
        )

    def move(self, transfer_id: str, before: TransferState, after: TransferState) -> None:
        self._change(transfer_id, before, state=after)

    def unclaim(self, transfer_id: str) -> None:
        self._change(
            transfer_id,
            TransferState.ACCEPTING,
            state=TransferState.AWAITING_REVIEW,
            comment=None,
            decided_by=None,
        )

    def claim(self, transfer_id: str, decision: Decision) -> None:
        self._change(
            transfer_id,
            TransferState.AWAITING_REVIEW,
            state=TransferState.ACCEPTING,
            comment=decision.comment,
            decided_by=decision.archivist,
        )

    def decide(
        self, transfer_id: str, before: TransferState, after: TransferState, record: DecisionRecord
    ) -> None:
        self._change(
            transfer_id,
            before,
            state=after,
            replied=True,
            comment=record.decision.comment,
            decided_by=record.decision.archivist,
            archive_identifiers=tuple(record.archive_identifiers),
        )
        compressed = record.reply_encoding == "zlib"
        self.state.replies[transfer_id] = (
            zlib.decompress(record.reply) if compressed else record.reply
        )
        self.state.objects.setdefault(transfer_id, []).extend(record.objects)

    def add_objects(self, objects: Sequence[ArchivedObject]) -> None:
        for obj in objects:
            self.state.objects.setdefault(obj.transfer_id, []).append(obj)

    def objects(self, transfer_id: str) -> list[ArchivedObject]:
        return list(self.state.objects.get(transfer_id, []))

    def _change(self, transfer_id: str, before: TransferState, **changes: Any) -> None:
        found = self.state.transfers.get(transfer_id)
        if found is None or found.state is not before:
            raise TransferAlreadyDecided(f"Le transfert {transfer_id} n'est plus {before}")
        self.state.transfers[transfer_id] = dataclasses.replace(found, **changes)


class FakeLog:
    def __init__(self, state: State) -> None:
        self.state = state

    def append(self, spec: LogSpec, *, at: datetime | None = None) -> LogEntry:
        seq, prev = self.head()
        fields: dict[str, Any] = {
            **spec.__dict__,
            "seq": seq + 1,
            "at": at or datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
            "prev_hash": prev,
        }
        entry = LogEntry(**fields, hash=entry_hash(**fields))
        self.state.log.append(entry)
        return entry

    def head(self) -> tuple[int, str]:
        last = self.state.log[-1] if self.state.log else None
        return (0, GENESIS) if last is None else (last.seq, last.hash)

    def entries(self, after: int = 0) -> Iterator[LogEntry]:
        return iter([e for e in self.state.log if e.seq > after])

    def entry_at(self, seq: int) -> LogEntry | None:
        return next((e for e in self.state.log if e.seq == seq), None)

    def entry(self, entry_hash: str) -> LogEntry | None:
        return next((e for e in self.state.log if e.hash == entry_hash), None)

    def with_action(self, action: str, page: Page) -> list[LogEntry]:
        return page.of([e for e in reversed(self.state.log) if e.action == action])


class FakeCheckpoints:
    def __init__(self, state: State) -> None:
        self.state = state

    def recorded(self) -> list[SealedCheckpoint]:
        return list(self.state.checkpoints)

    def latest(self) -> SealedCheckpoint | None:
        return self.state.checkpoints[-1] if self.state.checkpoints else None

    def add(self, sealed: SealedCheckpoint) -> None:
        self.state.checkpoints.append(sealed)


class FakeCatalogue:
    def __init__(self, state: State) -> None:
        self.state = state

    def record(self, description: Description) -> None:
        self.state.descriptions.append(description)

    def search(self, query: ArchiveQuery) -> ArchivePage:
        units = [u for d in self.state.descriptions for u in d.units]
        page = units[query.offset : query.offset + query.limit]
        return ArchivePage(page, query.page, query.limit, len(units) > query.offset + query.limit)

    def detail(self, archive_id: str) -> ArchiveDetail:
        units = [u for d in self.state.descriptions for u in d.units]
        unit = next((u for u in units if u.archive_id == archive_id), None)
        if unit is None:
            raise ArchiveNotFound(f"Archive {archive_id} introuvable")
        children = [u for u in units if u.parent_archive_id == archive_id]
        linked = set(unit.object_ids) | {
            link.object_id
            for d in self.state.descriptions
            for link in d.links
            if link.archive_id == archive_id
        }
        objects = [o for d in self.state.descriptions for o in d.objects if o.object_id in linked]
        return ArchiveDetail(unit, children, objects)

    def object(self, archive_id: str, object_id: str) -> CatalogueObject:
        found = [o for o in self.detail(archive_id).objects if o.object_id == object_id]
        if not found:
            raise ArchiveObjectNotFound(f"Objet {object_id} absent de l'archive {archive_id}")
        return found[0]

    def transfers_holding(self, sha256: str) -> list[str]:
        found = {
            o.transfer_id for d in self.state.descriptions for o in d.objects if o.sha256 == sha256
        }
        return sorted(found)


class FakeSetup:
    """Agreements and imported files (what communication reads of a tenant's setup)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def agreements(self) -> dict[str, ArchivalAgreement]:
        return dict(self.state.agreements)

    def files(self) -> list[TenantFile]:
        return list(self.state.files)


class FakeDeliveries:
    def __init__(self, state: State) -> None:
        self.state = state

    def add(self, delivery: Delivery) -> None:
        self.state.deliveries[delivery.message_identifier] = delivery

    def find(self, message_identifier: str) -> Delivery | None:
        return self.state.deliveries.get(message_identifier)

    def listing(self, page: Page) -> list[Delivery]:
        found = sorted(self.state.deliveries.values(), key=lambda d: d.received_at, reverse=True)
        return found[page.offset : page.offset + page.limit]


class FakeDerogations:
    def __init__(self, state: State) -> None:
        self.state = state

    def add(self, derogation: Derogation) -> None:
        self.state.derogations[derogation.id] = derogation

    def get(self, derogation_id: str) -> Derogation:
        if derogation_id not in self.state.derogations:
            raise DerogationNotFound(f"Dérogation {derogation_id} introuvable")
        return self.state.derogations[derogation_id]

    def of_archives(self, archive_ids: list[str]) -> list[Derogation]:
        return [d for d in self.state.derogations.values() if d.archive_id in archive_ids]

    def revoke(self, derogation_id: str, at: datetime) -> Derogation:
        found = self.get(derogation_id)
        if found.revoked_at is None:
            found = dataclasses.replace(found, revoked_at=at)
            self.state.derogations[derogation_id] = found
        return found


class FakeAccessRegister:
    def __init__(self, state: State) -> None:
        self.state = state

    def add(self, records: list[AccessRecord]) -> None:
        self.state.register.extend(records)


class FakeUnitOfWork:
    def __init__(self, database: FakeDatabase, tenant: str) -> None:
        self.database = database
        self.tenant = tenant
        self.state = State()
        self.committed = False

    def __enter__(self) -> FakeUnitOfWork:
        self.state = copy.deepcopy(self.database.states.get(self.tenant, State()))
        return self

    def __exit__(self, *exc: object) -> None:
        return None  # not committed: the copy is dropped

    def commit(self) -> None:
        self.database.states[self.tenant] = self.state
        self.committed = True

    @property
    def transfers(self) -> FakeTransfers:
        return FakeTransfers(self.state)

    @property
    def log(self) -> FakeLog:
        return self.database.log_factory(self.state)

    @property
    def checkpoints(self) -> FakeCheckpoints:
        return FakeCheckpoints(self.state)

    @property
    def catalogue(self) -> FakeCatalogue:
        return FakeCatalogue(self.state)

    @property
    def setup(self) -> FakeSetup:
        return FakeSetup(self.state)

    @property
    def deliveries(self) -> FakeDeliveries:
        return FakeDeliveries(self.state)

    @property
    def derogations(self) -> FakeDerogations:
        return FakeDerogations(self.state)

    @property
    def access_register(self) -> FakeAccessRegister:
        return FakeAccessRegister(self.state)


class FakeDatabase:
    """``sae.ports.Database`` in memory, one ``State`` per tenant; ``log_factory`` lets a test
    make the log fail."""

    name = "mémoire"

    def __init__(self) -> None:
        self.states: dict[str, State] = {}
        self.log_factory: Any = FakeLog

    def unit_of_work(self, tenant: str) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, tenant)

    def spool(self) -> SqliteSpool:
        return SqliteSpool()  # a scratch file, no database of the repository's

    def id_index(self) -> SqliteIdIndex:
        return SqliteIdIndex()  # scratch files too

    def object_names(self) -> SqliteObjectNames:
        return SqliteObjectNames()

    def reading(self, tenant: str) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, tenant)
