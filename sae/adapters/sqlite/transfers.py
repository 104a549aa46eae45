"""Transfers on SQLite (the ``TransferRepository`` port), inside a unit of work's connection.

``(organisation, message_identifier)`` is unique: the ``MessageIdentifier`` is the idempotency
key of the SEDA exchange. Every state move is a conditional ``UPDATE … WHERE state = ?`` so that
two archivists deciding at once cannot both win.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from kernel.paging import Page
from sae.model import (
    ArchivedObject,
    CheckIssue,
    CheckOutcome,
    DecisionRecord,
    Transfer,
    TransferState,
)
from sae.ports import TransferAlreadyDecided, TransferNotFound

_INSERT: Final = """
INSERT INTO transfers (id, organisation, message_identifier, package_sha256, transferring_agency,
    state, quarantine_path, acknowledgement, received_at, issues, seda_version, reply, comment,
    decided_by, archive_identifiers, manifest_digest)
VALUES (:id, :organisation, :message_identifier, :package_sha256, :transferring_agency,
    :state, :quarantine_path, :acknowledgement, :received_at, :issues, :seda_version, :reply,
    :comment, :decided_by, :archive_identifiers, :manifest_digest)
"""
_DECIDE: Final = (
    "UPDATE transfers SET state = ?, reply = ?, comment = ?, decided_by = ?, decided_at = ?, "
    "archive_identifiers = ? WHERE id = ? AND state = ?"
)


class SqliteTransferRepository:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def add(self, transfer: Transfer) -> bool:
        """Only the transfer row's own uniqueness means "already known"."""
        try:
            self.conn.execute(_INSERT, _row(transfer))
        except sqlite3.IntegrityError:
            return False
        return True

    def get(self, organisation: str, transfer_id: str) -> Transfer:
        row = self.conn.execute(
            "SELECT * FROM transfers WHERE id = ? AND organisation = ?",
            (transfer_id, organisation),
        ).fetchone()
        if row is None:
            raise TransferNotFound(f"Transfert {transfer_id} introuvable")
        return _transfer(row)

    def find_by_message(self, organisation: str, message_identifier: str) -> Transfer | None:
        row = self.conn.execute(
            "SELECT * FROM transfers WHERE organisation = ? AND message_identifier = ?",
            (organisation, message_identifier),
        ).fetchone()
        return None if row is None else _transfer(row)

    def in_state(
        self, organisation: str, state: TransferState, page: Page | None = None
    ) -> list[Transfer]:
        sql = (
            "SELECT * FROM transfers WHERE organisation = ? AND state = ? ORDER BY received_at, id"
        )
        params: tuple[str | int, ...] = (organisation, state.value)
        if page is not None:
            sql, params = sql + " LIMIT ? OFFSET ?", (*params, page.limit, page.offset)
        return [_transfer(r) for r in self.conn.execute(sql, params).fetchall()]

    def every_in_state(self, state: TransferState) -> list[Transfer]:
        rows = self.conn.execute(
            "SELECT * FROM transfers WHERE state = ? ORDER BY received_at, id", (state.value,)
        ).fetchall()
        return [_transfer(r) for r in rows]

    def record_checks(self, transfer_id: str, outcome: CheckOutcome) -> None:
        changed = self.conn.execute(
            "UPDATE transfers SET state = ?, issues = ?, seda_version = ?, signer = ? "
            "WHERE id = ? AND state = ?",
            (
                TransferState.CHECKED.value,
                _issues(outcome.issues),
                outcome.seda_version,
                outcome.signer,
                transfer_id,
                TransferState.RECEIVED.value,
            ),
        ).rowcount
        if changed != 1:
            raise TransferAlreadyDecided(f"Le transfert {transfer_id} a déjà été contrôlé")

    def move(self, transfer_id: str, before: TransferState, after: TransferState) -> None:
        changed = self.conn.execute(
            "UPDATE transfers SET state = ? WHERE id = ? AND state = ?",
            (after.value, transfer_id, before.value),
        ).rowcount
        if changed != 1:
            raise TransferAlreadyDecided(
                f"Le transfert {transfer_id} n'est plus à l'état {before.value}"
            )

    def decide(
        self, transfer_id: str, before: TransferState, after: TransferState, record: DecisionRecord
    ) -> None:
        decision = record.decision
        changed = self.conn.execute(
            _DECIDE,
            (
                after.value,
                record.reply,
                decision.comment,
                decision.archivist,
                record.decided_at.isoformat(),
                json.dumps([list(pair) for pair in record.archive_identifiers]),
                transfer_id,
                before.value,
            ),
        ).rowcount
        if changed != 1:
            raise TransferAlreadyDecided(f"Le transfert {transfer_id} a déjà été traité")
        self.conn.executemany(
            "INSERT INTO archived_objects VALUES (?, ?, ?, ?, ?, ?)",
            [
                (o.transfer_id, o.object_id, o.uri, o.sha256, o.sha512, o.size)
                for o in record.objects
            ],
        )

    def objects(self, transfer_id: str) -> list[ArchivedObject]:
        rows = self.conn.execute(
            "SELECT transfer_id, object_id, uri, sha256, sha512, size FROM archived_objects "
            "WHERE transfer_id = ? ORDER BY object_id",
            (transfer_id,),
        ).fetchall()
        return [ArchivedObject(*r) for r in rows]


def _issues(issues: tuple[CheckIssue, ...]) -> str:
    return json.dumps([i.__dict__ for i in issues], ensure_ascii=False)


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
        "issues": _issues(t.issues),
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
