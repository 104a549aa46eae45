"""Logging people in and keeping them logged in: passwords, OpenID Connect, web sessions — the
same flows for the GED and the repository, over the ports of ``kernel.accounts.ports`` (each
service gives its ``People``: its transactions, its password hasher, its clock).

Every success, failure and lock is written to the operation log (``login.success``,
``login.failure``, ``login.locked``, ``login.refused``, ``logout``). A successful login opens a
server-side session in the same transaction as its log entry: the browser only ever holds a
random id (256 bits) whose SHA-256 is the session's key, so a copy of the database gives no
usable session. ``resume_session`` checks the session, its expiry and the account on every
request: logout and disabling act from the very next one.

Password checks run outside any transaction (argon2id takes a few hundred milliseconds); an
unknown login is checked against a dummy hash so that its answer takes as long as a wrong
password's.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Generic

from kernel.accounts.model import (
    Account,
    AccountLocked,
    AddressThrottle,
    LoginRefused,
    NoAccountForIdentity,
    SessionEnded,
    SessionPolicy,
    WebSession,
)
from kernel.accounts.oidc import OidcIdentity
from kernel.accounts.ports import LoginUnit, P, PasswordHasher

REFUSED = "Identifiant ou mot de passe incorrect"
_dummy_lock = threading.Lock()
_dummy_hashes: dict[int, str] = {}


@dataclass(frozen=True)
class People(Generic[P]):
    """What the flows work on: a service's transactions (``unit``), its password hasher and its
    clock."""

    unit: Callable[[], LoginUnit[P]]
    passwords: PasswordHasher
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class OpenedSession(Generic[P]):
    """A session just opened: ``token`` goes into the browser's cookie, and nowhere else."""

    token: str
    principal: P


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- passwords --------------------------------------------------------------------------------
def login_with_password(
    people: People[P],
    policy: SessionPolicy,
    throttle: AddressThrottle,
    login: str,
    password: str,
    address: str,
) -> OpenedSession[P]:
    now = people.clock()
    throttle.check(address, now)
    with people.unit() as uow:
        account = uow.accounts.by_login(login)
    if account is not None and account.locked(now):
        _log_attempt(people, account, login, address, "login.refused", "locked")
        raise _locked(account, now)
    hashed = (
        account.password_hash if account and account.password_hash else _dummy(people.passwords)
    )
    matches = people.passwords.verify(hashed, password) and bool(account and account.password_hash)
    if account is not None and matches and account.disabled_at is None:
        return _succeed(people, policy, account, password, address)
    throttle.failed(address, now)
    _fail(people, account, login, address, "disabled" if matches else "bad_credentials")
    raise LoginRefused(REFUSED)


def _succeed(
    people: People[P], policy: SessionPolicy, account: Account, password: str, address: str
) -> OpenedSession[P]:
    rehashed = None
    if account.password_hash and people.passwords.needs_rehash(account.password_hash):
        rehashed = people.passwords.hash(password)
    with people.unit() as uow:
        current = uow.accounts.of_principal(account.principal_id) or account
        updated = current.after_success()
        if rehashed is not None:
            updated = replace(updated, password_hash=rehashed)
        uow.accounts.save(updated)
        opened = _open(people, uow, policy, current.principal_id, "password", address)
        uow.commit()
    return opened


def _fail(
    people: People[P], account: Account | None, login: str, address: str, reason: str
) -> None:
    """Counts the failure on the account; the failure that locks it is answered as a lock."""
    if account is None:
        _log_attempt(people, None, login, address, "login.failure", "unknown_login")
        return
    now = people.clock()
    with people.unit() as uow:
        current = uow.accounts.of_principal(account.principal_id) or account
        updated = current.after_failure(now)
        uow.accounts.save(updated)
        action = "login.locked" if updated.locked(now) else "login.failure"
        _log(uow, updated, login, address, action, reason)
        uow.commit()
    if updated.locked(now):
        raise _locked(updated, now)


def _locked(account: Account, now: datetime) -> AccountLocked:
    minutes = max(1, round(account.seconds_locked(now) / 60))
    return AccountLocked(
        f"Trop d'échecs : ce compte est verrouillé pendant {minutes} min, réessayez ensuite",
        retry_after=account.seconds_locked(now),
    )


def _dummy(passwords: PasswordHasher) -> str:
    with _dummy_lock:
        if id(passwords) not in _dummy_hashes:
            _dummy_hashes[id(passwords)] = passwords.hash(secrets.token_urlsafe(16))
        return _dummy_hashes[id(passwords)]


# -- OpenID Connect ---------------------------------------------------------------------------
def login_with_oidc(
    people: People[P], policy: SessionPolicy, identity: OidcIdentity, address: str
) -> OpenedSession[P]:
    """The person linked to ``identity``; at the first login, the pre-provisioned account with
    the identity's verified e-mail address, or else with its ``preferred_username`` as login,
    is linked to it. No account is ever created here."""
    with people.unit() as uow:
        account, linked_now = _account_for(uow, identity)
        login = identity.username or identity.email or identity.subject
        if account is None or account.disabled_at is not None:
            reason = "no_account" if account is None else "disabled"
            _log(uow, account, login, address, "login.refused", reason, method="oidc")
            uow.commit()
            raise _oidc_refusal(account)
        if linked_now:
            uow.accounts.link(
                identity.issuer, identity.subject, account.principal_id, people.clock()
            )
        opened = _open(people, uow, policy, account.principal_id, "oidc", address)
        uow.commit()
    return opened


def _account_for(uow: LoginUnit[P], identity: OidcIdentity) -> tuple[Account | None, bool]:
    principal_id = uow.accounts.linked(identity.issuer, identity.subject)
    if principal_id is not None:
        return uow.accounts.of_principal(principal_id), False
    candidates: list[Account] = []
    if identity.email and identity.email_verified is not False:
        candidates = uow.accounts.with_email(identity.email)
    if not candidates and identity.username:
        found = uow.accounts.by_login(identity.username)
        candidates = [found] if found else []
    free = [a for a in candidates if not uow.accounts.has_link(a.principal_id, identity.issuer)]
    return (free[0], True) if len(free) == 1 else (None, False)


def _oidc_refusal(account: Account | None) -> Exception:
    if account is None:
        return NoAccountForIdentity(
            "Aucun compte ne correspond à cette identité : demandez à un administrateur de "
            "créer votre compte avec votre adresse électronique"
        )
    return LoginRefused("Ce compte est désactivé")


# -- sessions ---------------------------------------------------------------------------------
def _open(
    people: People[P],
    uow: LoginUnit[P],
    policy: SessionPolicy,
    principal_id: str,
    method: str,
    address: str,
) -> OpenedSession[P]:
    principal = uow.person(principal_id)
    if principal is None:
        raise LoginRefused(REFUSED)
    token = secrets.token_urlsafe(32)
    now = people.clock()
    uow.accounts.add_session(
        WebSession(session_hash(token), principal_id, now, now, now + policy.absolute, method)
    )
    details = {"method": method, "address": address}
    uow.log(
        principal.id, "login.success", "principal", principal.id, principal.organisation_id, details
    )
    return OpenedSession(token, principal)


@dataclass(frozen=True)
class Resumed(Generic[P]):
    principal: P
    flash: list[str]


def resume_session(
    people: People[P], policy: SessionPolicy, token: str, *, take_flash: bool = False
) -> Resumed[P]:
    """The person of a session that is neither revoked, nor idle too long, nor too old, and
    whose account is enabled; its last activity is recorded at most once a minute. With
    ``take_flash``, the messages waiting for the next page are taken (shown once)."""
    now = people.clock()
    with people.unit() as uow:
        session = uow.accounts.session(session_hash(token))
        if session is None or not session.usable(now, policy):
            raise SessionEnded("Votre session a expiré : reconnectez-vous")
        account = uow.accounts.of_principal(session.principal_id)
        principal = uow.person(session.principal_id)
        if account is None or account.disabled_at is not None or principal is None:
            raise SessionEnded("Votre session a été fermée : reconnectez-vous")
        taken = take_flash and session.flash_waiting
        flash = uow.accounts.pop_flash(session.id_hash) if taken else []
        touch = session.needs_touch(now, policy)
        if touch:
            uow.accounts.touch_session(session.id_hash, now)
        if flash or touch:
            uow.commit()
    return Resumed(principal, flash)


def close_session(people: People[P], token: str, address: str) -> None:
    """Logout: the session is revoked (refused from the next request on) and the logout logged."""
    with people.unit() as uow:
        session = uow.accounts.session(session_hash(token))
        if session is None or not uow.accounts.revoke_session(session.id_hash, people.clock()):
            return
        principal = uow.person(session.principal_id)
        org = principal.organisation_id if principal else None
        uow.log(
            session.principal_id,
            "logout",
            "principal",
            session.principal_id,
            org,
            {"address": address},
        )
        uow.commit()


def push_flash(people: People[P], token: str, *messages: str) -> None:
    """Messages shown once, on the next page of this session (after a redirect)."""
    with people.unit() as uow:
        uow.accounts.push_flash(session_hash(token), list(messages))
        uow.commit()


# -- the operation log ------------------------------------------------------------------------
def _log_attempt(
    people: People[P], account: Account | None, login: str, address: str, action: str, reason: str
) -> None:
    with people.unit() as uow:
        _log(uow, account, login, address, action, reason)
        uow.commit()


def _log(
    uow: LoginUnit[P],
    account: Account | None,
    login: str,
    address: str,
    action: str,
    reason: str,
    *,
    method: str = "password",
) -> None:
    principal = uow.person(account.principal_id) if account else None
    actor = principal.id if principal else "anonymous"
    org = principal.organisation_id if principal else None
    details = {"login": login[:200], "address": address, "reason": reason, "method": method}
    uow.log(actor, action, "account", login[:200], org, details)
