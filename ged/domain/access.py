"""Who may do what. Isolation between organisations is absolute: the services answer
``NotFoundError`` for another organisation's object, exactly as for a missing one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ged.domain.model import PrincipalKind, Role
from kernel.errors import ForbiddenError, NotFoundError

# The roles as people name them: in messages, and the pages' vocabulary (``ged.presentation``).
ROLE_NAMES: Mapping[Role, str] = {
    Role.AGENT: "agent",
    Role.RECORDS_OFFICER: "référent archives",
    Role.ARCHIVIST: "archiviste",
    Role.ADMIN: "administrateur",
    Role.APPLICATION: "client applicatif",
}
# Roles that read and file in every service of their organisation.
ORGANISATION_WIDE = frozenset({Role.RECORDS_OFFICER, Role.ARCHIVIST, Role.ADMIN})
# Roles that may file (create dossiers, upload) — archivists only read in the GED.
FILERS = frozenset({Role.AGENT, Role.RECORDS_OFFICER, Role.ADMIN, Role.APPLICATION})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a user or an application client."""

    id: str
    name: str
    organisation_id: str
    roles: frozenset[Role]
    service_ids: frozenset[str]
    platform_admin: bool = False
    kind: PrincipalKind = PrincipalKind.USER

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def sees_service(self, service_id: str) -> bool:
        return bool(self.roles & ORGANISATION_WIDE) or service_id in self.service_ids

    def visible_services(self) -> frozenset[str] | None:
        """The services this principal reads in; None means every service of its organisation."""
        return None if self.roles & ORGANISATION_WIDE else self.service_ids

    def ensure_reads(self, organisation_id: str, service_id: str, what: str) -> None:
        if organisation_id != self.organisation_id or not self.sees_service(service_id):
            raise NotFoundError(f"{what} introuvable")

    def ensure_files(self, organisation_id: str, service_id: str, what: str) -> None:
        self.ensure_reads(organisation_id, service_id, what)
        if not self.roles & FILERS:
            raise ForbiddenError("Ce rôle ne permet pas de verser des documents")

    def ensure_role(self, *roles: Role) -> None:
        if not self.has(*roles):
            names = ", ".join(ROLE_NAMES[r] for r in sorted(roles))
            kind = "aux rôles" if len(roles) > 1 else "au rôle"
            raise ForbiddenError(
                f"Action réservée {kind} : {names}", roles=tuple(r.value for r in roles)
            )


@dataclass(frozen=True)
class RoleGrant:
    """Who gave a principal one of its roles, and when: the visa of an elimination depends on
    it (``ged.domain.visa``)."""

    principal_id: str
    role: Role
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True)
class StoredToken:
    """A bearer token as kept: its SHA-256 only, who holds it, and until when it is good."""

    id: str
    principal_id: str
    label: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at
