"""People who log in: local accounts, their lock after repeated failures, and web sessions.

A person is a principal of kind user with an account: a login unique on the whole platform, an
optional e-mail address (to match a first OpenID Connect login to a pre-provisioned account), and
an optional argon2id password hash (none for people who only use single sign-on).

Failures are counted per account: the fifth consecutive one locks the account for
``LOCK_DURATION`` (OWASP Authentication Cheat Sheet, "account lockout"; ANSSI's
recommendations on passwords, R21–R22); a success resets the count. Failures are also counted
per client address (``AddressThrottle``) so that one address cannot try many accounts.

A web session ends when it is revoked (logout, account disabled), after ``SessionPolicy.idle``
without a request, or ``SessionPolicy.absolute`` after it was opened, whatever happens (OWASP
Session Management Cheat Sheet, "session expiration").

Plain classes, no I/O: the services load and store what these decide, with the clock they are
given.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from kernel.errors import (
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    Issue,
    RateLimitedError,
)

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12  # ANSSI: at least 12 characters when no other rule applies
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes any length; refuse absurd bodies early
_LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,199}$")


class LoginRefused(AuthenticationError):
    """Unknown login, wrong password or disabled account: the answer never says which."""

    code = "login_refused"
    title = "Identifiant ou mot de passe incorrect"


class AccountLocked(RateLimitedError):
    code = "account_locked"
    title = "Compte verrouillé temporairement"


class TooManyAttempts(RateLimitedError):
    code = "too_many_attempts"
    title = "Trop de tentatives de connexion"


class SessionEnded(AuthenticationError):
    code = "session_ended"
    title = "Session terminée"


class LoginExists(ConflictError):
    code = "login_exists"
    title = "Identifiant déjà utilisé"


class NoAccountForIdentity(ForbiddenError):
    """An OpenID Connect identity that matches no pre-provisioned account: no one is created
    silently."""

    code = "no_account_for_identity"
    title = "Aucun compte ne correspond à cette identité"


@dataclass(frozen=True)
class Account:
    principal_id: str
    login: str
    created_at: datetime
    email: str | None = None
    password_hash: str | None = None
    disabled_at: datetime | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def after_failure(self, now: datetime) -> Account:
        """One more consecutive failure; the ``MAX_FAILURES``-th locks the account."""
        count = self.failed_attempts + 1
        if count >= MAX_FAILURES:
            return replace(self, failed_attempts=0, locked_until=now + LOCK_DURATION)
        return replace(self, failed_attempts=count)

    def after_success(self) -> Account:
        return replace(self, failed_attempts=0, locked_until=None)

    def seconds_locked(self, now: datetime) -> int:
        if self.locked_until is None:
            return 0
        return max(1, int((self.locked_until - now).total_seconds()))


def login_issues(login: str) -> list[Issue]:
    if _LOGIN.match(login):
        return []
    message = (
        "Identifiant de 2 à 200 caractères : lettres sans accent, chiffres, « . », « _ », "
        "« @ » ou « - », commençant par une lettre ou un chiffre"
    )
    return [Issue("bad_login", message, path="login")]


def password_issues(password: str) -> list[Issue]:
    if len(password) < MIN_PASSWORD_LENGTH:
        message = f"Mot de passe trop court : au moins {MIN_PASSWORD_LENGTH} caractères"
        return [Issue("password_too_short", message, path="password")]
    if len(password) > MAX_PASSWORD_LENGTH:
        message = f"Mot de passe trop long : au plus {MAX_PASSWORD_LENGTH} caractères"
        return [Issue("password_too_long", message, path="password")]
    return []


@dataclass(frozen=True)
class SessionPolicy:
    """How long a web session lives: ``idle`` without a request, ``absolute`` in all; its last
    activity is written at most every ``touch_every`` (one write per minute, not per page)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(minutes=1)


@dataclass(frozen=True)
class WebSession:
    """A session as kept on the server; ``id_hash`` is the SHA-256 of the cookie's random id."""

    id_hash: str
    principal_id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    method: str  # password | oidc
    revoked_at: datetime | None = None
    flash_waiting: bool = False  # messages wait to be shown once on the next page

    def usable(self, now: datetime, policy: SessionPolicy) -> bool:
        return (
            self.revoked_at is None
            and now < self.expires_at
            and now < self.last_seen_at + policy.idle
        )

    def needs_touch(self, now: datetime, policy: SessionPolicy) -> bool:
        return now >= self.last_seen_at + policy.touch_every


class AddressThrottle:
    """Failed logins per client address in a sliding window: past ``limit`` failures within
    ``window``, that address is refused until the oldest failure leaves the window. Kept in
    memory by the process serving the logins (a restart forgets it; the per-account lock is in
    the database). Logins run in worker threads: every access holds the lock."""

    def __init__(self, limit: int = 20, window: timedelta = timedelta(minutes=15)) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def check(self, address: str, now: datetime) -> None:
        with self._lock:
            recent = self._recent(address, now)
            if not recent:
                self._failures.pop(address, None)  # the table keeps only recent offenders
                return
            wait = int((recent[0] + self.window - now).total_seconds()) + 1
        if len(recent) >= self.limit:
            raise TooManyAttempts(
                "Trop de tentatives de connexion depuis cette adresse : réessayez plus tard",
                retry_after=max(1, wait),
            )

    def failed(self, address: str, now: datetime) -> None:
        with self._lock:
            recent = self._recent(address, now)
            recent.append(now)
            self._failures[address] = recent

    def _recent(self, address: str, now: datetime) -> deque[datetime]:
        found = self._failures.get(address, deque())
        while found and found[0] + self.window <= now:
            found.popleft()
        return found
