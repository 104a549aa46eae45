"""SQL persistence of transfers to an archival repository, and of the replies they got.

``claim`` inserts with ``ON CONFLICT DO NOTHING`` on both dialects: of two processes sending the
same MessageIdentifier at once exactly one inserts, so a transfer never has a second row.
"""

from __future__ import annotations

import hashlib
import zlib
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, and_, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from ged.adapters.db import tables as t
from ged.adapters.db.rows import as_utc, optional_utc
from ged.services.ports import TransferRecord, TransferState
from kernel.paging import Page

# A reply larger than this is stored compressed: a repository's reply to a transfer of 100,000
# documents lists 100,000 units (10 MB of XML, some 1.5 MB deflated), which the database
# would otherwise copy several times while writing it.
COMPRESSED_ABOVE: Final = 256 * 1024

# states in which a transfer still waits for something: a retry or a poll
_WAITING = (
    TransferState.PREPARED,  # a push whose process died: resumed once its lease is over
    TransferState.SENT,
    TransferState.ACKNOWLEDGED,
    TransferState.ERROR_SENDING,
    TransferState.ERROR_POLLING,
)


class SqlTransferRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, message_identifier: str) -> TransferRecord | None:
        row = (
            self.conn.execute(
                select(t.transfers).where(t.transfers.c.message_identifier == message_identifier)
            )
            .mappings()
            .first()
        )
        return None if row is None else _record(row)

    def claim(self, record: TransferRecord) -> bool:
        values = _values(record)
        if self.conn.dialect.name == "postgresql":
            stmt: Any = postgresql.insert(t.transfers).values(values).on_conflict_do_nothing()
        else:
            stmt = sqlite.insert(t.transfers).values(values).on_conflict_do_nothing()
        # RETURNING rather than rowcount: drivers disagree on rowcount after DO NOTHING
        returned = self.conn.execute(stmt.returning(t.transfers.c.message_identifier))
        return returned.first() is not None

    def save(self, record: TransferRecord) -> None:
        self.conn.execute(
            update(t.transfers)
            .where(t.transfers.c.message_identifier == record.message_identifier)
            .values(_values(record))
        )

    def delete(self, message_identifier: str) -> None:
        self.conn.execute(
            delete(t.transfer_replies).where(
                t.transfer_replies.c.message_identifier == message_identifier
            )
        )
        self.conn.execute(
            delete(t.transfers).where(t.transfers.c.message_identifier == message_identifier)
        )

    def save_reply(self, message_identifier: str, data: bytes, received_at: datetime) -> None:
        """Replaces the transfer's stored reply (one row per transfer: the latest heard)."""
        c = t.transfer_replies.c
        self.conn.execute(
            delete(t.transfer_replies).where(c.message_identifier == message_identifier)
        )
        compressed = len(data) > COMPRESSED_ABOVE
        self.conn.execute(
            insert(t.transfer_replies).values(
                message_identifier=message_identifier,
                received_at=received_at,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                content=zlib.compress(data) if compressed else data,
                encoding="zlib" if compressed else "identity",
            )
        )

    def get_reply(self, message_identifier: str) -> bytes | None:
        c = t.transfer_replies.c
        query = select(c.content, c.encoding).where(c.message_identifier == message_identifier)
        found = self.conn.execute(query).first()
        if found is None:
            return None
        content = bytes(found.content)
        return zlib.decompress(content) if found.encoding == "zlib" else content

    def due(self, organisation_id: str, now: datetime) -> list[TransferRecord]:
        c = t.transfers.c
        query = (
            select(t.transfers)
            .where(
                and_(
                    c.organisation_id == organisation_id,
                    c.state.in_([s.value for s in _WAITING]),
                    c.next_attempt_at.is_not(None),
                    c.next_attempt_at <= now,
                )
            )
            .order_by(c.next_attempt_at, c.message_identifier)
        )
        return [_record(row) for row in self.conn.execute(query).mappings()]

    def listing(
        self,
        organisation_id: str,
        state: TransferState | None,
        page: Page,
        created_by: str | None = None,
    ) -> list[TransferRecord]:
        c = t.transfers.c
        query = select(t.transfers).where(c.organisation_id == organisation_id)
        if state is not None:
            query = query.where(c.state == state.value)
        if created_by is not None:
            query = query.where(c.created_by == created_by)
        query = query.order_by(c.created_at.desc(), c.message_identifier)
        query = query.limit(page.limit).offset(page.offset)
        return [_record(row) for row in self.conn.execute(query).mappings()]


def _values(r: TransferRecord) -> dict[str, Any]:
    return {
        "message_identifier": r.message_identifier,
        "organisation_id": r.organisation_id,
        "dossiers": list(r.dossiers),
        "connector": r.connector,
        "transferring_agency": r.transferring_agency,
        "state": r.state.value,
        "acknowledged": r.acknowledged,
        "remote_reference": r.remote_reference,
        "locators": dict(r.locators),
        "sip_path": r.sip_path,
        "sip_sha256": r.sip_sha256,
        "attempts": r.attempts,
        "next_attempt_at": r.next_attempt_at,
        "last_error_code": r.last_error_code,
        "last_error_message": r.last_error_message,
        "reasons": list(r.reasons),
        "outcome": r.outcome,
        "history": list(r.history),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "created_by": r.created_by,
        "agreement": r.agreement,
        "signature": r.signature,
        "give_up_at": r.give_up_at,
        "manifest_sha256": r.manifest_sha256,
    }


def _record(row: RowMapping) -> TransferRecord:
    return TransferRecord(
        message_identifier=row["message_identifier"],
        organisation_id=row["organisation_id"],
        dossiers=tuple(row["dossiers"]),
        connector=row["connector"],
        transferring_agency=row["transferring_agency"],
        state=TransferState(row["state"]),
        sip_path=row["sip_path"],
        sip_sha256=row["sip_sha256"],
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        created_by=row["created_by"],
        acknowledged=bool(row["acknowledged"]),
        remote_reference=row["remote_reference"],
        locators=dict(row["locators"]),
        attempts=row["attempts"],
        next_attempt_at=optional_utc(row["next_attempt_at"]),
        last_error_code=row["last_error_code"],
        last_error_message=row["last_error_message"],
        reasons=tuple(row["reasons"]),
        outcome=row["outcome"],
        history=tuple(row["history"]),
        agreement=row["agreement"],
        signature=row["signature"],
        give_up_at=optional_utc(row["give_up_at"]),
        manifest_sha256=row["manifest_sha256"],
    )
