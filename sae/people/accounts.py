"""Creating a person, giving a new password, disabling an account — by the repository's operator
(``gedsae-sae users``), each written to the journal in the transaction of its change.

A person belongs to one tenant, whose log records their changes; a login is unique within the
tenant (``kernel.accounts.model.login_issues``: letters
without accents, digits, « . », « _ », « @ », « - »); a password has at least 12 characters
and is hashed (argon2id) before the transaction opens, so that a slow hash never holds the
database's write lock. A new password clears the failures and the lock; disabling ends every
open session from the person's very next request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from kernel.accounts.model import Account, login_issues, password_issues
from kernel.accounts.ports import PasswordHasher
from kernel.errors import ConflictError, InvalidError, Issue, NotFoundError
from kernel.oplog import LogSpec
from sae.model import PERSON_ROLES, Person, Role
from sae.ports import Database, UnitOfWork


class AccountNotFound(NotFoundError):
    code = "account_not_found"
    title = "Compte introuvable"


class AccountAlreadyDisabled(ConflictError):
    code = "account_already_disabled"
    title = "Compte déjà désactivé"


@dataclass(frozen=True)
class NewPerson:
    login: str
    organisation: str
    role: str
    email: str | None = None
    password: str | None = None  # None: single sign-on only, or a password set later


def create_person(
    db: Database,
    passwords: PasswordHasher,
    clock: Callable[[], datetime],
    new: NewPerson,
    actor: str,
) -> Person:
    """The person and their account; ``LoginExists`` when the login is taken."""
    role = _check(new)
    hashed = passwords.hash(new.password) if new.password else None
    person = Person(str(uuid.uuid4()), new.login, new.organisation, role, new.email)
    with db.unit_of_work(new.organisation) as uow:
        uow.people.add(person, Account(person.id, new.login, clock(), new.email, hashed))
        details = {"login": new.login, "role": new.role, "password": hashed is not None}
        uow.log.append(_spec(actor, "account.create", person, details))
        uow.commit()
    return person


def set_password(
    db: Database,
    passwords: PasswordHasher,
    tenant: str,
    login: str,
    password: str,
    actor: str,
) -> None:
    """A new password; the count of failures and any lock are cleared."""
    issues = password_issues(password)
    if issues:
        raise InvalidError("Mot de passe refusé", issues=issues)
    hashed = passwords.hash(password)
    with db.unit_of_work(tenant) as uow:
        account, person = _load(uow, login)
        uow.people.save(replace(account.after_success(), password_hash=hashed))
        uow.log.append(_spec(actor, "account.password", person, {"login": login}))
        uow.commit()


def disable_account(
    db: Database, clock: Callable[[], datetime], tenant: str, login: str, actor: str
) -> Account:
    """Refuses the person from their next request on: their web sessions are ended."""
    with db.unit_of_work(tenant) as uow:
        account, person = _load(uow, login)
        if account.disabled_at is not None:
            raise AccountAlreadyDisabled(f"Le compte « {login} » est déjà désactivé")
        disabled = replace(account, disabled_at=clock())
        uow.people.save(disabled)
        revoked = uow.people.revoke_sessions_of(person.id, clock())
        details = {"login": login, "sessions_revoked": revoked}
        uow.log.append(_spec(actor, "account.disable", person, details))
        uow.commit()
    return disabled


def _check(new: NewPerson) -> Role:
    """The person's role, once every field is checked (every issue listed)."""
    issues = login_issues(new.login)
    if new.password is not None:
        issues += password_issues(new.password)
    role = next((r for r in PERSON_ROLES if r == new.role), None)
    if role is None:
        message = "Rôle inconnu : archivist (archiviste) ou reader (lecteur)"
        issues.append(Issue("unknown_role", message, path="role"))
    if new.email and "@" not in new.email:
        issues.append(Issue("bad_email", "Adresse électronique invalide", path="email"))
    if issues or role is None:
        raise InvalidError("Compte invalide", issues=issues)
    return role


def _load(uow: UnitOfWork, login: str) -> tuple[Account, Person]:
    account = uow.people.by_login(login)
    person = uow.people.person(account.principal_id) if account else None
    if account is None or person is None:
        raise AccountNotFound(f"Compte « {login} » introuvable")
    return account, person


def _spec(actor: str, action: str, person: Person, details: dict[str, object]) -> LogSpec:
    return LogSpec(actor, action, "person", person.id, person.organisation, details)
