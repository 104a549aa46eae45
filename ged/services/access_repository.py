"""The port of who may act: the grants of roles (who gave each one, and when) and the bearer
tokens (their SHA-256, expiry and revocation).

Implemented by ``ged.adapters.db.access_repository.SqlAccessRepository``; mypy checks that the
adapter satisfies it (``SqlUnitOfWork.access``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from ged.domain.access import RoleGrant, StoredToken
from ged.domain.model import Role


class AccessRepository(Protocol):
    def grant_roles(
        self, principal_id: str, roles: Iterable[Role], granted_by: str, at: datetime
    ) -> None: ...

    def role_grant(self, principal_id: str, role: Role) -> RoleGrant | None: ...

    def grants_of(self, principal_ids: Sequence[str]) -> list[RoleGrant]:
        """The recorded grants of these principals, by principal and role."""
        ...

    def revoke_grant(self, principal_id: str, role: Role) -> bool:
        """Forgets the grant of ``role`` (a later grant is a new one); False when there was none."""
        ...

    def set_roles(self, principal_id: str, roles: Iterable[Role]) -> None:
        """The roles the principal holds from now on."""
        ...

    def add_token(self, token: StoredToken, token_hash: str) -> None: ...

    def token_by_hash(self, token_hash: str) -> StoredToken | None: ...

    def tokens_of_organisation(
        self, org_id: str, token_id: str | None = None
    ) -> list[tuple[StoredToken, str]]:
        """The organisation's tokens (or the one ``token_id``) with their holder's name."""
        ...

    def revoke_token(self, token_id: str, at: datetime) -> bool:
        """Marks the token revoked; False when it already was."""
        ...
