"""The tenants (``TenantDirectory``, the platform's view) and bearer tokens (``TokenRepository``:
one tenant's, or the platform administrators' when the tenant is None)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from sae.adapters.db import tables as t
from sae.model import Tenant, TokenRecord
from sae.ports import (
    StoragePrefixTaken,
    TenantAlreadyExists,
    TenantNotFound,
    TokenAlreadyRevoked,
    TokenNotFound,
)

_TENANTS: Final = t.tenants
_TOKENS: Final = t.tokens


class SqlTenantDirectory:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, tenant: Tenant) -> None:
        clash = self.conn.execute(
            select(_TENANTS.c.id).where(
                (_TENANTS.c.id == tenant.identifier)
                | (_TENANTS.c.storage_prefix == tenant.storage_prefix)
            )
        ).first()
        if clash is not None and clash[0] == tenant.identifier:
            raise TenantAlreadyExists(f"Le locataire {tenant.identifier} existe déjà")
        if clash is not None:
            raise StoragePrefixTaken(
                f"Le préfixe de stockage « {tenant.storage_prefix} » est celui de {clash[0]}"
            )
        row = {
            "id": tenant.identifier,
            "name": tenant.name,
            "storage_prefix": tenant.storage_prefix,
            "created_at": tenant.created_at,
        }
        try:
            self.conn.execute(insert(_TENANTS), row)
        except IntegrityError as exc:  # created meanwhile by another transaction
            raise TenantAlreadyExists(f"Le locataire {tenant.identifier} existe déjà") from exc

    def get(self, identifier: str) -> Tenant:
        row = self.conn.execute(select(_TENANTS).where(_TENANTS.c.id == identifier)).first()
        if row is None:
            raise TenantNotFound(f"Locataire {identifier} introuvable")
        return _tenant(row._mapping)

    def all(self) -> list[Tenant]:
        rows = self.conn.execute(select(_TENANTS).order_by(_TENANTS.c.id))
        return [_tenant(r._mapping) for r in rows]


class SqlTokens:
    """Tokens of one tenant, or of the platform (``tenant`` None)."""

    def __init__(self, conn: Connection, tenant: str | None) -> None:
        self.conn = conn
        self.tenant = tenant

    def add(self, token: TokenRecord) -> None:
        if token.tenant != self.tenant:
            raise ValueError(f"token of {token.tenant} in a unit of work of {self.tenant}")
        self.conn.execute(insert(_TOKENS), token_row(token))

    def listing(self) -> list[TokenRecord]:
        query = select(_TOKENS).where(self._mine()).order_by(_TOKENS.c.created_at)
        return [token_record(r._mapping) for r in self.conn.execute(query)]

    def revoke(self, token_id: str, at: datetime) -> TokenRecord:
        query = select(_TOKENS).where(self._mine(), _TOKENS.c.digest.startswith(token_id))
        found = [token_record(r._mapping) for r in self.conn.execute(query)]
        found = [f for f in found if f.token_id == token_id]
        if not found:
            raise TokenNotFound(f"Jeton {token_id} introuvable")
        if found[0].revoked_at is not None:
            raise TokenAlreadyRevoked(f"Le jeton {token_id} est déjà révoqué")
        statement = (
            update(_TOKENS)
            .where(self._mine(), _TOKENS.c.digest == found[0].digest)
            .values(revoked_at=at)
        )
        self.conn.execute(statement)
        return token_record({**token_row(found[0]), "revoked_at": at})

    def _mine(self) -> Any:
        if self.tenant is None:
            return _TOKENS.c.tenant.is_(None)
        return _TOKENS.c.tenant == self.tenant


def token_row(token: TokenRecord) -> dict[str, Any]:
    return {
        "digest": token.digest,
        "tenant": token.tenant,
        "name": token.name,
        "role": token.role,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


def token_record(row: Mapping[Any, Any]) -> TokenRecord:
    return TokenRecord(
        digest=row["digest"],
        tenant=row["tenant"],
        name=row["name"],
        role=row["role"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


def _tenant(row: Mapping[Any, Any]) -> Tenant:
    return Tenant(row["id"], row["name"], row["storage_prefix"], row["created_at"])
