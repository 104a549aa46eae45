"""SQL queries of role grants (who granted each role of a principal, and when) and of bearer
tokens (stored as their SHA-256 only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from ged.adapters.db import tables as t
from ged.adapters.db.rows import as_utc, optional_utc
from ged.domain.access import RoleGrant, StoredToken
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
        return None if row is None else _grant(row)

    def grants_of(self, principal_ids: Sequence[str]) -> list[RoleGrant]:
        c = t.role_grants.c
        query = (
            select(t.role_grants)
            .where(c.principal_id.in_(list(principal_ids)))
            .order_by(c.principal_id, c.role)
        )
        return [_grant(row) for row in self.conn.execute(query).mappings()]

    def revoke_grant(self, principal_id: str, role: Role) -> bool:
        c = t.role_grants.c
        done = self.conn.execute(
            delete(t.role_grants).where(c.principal_id == principal_id, c.role == role.value)
        )
        return done.rowcount == 1

    def set_roles(self, principal_id: str, roles: Iterable[Role]) -> None:
        held = ",".join(sorted(r.value for r in roles))
        self.conn.execute(
            update(t.principals).where(t.principals.c.id == principal_id).values(roles=held)
        )

    def add_token(self, token: StoredToken, token_hash: str) -> None:
        self.conn.execute(
            insert(t.tokens).values(
                id=token.id,
                principal_id=token.principal_id,
                token_hash=token_hash,
                label=token.label,
                created_at=token.created_at,
                expires_at=token.expires_at,
            )
        )

    def token_by_hash(self, token_hash: str) -> StoredToken | None:
        query = select(t.tokens).where(t.tokens.c.token_hash == token_hash)
        row = self.conn.execute(query).mappings().first()
        return None if row is None else _token(row)

    def tokens_of_organisation(
        self, org_id: str, token_id: str | None = None
    ) -> list[tuple[StoredToken, str]]:
        query = (
            select(t.tokens, t.principals.c.name.label("principal_name"))
            .join(t.principals, t.principals.c.id == t.tokens.c.principal_id)
            .where(t.principals.c.organisation_id == org_id)
            .order_by(t.tokens.c.created_at, t.tokens.c.id)
        )
        if token_id is not None:
            query = query.where(t.tokens.c.id == token_id)
        return [(_token(r), r["principal_name"]) for r in self.conn.execute(query).mappings()]

    def revoke_token(self, token_id: str, at: datetime) -> bool:
        c = t.tokens.c
        done = self.conn.execute(
            update(t.tokens).where(c.id == token_id, c.revoked_at.is_(None)).values(revoked_at=at)
        )
        return done.rowcount == 1


def _token(row: RowMapping) -> StoredToken:
    return StoredToken(
        id=row["id"],
        principal_id=row["principal_id"],
        label=row["label"],
        created_at=as_utc(row["created_at"]),
        expires_at=optional_utc(row["expires_at"]),
        revoked_at=optional_utc(row["revoked_at"]),
    )


def _grant(row: RowMapping) -> RoleGrant:
    return RoleGrant(
        row["principal_id"], Role(row["role"]), row["granted_by"], as_utc(row["granted_at"])
    )
