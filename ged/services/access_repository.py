"""The port of who may act: the grants of roles (who gave each one, and when).

Implemented by ``ged.adapters.db.access_repository.SqlAccessRepository``; mypy checks that the
adapter satisfies it (``SqlUnitOfWork.access``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from ged.domain.access import RoleGrant
from ged.domain.model import Role


class AccessRepository(Protocol):
    def grant_roles(
        self, principal_id: str, roles: Iterable[Role], granted_by: str, at: datetime
    ) -> None: ...

    def role_grant(self, principal_id: str, role: Role) -> RoleGrant | None: ...
