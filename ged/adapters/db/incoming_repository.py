"""SQL side of ``ged.services.incoming_ports``: the ``incoming_messages`` table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from ged.adapters.db import tables as t
from ged.adapters.db.rows import as_utc
from ged.services.incoming_ports import IncomingMessage, IncomingState

_M = t.incoming_messages


class SqlIncomingRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, message: IncomingMessage) -> bool:
        if self.get(message.organisation_id, message.message_identifier) is not None:
            return False
        self.conn.execute(insert(_M), _values(message))
        return True

    def get(self, organisation_id: str, message_identifier: str) -> IncomingMessage | None:
        query = select(_M).where(
            _M.c.organisation_id == organisation_id, _M.c.message_identifier == message_identifier
        )
        row = self.conn.execute(query).mappings().first()
        return None if row is None else _message(row)

    def save(self, message: IncomingMessage) -> None:
        self.conn.execute(
            update(_M)
            .where(
                _M.c.organisation_id == message.organisation_id,
                _M.c.message_identifier == message.message_identifier,
            )
            .values(_values(message))
        )

    def listing(self, organisation_id: str, state: IncomingState | None) -> list[IncomingMessage]:
        query = select(_M).where(_M.c.organisation_id == organisation_id)
        if state is not None:
            query = query.where(_M.c.state == state.value)
        query = query.order_by(_M.c.received_at, _M.c.message_identifier)
        return [_message(row) for row in self.conn.execute(query).mappings()]


def _values(m: IncomingMessage) -> dict[str, Any]:
    return {
        "organisation_id": m.organisation_id,
        "message_identifier": m.message_identifier,
        "agreement": m.agreement,
        "message_type": m.message_type,
        "received_at": m.received_at,
        "raw": m.raw,
        "units": list(m.units),
        "dossiers": list(m.dossiers),
        "state": m.state.value,
        "answer": m.answer,
        "comment": m.comment,
        "answered_by": m.answered_by,
        "answered_at": m.answered_at,
        "reply_identifier": m.reply_identifier,
    }


def _message(row: RowMapping) -> IncomingMessage:
    answered_at = row["answered_at"]
    return IncomingMessage(
        organisation_id=row["organisation_id"],
        message_identifier=row["message_identifier"],
        agreement=row["agreement"],
        message_type=row["message_type"],
        received_at=as_utc(row["received_at"]),
        raw=bytes(row["raw"]),
        units=tuple(row["units"]),
        dossiers=tuple(row["dossiers"]),
        state=IncomingState(row["state"]),
        answer=row["answer"],
        comment=row["comment"],
        answered_by=row["answered_by"],
        answered_at=None if answered_at is None else as_utc(answered_at),
        reply_identifier=row["reply_identifier"],
    )
