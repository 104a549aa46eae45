"""SQL queries of role grants (who granted each role of a principal, and when)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, insert, select

from ged.adapters.db import tables as t
from ged.adapters.db.rows import as_utc
from ged.domain.access import RoleGrant
from ged.domain.model import Role


class SqlAccessRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def grant_roles(
        self, principal_id: str, roles: Iterable[Role], granted_by: str, at: datetime
    ) -> None:
        rows = [
            {
                "principal_id": principal_id,
                "role": r.value,
                "granted_by": granted_by,
                "granted_at": at,
            }
            for r in sorted(roles)
        ]
        if rows:
            self.conn.execute(insert(t.role_grants), rows)

    def role_grant(self, principal_id: str, role: Role) -> RoleGrant | None:
        c = t.role_grants.c
        row = (
            self.conn.execute(
                select(t.role_grants).where(c.principal_id == principal_id, c.role == role.value)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return RoleGrant(
            row["principal_id"], Role(row["role"]), row["granted_by"], as_utc(row["granted_at"])
        )
