"""A tenant's transfers (the ``TransferRepository`` port), inside a unit of work's connection.

``(tenant, message_identifier)`` is unique: the ``MessageIdentifier`` is the idempotency key of
the SEDA exchange, and a second insert of it does nothing (``ON CONFLICT DO NOTHING``, which
leaves the transaction usable on PostgreSQL as on SQLite). Every state move is a conditional
``UPDATE … WHERE state = :before`` so that two archivists deciding at once cannot both win.
Every statement names the tenant.

A transfer is read without its two large columns: the reply (``reply`` reads it, for what sends
it) and the archive identifiers (fetched by a read of their own when first asked,
``ArchivePairs``); the decision writes them compressed (zlib, migration 0010: 10 MB of XML
and 6.5 MB of JSON for 100,000 units, which the drivers and SQLite copied two or three times
while writing them: +28 MiB of peak), through bound parameters, so that SQLAlchemy's cache of
compiled statements never keeps a decision's values alive.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from kernel.paging import Page
from sae.adapters.db import tables as t
from sae.model import (
    ArchivedObject,
    ArchivePairs,
    CheckIssue,
    CheckOutcome,
    Decision,
    DecisionRecord,
    SignatureVerdict,
    Transfer,
    TransferState,
)
from sae.ports import TransferAlreadyDecided, TransferNotFound

_OBJECT_COLUMNS = ("transfer_id", "object_id", "uri", "sha256", "sha512", "size")
_LARGE = ("reply", "archive_identifiers", "archive_identifiers_zlib")  # read apart (docstring)
_DECIDED = (
    "state",
    "reply",
    "reply_encoding",
    "comment",
    "decided_by",
    "decided_at",
    "archive_identifiers",
    "archive_identifiers_zlib",
)
ZLIB = "zlib"
# Reads the archive identifiers' JSON text of (tenant, transfer id) in a transaction of its own.
PairsReader = Callable[[str, str], str]


class SqlTransferRepository:
    def __init__(self, conn: Connection, tenant: str, pairs: PairsReader | None = None) -> None:
        self.conn = conn
        self.tenant = tenant
        self._pairs = pairs

    def add(self, transfer: Transfer) -> bool:
        """Only the transfer's own MessageIdentifier being known means "already known"."""
        if transfer.organisation != self.tenant:
            raise ValueError(f"transfer of {transfer.organisation} in a unit of {self.tenant}")
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(t.transfers)
            .values(_row(transfer, self.tenant))
            .on_conflict_do_nothing(index_elements=["tenant", "message_identifier"])
            .returning(t.transfers.c.id)
        )
        return self.conn.execute(statement).first() is not None

    def get(self, transfer_id: str) -> Transfer:
        row = self.conn.execute(self._select(t.transfers.c.id == transfer_id)).first()
        if row is None:
            raise TransferNotFound(f"Transfert {transfer_id} introuvable")
        return self._transfer(row._mapping)

    def reply(self, transfer_id: str) -> bytes | None:
        columns = t.transfers.c
        query = select(columns.reply, columns.reply_encoding).where(
            columns.tenant == self.tenant, columns.id == transfer_id
        )
        found = self.conn.execute(query).first()
        if found is None:
            raise TransferNotFound(f"Transfert {transfer_id} introuvable")
        if found.reply is None:
            return None
        reply = bytes(found.reply)
        return zlib.decompress(reply) if found.reply_encoding == ZLIB else reply

    def archive_identifiers_text(self, transfer_id: str) -> str:
        """The JSON text of the transfer's archive identifiers."""
        columns = t.transfers.c
        query = select(columns.archive_identifiers, columns.archive_identifiers_zlib).where(
            columns.tenant == self.tenant, columns.id == transfer_id
        )
        text, compressed = self.conn.execute(query).one()
        return str(text) if compressed is None else zlib.decompress(compressed).decode()

    def find_by_message(self, message_identifier: str) -> Transfer | None:
        query = self._select(t.transfers.c.message_identifier == message_identifier)
        row = self.conn.execute(query).first()
        return None if row is None else self._transfer(row._mapping)

    def in_state(self, state: TransferState, page: Page | None = None) -> list[Transfer]:
        query = self._select(t.transfers.c.state == state.value).order_by(
            t.transfers.c.received_at, t.transfers.c.id
        )
        if page is not None:
            query = query.limit(page.limit).offset(page.offset)
        return [self._transfer(r._mapping) for r in self.conn.execute(query)]

    def record_checks(self, transfer_id: str, outcome: CheckOutcome) -> None:
        changes = {
            "state": TransferState.CHECKED.value,
            "issues": _issues(outcome.issues),
            "seda_version": outcome.seda_version,
            "signer": outcome.signer,
            "signature_checks": _verdicts(outcome.signature_checks),
        }
        if not self._change(transfer_id, TransferState.RECEIVED, changes):
            raise TransferAlreadyDecided(f"Le transfert {transfer_id} a déjà été contrôlé")

    def move(self, transfer_id: str, before: TransferState, after: TransferState) -> None:
        if not self._change(transfer_id, before, {"state": after.value}):
            raise TransferAlreadyDecided(
                f"Le transfert {transfer_id} n'est plus à l'état {before.value}"
            )

    def claim(self, transfer_id: str, decision: Decision) -> None:
        changes = {
            "state": TransferState.ACCEPTING.value,
            "comment": decision.comment,
            "decided_by": decision.archivist,
        }
        if not self._change(transfer_id, TransferState.AWAITING_REVIEW, changes):
            raise TransferAlreadyDecided(
                f"Le transfert {transfer_id} n'est plus à l'état awaiting_review"
            )

    def unclaim(self, transfer_id: str) -> None:
        changes = {
            "state": TransferState.AWAITING_REVIEW.value,
            "comment": None,
            "decided_by": None,
        }
        if not self._change(transfer_id, TransferState.ACCEPTING, changes):
            raise TransferAlreadyDecided(
                f"Le transfert {transfer_id} n'est plus à l'état accepting"
            )

    def decide(
        self, transfer_id: str, before: TransferState, after: TransferState, record: DecisionRecord
    ) -> None:
        values = {
            "new_state": after.value,
            "new_reply": record.reply
            if record.reply_encoding == ZLIB
            else zlib.compress(record.reply),
            "new_reply_encoding": ZLIB,
            "new_comment": record.decision.comment,
            "new_decided_by": record.decision.archivist,
            "new_decided_at": record.decided_at,
            "new_archive_identifiers": "",
            "new_archive_identifiers_zlib": _pairs(record.archive_identifiers),
            "the_id": transfer_id,
            "the_state": before.value,
        }
        if self.conn.execute(self._decision(), values).rowcount != 1:
            raise TransferAlreadyDecided(f"Le transfert {transfer_id} a déjà été traité")
        self.add_objects(record.objects)

    def add_objects(self, objects: Sequence[ArchivedObject]) -> None:
        if objects:
            rows = [{**_object_row(o), "tenant": self.tenant} for o in objects]
            self.conn.execute(insert(t.archived_objects), rows)

    def objects(self, transfer_id: str) -> list[ArchivedObject]:
        columns = [t.archived_objects.c[name] for name in _OBJECT_COLUMNS]
        query = (
            select(*columns)
            .where(
                t.archived_objects.c.tenant == self.tenant,
                t.archived_objects.c.transfer_id == transfer_id,
            )
            .order_by(t.archived_objects.c.object_id)
        )
        return [ArchivedObject(*row) for row in self.conn.execute(query)]

    def _select(self, condition: ColumnElement[bool]) -> Select[Any]:
        columns = [c for c in t.transfers.c if c.name not in _LARGE]
        replied = t.transfers.c.reply.is_not(None).label("replied")
        return select(*columns, replied).where(t.transfers.c.tenant == self.tenant, condition)

    def _decision(self) -> Any:
        """The decision's UPDATE, every value a bound parameter (module docstring)."""
        return (
            update(t.transfers)
            .where(
                t.transfers.c.tenant == self.tenant,
                t.transfers.c.id == bindparam("the_id"),
                t.transfers.c.state == bindparam("the_state"),
            )
            .values({name: bindparam(f"new_{name}") for name in _DECIDED})
        )

    def _transfer(self, row: Mapping[Any, Any]) -> Transfer:
        if self._pairs is None:  # no database to read from later: read now
            return _transfer(row, ArchivePairs(self.archive_identifiers_text(row["id"])))
        return _transfer(row, ArchivePairs(partial(self._pairs, self.tenant, row["id"])))

    def _change(self, transfer_id: str, before: TransferState, changes: dict[str, Any]) -> bool:
        statement = (
            update(t.transfers)
            .where(
                t.transfers.c.tenant == self.tenant,
                t.transfers.c.id == transfer_id,
                t.transfers.c.state == before.value,
            )
            .values(changes)
        )
        return self.conn.execute(statement).rowcount == 1


def _pairs(pairs: Iterable[tuple[str, str]]) -> bytes:
    """The JSON list of ``[unit, archive]`` pairs, compressed as it is written, one pair at a
    time (the 6.5 MB of 100,000 pairs are never held whole)."""
    packer = zlib.compressobj()
    out = io.BytesIO()
    out.write(packer.compress(b"["))
    for n, pair in enumerate(pairs):
        out.write(packer.compress((("," if n else "") + json.dumps(list(pair))).encode()))
    out.write(packer.compress(b"]"))
    out.write(packer.flush())
    return out.getvalue()


def _issues(issues: tuple[CheckIssue, ...]) -> str:
    return json.dumps([i.__dict__ for i in issues], ensure_ascii=False)


def _object_row(obj: ArchivedObject) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in _OBJECT_COLUMNS}


def _row(transfer: Transfer, tenant: str) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "id": transfer.id,
        "message_identifier": transfer.message_identifier,
        "package_sha256": transfer.package_sha256,
        "transferring_agency": transfer.transferring_agency,
        "state": transfer.state.value,
        "quarantine_path": str(transfer.quarantine_path),
        "acknowledgement": transfer.acknowledgement,
        "received_at": transfer.received_at,
        "issues": _issues(transfer.issues),
        "seda_version": transfer.seda_version,
        "reply": None,  # written by the decision only
        "comment": transfer.comment,
        "decided_by": transfer.decided_by,
        "archive_identifiers": json.dumps([list(p) for p in transfer.archive_identifiers]),
        "manifest_digest": ":".join(transfer.manifest_digest) if transfer.manifest_digest else None,
        "signer": transfer.signer,
        "signature_checks": _verdicts(transfer.signature_checks),
    }


def _transfer(row: Mapping[Any, Any], pairs: ArchivePairs) -> Transfer:
    return Transfer(
        id=row["id"],
        organisation=row["tenant"],
        message_identifier=row["message_identifier"],
        package_sha256=row["package_sha256"],
        transferring_agency=row["transferring_agency"],
        state=TransferState(row["state"]),
        quarantine_path=Path(row["quarantine_path"]),
        acknowledgement=bytes(row["acknowledgement"]),
        received_at=row["received_at"],
        issues=tuple(CheckIssue(**i) for i in json.loads(row["issues"])),
        seda_version=row["seda_version"],
        replied=bool(row["replied"]),
        comment=row["comment"],
        decided_by=row["decided_by"],
        archive_identifiers=pairs,
        manifest_digest=_digest_pair(row["manifest_digest"]),
        signer=row["signer"],
        signature_checks=_read_verdicts(row["signature_checks"]),
    )


def _verdicts(verdicts: tuple[SignatureVerdict, ...]) -> str | None:
    return json.dumps([asdict(v) for v in verdicts]) if verdicts else None


def _read_verdicts(encoded: str | None) -> tuple[SignatureVerdict, ...]:
    if not encoded:
        return ()
    return tuple(
        SignatureVerdict(**{**v, "reasons": tuple(v["reasons"])}) for v in json.loads(encoded)
    )


def _digest_pair(encoded: str | None) -> tuple[str, str] | None:
    if encoded is None:
        return None
    algorithm, _, value = encoded.partition(":")
    return algorithm, value
