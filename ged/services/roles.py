"""An administrator grants a person a role, or takes it back.

Every grant is recorded with who gave it and when (``role_grants``): the visa of an elimination
depends on it (``ged.domain.visa``: an archivist appointed by the author of a proposal, or after
it, may not approve it). Taking a role back forgets its grant, so giving it again is a new grant,
by its new author, at its new date. Both are written to the operation log in the same
transaction. An administrator keeps their own administrator role (the organisation would lose
its last one otherwise), and a person keeps at least one role (disable the account instead).
"""

from __future__ import annotations

from ged.domain.access import ROLE_NAMES, Principal, RoleGrant
from ged.domain.model import Role
from ged.services.accounts import AccountNotFound, load_account
from ged.services.context import Context
from ged.services.ports import UnitOfWork
from kernel.errors import ConflictError, InvalidError, Issue


class RoleAlreadyHeld(ConflictError):
    code = "role_already_held"
    title = "Rôle déjà accordé"


class RoleNotHeld(ConflictError):
    code = "role_not_held"
    title = "Rôle non détenu"


class LastRole(ConflictError):
    code = "last_role"
    title = "Un compte garde au moins un rôle"


class OwnAdministratorRole(ConflictError):
    code = "own_administrator_role"
    title = "Un administrateur garde son propre rôle d'administrateur"


def grant_role(ctx: Context, actor: Principal, login: str, role: Role) -> RoleGrant:
    """``role`` for the person of ``login``, granted by ``actor`` now; logged."""
    actor.ensure_role(Role.ADMIN)
    if role is Role.APPLICATION:
        message = "Le rôle « client applicatif » est réservé aux clients applicatifs"
        issue = Issue("application_role_for_person", message, path="role")
        raise InvalidError(message, issues=[issue])
    now = ctx.clock()
    with ctx.uow() as uow:
        principal = _locked(uow, actor, login, "account.role_grant", role)
        if role in principal.roles:
            raise RoleAlreadyHeld(f"« {login} » est déjà {ROLE_NAMES[role]}")
        uow.access.set_roles(principal.id, principal.roles | {role})
        uow.access.grant_roles(principal.id, {role}, actor.id, now)
        uow.commit()
    return RoleGrant(principal.id, role, actor.id, now)


def revoke_role(ctx: Context, actor: Principal, login: str, role: Role) -> None:
    """Takes ``role`` back from the person of ``login`` and forgets its grant; logged."""
    with ctx.uow() as uow:
        principal = _locked(uow, actor, login, "account.role_revoke", role)
        if role not in principal.roles:
            raise RoleNotHeld(f"« {login} » n'a pas le rôle {ROLE_NAMES[role]}")
        if principal.id == actor.id and role is Role.ADMIN:
            raise OwnAdministratorRole(
                "Vous ne pouvez pas retirer votre propre rôle d'administrateur : "
                "demandez-le à un autre administrateur"
            )
        if principal.roles == {role}:
            raise LastRole(
                f"« {login} » n'a pas d'autre rôle : désactivez le compte plutôt que de le vider"
            )
        uow.access.set_roles(principal.id, principal.roles - {role})
        uow.access.revoke_grant(principal.id, role)
        uow.commit()


def _locked(uow: UnitOfWork, actor: Principal, login: str, action: str, role: Role) -> Principal:
    """The person of ``login`` (an administrator's own organisation only; another's account is
    not found), read again once the log entry is written: appending to the log serialises
    writers (SQLite's write lock, PostgreSQL's advisory lock), so two concurrent changes of the
    same person's roles see each other."""
    _, principal = load_account(uow, actor, login, self_allowed=False)
    details = {"login": login, "role": role.value}
    uow.log(actor.id, action, "principal", principal.id, principal.organisation_id, details)
    fresh = uow.repo.get_principal(principal.id)
    if fresh is None:  # principals are never deleted; read in this very transaction
        raise AccountNotFound(f"Compte « {login} » introuvable")
    return fresh
