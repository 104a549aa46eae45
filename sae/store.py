"""Persistence of incoming transfers (OAIS Ingest, ISO 14721 §4.1.1.2): one SQLite file.

The repository keeps its own database, apart from the GED's, with the standard library's
``sqlite3`` (no Alembic yet: the schema is created by ``TransferStore.__init__``, which also adds
to an older file, by ``ALTER TABLE``, the nullable columns that came later). A transfer moves
``received → checked → awaiting_review → accepting → accepted`` or ``→ rejected``; every move is a conditional ``UPDATE … WHERE state = ?`` so that two archivists
deciding at once cannot both win. ``(organisation, message_identifier)`` is unique: the
``MessageIdentifier`` is the idempotency key of the SEDA exchange.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from kernel.errors import ConflictError, NotFoundError
from kernel.private_files import private_database
from sae import catalogue, journal
from sae.database import connect

# Runs on the connection of a change, inside its transaction (a log entry, catalogue rows).
InTransaction = Callable[[sqlite3.Connection], object]


class TransferState(StrEnum):
    RECEIVED = "received"
    CHECKED = "checked"
    AWAITING_REVIEW = "awaiting_review"
    ACCEPTING = "accepting"  # an archivist's acceptance is writing the archive
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class TransferNotFound(NotFoundError):
    """Unknown, or belonging to another organisation: the two are never told apart."""

    code = "transfer_not_found"
    title = "Transfert introuvable"


class TransferAlreadyDecided(ConflictError):
    code = "transfer_already_decided"
    title = "Transfert déjà traité"


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
    reply: bytes | None = None
    comment: str | None = None
    decided_by: str | None = None
    archive_identifiers: tuple[tuple[str, str], ...] = ()  # (unit id in the SIP, archive id)
    manifest_digest: tuple[str, str] | None = None  # announced at submission: (algorithm, hex)
    signer: str | None = None  # subject of the certificate whose manifest signature verified

    @property
    def checks_passed(self) -> bool:
        return not any(i.blocking for i in self.issues)


@dataclass(frozen=True)
class ArchivedObject:
    transfer_id: str
    object_id: str  # the BinaryDataObject id in the SIP
    uri: str
    sha256: str
    sha512: str
    size: int


_SCHEMA = """
CREATE TABLE IF NOT EXISTS transfers (
    id TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    message_identifier TEXT NOT NULL,
    package_sha256 TEXT NOT NULL,
    transferring_agency TEXT NOT NULL,
    state TEXT NOT NULL,
    quarantine_path TEXT NOT NULL,
    acknowledgement BLOB NOT NULL,
    received_at TEXT NOT NULL,
    issues TEXT NOT NULL DEFAULT '[]',
    seda_version TEXT,
    reply BLOB,
    comment TEXT,
    decided_by TEXT,
    decided_at TEXT,
    archive_identifiers TEXT NOT NULL DEFAULT '[]',
    manifest_digest TEXT,
    signer TEXT,
    UNIQUE (organisation, message_identifier)
);
CREATE TABLE IF NOT EXISTS archived_objects (
    transfer_id TEXT NOT NULL REFERENCES transfers(id),
    object_id TEXT NOT NULL,
    uri TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    sha512 TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (transfer_id, object_id)
);
"""
_INSERT = """
INSERT INTO transfers (id, organisation, message_identifier, package_sha256, transferring_agency,
    state, quarantine_path, acknowledgement, received_at, issues, seda_version, reply, comment,
    decided_by, archive_identifiers, manifest_digest)
VALUES (:id, :organisation, :message_identifier, :package_sha256, :transferring_agency,
    :state, :quarantine_path, :acknowledgement, :received_at, :issues, :seda_version, :reply,
    :comment, :decided_by, :archive_identifiers, :manifest_digest)
"""
# Columns added after the first schema: ALTER TABLE adds them to a database created before.
_ADDED_COLUMNS = (("manifest_digest", "TEXT"), ("signer", "TEXT"))


class TransferStore:
    """Transfers and the objects their acceptance archived, in one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        private_database(self.path)  # the log and the catalogue: 0600, journals too
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA + journal.SCHEMA + catalogue.SCHEMA)
            _add_missing_columns(conn)

    def _connection(self) -> AbstractContextManager[sqlite3.Connection]:
        return connect(self.path)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed on exit and rolled back on error; BEGIN IMMEDIATE
        takes the write lock first, so what is read in it (the log head) cannot go stale."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            yield conn

    def add(self, transfer: Transfer, *, within: InTransaction | None = None) -> bool:
        """Record a received transfer; False if its MessageIdentifier is already known.

        Only the transfer row's own uniqueness means "already known": a constraint failing in
        ``within`` (the journal) is raised, and the transaction leaves nothing behind."""
        with self._connection() as conn:
            try:
                conn.execute(_INSERT, _row(transfer))
            except sqlite3.IntegrityError:
                conn.rollback()
                return False
            if within is not None:
                within(conn)
        return True

    def get(self, organisation: str, transfer_id: str) -> Transfer:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT * FROM transfers WHERE id = ? AND organisation = ?",
                (transfer_id, organisation),
            ).fetchone()
        if row is None:
            raise TransferNotFound(f"Transfert {transfer_id} introuvable")
        return _transfer(row)

    def find_by_message(self, organisation: str, message_identifier: str) -> Transfer | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT * FROM transfers WHERE organisation = ? AND message_identifier = ?",
                (organisation, message_identifier),
            ).fetchone()
        return None if row is None else _transfer(row)

    def in_state(self, organisation: str, state: TransferState) -> list[Transfer]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT * FROM transfers WHERE organisation = ? AND state = ? "
                "ORDER BY received_at, id",
                (organisation, state.value),
            ).fetchall()
        return [_transfer(r) for r in rows]

    def every_in_state(self, state: TransferState) -> list[Transfer]:
        """The transfers of every organisation in ``state`` (crash recovery, sae.recovery)."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT * FROM transfers WHERE state = ? ORDER BY received_at, id", (state.value,)
            ).fetchall()
        return [_transfer(r) for r in rows]

    def record_checks(
        self,
        transfer_id: str,
        issues: list[CheckIssue],
        seda_version: str | None,
        *,
        signer: str | None = None,
        within: InTransaction | None = None,
    ) -> None:
        """received → checked → awaiting_review, with every issue found."""
        encoded = json.dumps([i.__dict__ for i in issues], ensure_ascii=False)
        with self._connection() as conn:
            changed = conn.execute(
                "UPDATE transfers SET state = ?, issues = ?, seda_version = ?, signer = ? "
                "WHERE id = ? AND state = ?",
                (
                    TransferState.CHECKED.value,
                    encoded,
                    seda_version,
                    signer,
                    transfer_id,
                    "received",
                ),
            ).rowcount
            if changed == 1 and within is not None:
                within(conn)
        if changed != 1:
            raise TransferAlreadyDecided(f"Le transfert {transfer_id} a déjà été contrôlé")
        self._move(transfer_id, TransferState.CHECKED, TransferState.AWAITING_REVIEW)

    def claim(self, transfer_id: str, before: TransferState, after: TransferState) -> None:
        """Move one transfer from ``before`` to ``after``, or raise if another request did."""
        self._move(transfer_id, before, after)

    def decide(
        self,
        transfer_id: str,
        before: TransferState,
        after: TransferState,
        *,
        reply: bytes,
        comment: str | None,
        decided_by: str,
        archive_identifiers: Sequence[tuple[str, str]] = (),
        objects: Sequence[ArchivedObject] = (),
        within: InTransaction | None = None,
    ) -> None:
        """Record the decision; ``within`` runs on the same transaction, after it."""
        with self._connection() as conn:
            changed = conn.execute(
                "UPDATE transfers SET state = ?, reply = ?, comment = ?, decided_by = ?, "
                "decided_at = ?, archive_identifiers = ? WHERE id = ? AND state = ?",
                (
                    after.value,
                    reply,
                    comment,
                    decided_by,
                    datetime.now(UTC).isoformat(),
                    json.dumps(list(archive_identifiers)),
                    transfer_id,
                    before.value,
                ),
            ).rowcount
            if changed != 1:
                raise TransferAlreadyDecided(f"Le transfert {transfer_id} a déjà été traité")
            conn.executemany(
                "INSERT INTO archived_objects VALUES (?, ?, ?, ?, ?, ?)",
                [(o.transfer_id, o.object_id, o.uri, o.sha256, o.sha512, o.size) for o in objects],
            )
            if within is not None:
                within(conn)

    def objects(self, transfer_id: str) -> list[ArchivedObject]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT transfer_id, object_id, uri, sha256, sha512, size FROM archived_objects "
                "WHERE transfer_id = ? ORDER BY object_id",
                (transfer_id,),
            ).fetchall()
        return [ArchivedObject(*r) for r in rows]

    def _move(self, transfer_id: str, before: TransferState, after: TransferState) -> None:
        with self._connection() as conn:
            changed = conn.execute(
                "UPDATE transfers SET state = ? WHERE id = ? AND state = ?",
                (after.value, transfer_id, before.value),
            ).rowcount
        if changed != 1:
            raise TransferAlreadyDecided(
                f"Le transfert {transfer_id} n'est plus à l'état {before.value}"
            )


def _row(t: Transfer) -> dict[str, Any]:
    return {
        "id": t.id,
        "organisation": t.organisation,
        "message_identifier": t.message_identifier,
        "package_sha256": t.package_sha256,
        "transferring_agency": t.transferring_agency,
        "state": t.state.value,
        "quarantine_path": str(t.quarantine_path),
        "acknowledgement": t.acknowledgement,
        "received_at": t.received_at.isoformat(),
        "issues": json.dumps([i.__dict__ for i in t.issues], ensure_ascii=False),
        "seda_version": t.seda_version,
        "reply": t.reply,
        "comment": t.comment,
        "decided_by": t.decided_by,
        "archive_identifiers": json.dumps([list(p) for p in t.archive_identifiers]),
        "manifest_digest": ":".join(t.manifest_digest) if t.manifest_digest else None,
    }


def _transfer(row: sqlite3.Row) -> Transfer:
    return Transfer(
        id=row["id"],
        organisation=row["organisation"],
        message_identifier=row["message_identifier"],
        package_sha256=row["package_sha256"],
        transferring_agency=row["transferring_agency"],
        state=TransferState(row["state"]),
        quarantine_path=Path(row["quarantine_path"]),
        acknowledgement=bytes(row["acknowledgement"]),
        received_at=datetime.fromisoformat(row["received_at"]),
        issues=tuple(CheckIssue(**i) for i in json.loads(row["issues"])),
        seda_version=row["seda_version"],
        reply=None if row["reply"] is None else bytes(row["reply"]),
        comment=row["comment"],
        decided_by=row["decided_by"],
        archive_identifiers=tuple((u, a) for u, a in json.loads(row["archive_identifiers"])),
        manifest_digest=_digest_pair(row["manifest_digest"]),
        signer=row["signer"],
    )


def _digest_pair(encoded: str | None) -> tuple[str, str] | None:
    if encoded is None:
        return None
    algorithm, _, value = encoded.partition(":")
    return algorithm, value


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    present = {row["name"] for row in conn.execute("PRAGMA table_info(transfers)")}
    for name, kind in _ADDED_COLUMNS:
        if name in present:
            continue
        try:
            conn.execute(f"ALTER TABLE transfers ADD COLUMN {name} {kind}")
        except sqlite3.OperationalError as exc:
            # Another process opening the same old database added it first.
            if "duplicate column" not in str(exc):
                raise
