"""What an administrator reads to manage their organisation: an overview, its services, its
people with their roles (who granted each one, and when: ``role_grants``), their services, their
single sign-on link and whether their account is disabled.

Administrators only; everything is scoped to their organisation (another organisation's account
is not found, exactly as a missing one). The changes are the use cases of ``admin``,
``accounts``, ``roles`` and ``applications``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ged.domain.access import Principal
from ged.domain.model import Organisation, Role, Service
from ged.services.accounts import load_account
from ged.services.admin import list_tokens, principal_names
from ged.services.context import Context
from ged.services.ports import UnitOfWork
from kernel.accounts.model import Account
from kernel.errors import NotFoundError


@dataclass(frozen=True)
class Overview:
    organisation: Organisation
    services: int
    people: int
    disabled: int
    usable_tokens: int  # neither revoked nor expired


@dataclass(frozen=True)
class GrantView:
    role: Role
    granted_by: str  # a name
    granted_at: datetime | None  # None: held from before grants were recorded


@dataclass(frozen=True)
class PersonView:
    principal: Principal
    account: Account
    grants: list[GrantView]
    services: list[Service]
    sso_linked: bool

    @property
    def disabled(self) -> bool:
        return self.account.disabled_at is not None


def overview(ctx: Context, actor: Principal) -> Overview:
    actor.ensure_role(Role.ADMIN)
    now = ctx.clock()
    tokens = list_tokens(ctx, actor)
    with ctx.uow() as uow:
        org = uow.repo.get_organisation(actor.organisation_id)
        services = uow.repo.list_services(actor.organisation_id)
        accounts = uow.accounts.of_organisation(actor.organisation_id)
    if org is None:  # the actor's own organisation
        raise NotFoundError("Organisation introuvable")
    usable = [t for t in tokens if t.token.revoked_at is None and not t.token.expired(now)]
    disabled = [a for a in accounts if a.disabled_at is not None]
    return Overview(org, len(services), len(accounts), len(disabled), len(usable))


def services_of(ctx: Context, actor: Principal) -> list[Service]:
    """The organisation's services, by name, as its administrator manages them."""
    actor.ensure_role(Role.ADMIN)
    with ctx.uow() as uow:
        return uow.repo.list_services(actor.organisation_id)


def people(ctx: Context, actor: Principal) -> list[PersonView]:
    """Every person of the organisation, by login, with their roles and who granted them."""
    actor.ensure_role(Role.ADMIN)
    with ctx.uow() as uow:
        found = []
        for account in uow.accounts.of_organisation(actor.organisation_id):
            principal = uow.repo.get_principal(account.principal_id)
            if principal is not None:
                found.append((account, principal))
        return _views(uow, actor, found)


def person(ctx: Context, actor: Principal, login: str) -> PersonView:
    with ctx.uow() as uow:
        account, principal = load_account(uow, actor, login, self_allowed=False)
        return _views(uow, actor, [(account, principal)])[0]


def _views(
    uow: UnitOfWork, actor: Principal, found: list[tuple[Account, Principal]]
) -> list[PersonView]:
    ids = [p.id for _, p in found]
    grants = uow.access.grants_of(ids)
    names = principal_names(uow, [g.granted_by for g in grants])
    linked = uow.accounts.linked_principals(ids)
    services = {s.id: s for s in uow.repo.list_services(actor.organisation_id)}
    views = []
    for account, principal in found:
        given = {g.role: g for g in grants if g.principal_id == principal.id}
        roles = [
            GrantView(r, names.get(given[r].granted_by, ""), given[r].granted_at)
            if r in given
            else GrantView(r, "", None)
            for r in sorted(principal.roles)
        ]
        held = sorted((services[s] for s in principal.service_ids if s in services), key=_name)
        views.append(PersonView(principal, account, roles, held, principal.id in linked))
    return views


def _name(service: Service) -> str:
    return service.name
