"""People's accounts: created by an administrator, with a password or for single sign-on only,
given a new password, disabled.

A person is a principal of kind user (roles, services, role grants as for any principal) with an
account whose login is unique on the whole platform. Passwords are hashed (argon2id) before the
transaction opens, so a slow hash never holds the database's write lock. Disabling an account
revokes its web sessions and its API tokens stop working on the next request
(``admin.authenticate``); every change is written to the operation log in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ged.domain.access import Principal
from ged.domain.model import PrincipalKind, Role
from ged.services.admin import PrincipalExists
from ged.services.context import Context, new_id
from ged.services.ports import UnitOfWork
from kernel.accounts.model import Account, LoginExists, login_issues, password_issues
from kernel.errors import ConflictError, ForbiddenError, InvalidError, Issue, NotFoundError


class AccountNotFound(NotFoundError):
    code = "account_not_found"
    title = "Compte introuvable"


class AccountAlreadyDisabled(ConflictError):
    code = "account_already_disabled"
    title = "Compte déjà désactivé"


@dataclass(frozen=True)
class NewPerson:
    """What an administrator gives to create a person's account."""

    login: str
    roles: frozenset[Role]
    service_ids: frozenset[str] = frozenset()
    email: str | None = None
    password: str | None = None  # None: single sign-on only, or a password set later


@dataclass(frozen=True)
class Person:
    principal: Principal
    account: Account


def create_person(
    ctx: Context, actor: Principal, person: NewPerson, organisation_id: str | None = None
) -> Person:
    """A user principal and its account, its roles granted by ``actor`` now; logged."""
    org = _organisation_for(actor, organisation_id)
    _check(person)
    hashed = ctx.passwords.hash(person.password) if person.password else None
    with ctx.uow() as uow:
        _ensure_free(uow, org, person)
        now = ctx.clock()
        principal = Principal(
            new_id(), person.login, org, person.roles, person.service_ids, False, PrincipalKind.USER
        )
        uow.repo.add_principal(principal, now)
        uow.access.grant_roles(principal.id, person.roles, actor.id, now)
        account = Account(principal.id, person.login, now, person.email or None, hashed)
        uow.accounts.add(account)
        details = {
            "login": person.login,
            "roles": sorted(r.value for r in person.roles),
            "password": hashed is not None,
        }
        uow.log(actor.id, "account.create", "principal", principal.id, org, details)
        uow.commit()
    return Person(principal, account)


def set_password(ctx: Context, actor: Principal, login: str, password: str) -> None:
    """An administrator sets anyone's password in their organisation; a person their own. The
    count of failures and any lock are cleared."""
    issues = password_issues(password)
    if issues:
        raise InvalidError("Mot de passe refusé", issues=issues)
    hashed = ctx.passwords.hash(password)
    with ctx.uow() as uow:
        account, principal = load_account(uow, actor, login, self_allowed=True)
        uow.accounts.save(replace(account.after_success(), password_hash=hashed))
        details = {"login": login}
        uow.log(
            actor.id,
            "account.password",
            "principal",
            principal.id,
            principal.organisation_id,
            details,
        )
        uow.commit()


def disable_account(ctx: Context, actor: Principal, login: str) -> Account:
    """Refuses the person from their next request on: web sessions revoked, tokens refused."""
    with ctx.uow() as uow:
        account, principal = load_account(uow, actor, login, self_allowed=False)
        if account.disabled_at is not None:
            raise AccountAlreadyDisabled(f"Le compte « {login} » est déjà désactivé")
        now = ctx.clock()
        disabled = replace(account, disabled_at=now)
        uow.accounts.save(disabled)
        revoked = uow.accounts.revoke_sessions_of(principal.id, now)
        details = {"login": login, "sessions_revoked": revoked}
        uow.log(
            actor.id,
            "account.disable",
            "principal",
            principal.id,
            principal.organisation_id,
            details,
        )
        uow.commit()
    return disabled


def list_people(ctx: Context, actor: Principal) -> list[Person]:
    """The accounts of the administrator's organisation, by login."""
    actor.ensure_role(Role.ADMIN)
    with ctx.uow() as uow:
        found = uow.accounts.of_organisation(actor.organisation_id)
        people = [(a, uow.repo.get_principal(a.principal_id)) for a in found]
    return [Person(p, a) for a, p in people if p is not None]


def services_named(ctx: Context, actor: Principal, seda_ids: Iterable[str]) -> frozenset[str]:
    """The ids of the organisation's services with these SEDA identifiers."""
    found = set()
    with ctx.uow() as uow:
        for seda_id in seda_ids:
            service = uow.repo.find_service(actor.organisation_id, seda_id)
            if service is None:
                raise NotFoundError(f"Service « {seda_id} » introuvable")
            found.add(service.id)
    return frozenset(found)


def _organisation_for(actor: Principal, organisation_id: str | None) -> str:
    actor.ensure_role(Role.ADMIN)
    org = organisation_id or actor.organisation_id
    if org != actor.organisation_id and not actor.platform_admin:
        raise ForbiddenError("Réservé aux administrateurs de la plateforme")
    return org


def _check(person: NewPerson) -> None:
    issues = login_issues(person.login)
    if person.password is not None:
        issues += password_issues(person.password)
    if not person.roles:
        issues.append(Issue("roles_required", "Au moins un rôle est requis", path="roles"))
    if Role.APPLICATION in person.roles:
        message = "Le rôle « application » est réservé aux clients applicatifs"
        issues.append(Issue("application_role_for_person", message, path="roles"))
    if person.email is not None and person.email and "@" not in person.email:
        issues.append(Issue("bad_email", "Adresse électronique invalide", path="email"))
    if issues:
        raise InvalidError("Compte invalide", issues=issues)


def _ensure_free(uow: UnitOfWork, org: str, person: NewPerson) -> None:
    if uow.repo.get_organisation(org) is None:
        raise NotFoundError("Organisation introuvable")
    for service_id in sorted(person.service_ids):
        if uow.repo.get_service(org, service_id) is None:
            raise NotFoundError(f"Service {service_id} introuvable")
    if uow.accounts.by_login(person.login) is not None:
        raise LoginExists(f"L'identifiant « {person.login} » est déjà utilisé")
    if uow.repo.find_principal(org, person.login) is not None:
        raise PrincipalExists(f"« {person.login} » existe déjà dans cette organisation")


def load_account(
    uow: UnitOfWork, actor: Principal, login: str, *, self_allowed: bool
) -> tuple[Account, Principal]:
    """The account of ``login`` if ``actor`` may manage it; another organisation's account is
    not found, exactly as a missing one."""
    account = uow.accounts.by_login(login)
    principal = uow.repo.get_principal(account.principal_id) if account else None
    if account is None or principal is None:
        raise AccountNotFound(f"Compte « {login} » introuvable")
    if principal.organisation_id != actor.organisation_id and not actor.platform_admin:
        raise AccountNotFound(f"Compte « {login} » introuvable")
    if not (self_allowed and principal.id == actor.id):
        actor.ensure_role(Role.ADMIN)
    return account, principal
