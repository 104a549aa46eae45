"""The ports of people who log in, as both services implement them.

- ``AccountStore``: accounts, OpenID Connect identities and web sessions, read and written in
  the transaction of a ``LoginUnit`` (the GED's ``AccountRepository`` and the repository's
  ``PeopleRepository`` extend it with what only they do);
- ``LoginUnit``: one transaction of a service's database as the login flows need it: the store,
  the person behind an account (``Someone``: the service's own kind of person), the service's
  operation log, and ``commit`` — the invariant of both services holds: a login, a lock or a
  logout and its log entry are committed together;
- ``PasswordHasher``: argon2id in ``kernel.accounts.passwords``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar

from kernel.accounts.model import Account, WebSession


class PasswordHasher(Protocol):
    """Password hashes of local accounts (argon2id in ``kernel.accounts.passwords``)."""

    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool:
        """True when ``password`` matches; False otherwise, never an exception."""
        ...

    def needs_rehash(self, hashed: str) -> bool:
        """True when ``hashed`` was made with weaker parameters than today's."""
        ...


class Someone(Protocol):
    """A person as a service knows them: who logs in, shown on every page by ``name``."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def organisation_id(self) -> str | None: ...


P = TypeVar("P", bound=Someone)
P_co = TypeVar("P_co", bound=Someone, covariant=True)


class AccountStore(Protocol):
    def by_login(self, login: str) -> Account | None: ...

    def of_principal(self, principal_id: str) -> Account | None: ...

    def with_email(self, email: str) -> list[Account]:
        """Accounts whose e-mail address is ``email`` (compared without case)."""
        ...

    def save(self, account: Account) -> None:
        """Stores the hash, the failure count, the lock and the disabling of ``account``."""
        ...

    def linked(self, issuer: str, subject: str) -> str | None:
        """The principal an OpenID Connect identity is linked to."""
        ...

    def link(self, issuer: str, subject: str, principal_id: str, at: datetime) -> None: ...

    def has_link(self, principal_id: str, issuer: str) -> bool: ...

    def add_session(self, session: WebSession) -> None: ...

    def session(self, id_hash: str) -> WebSession | None: ...

    def touch_session(self, id_hash: str, at: datetime) -> None: ...

    def revoke_session(self, id_hash: str, at: datetime) -> bool: ...

    def push_flash(self, id_hash: str, messages: list[str]) -> None: ...

    def pop_flash(self, id_hash: str) -> list[str]:
        """The messages waiting for the next page, removed."""
        ...


class LoginUnit(Protocol[P_co]):
    """One transaction; nothing is kept unless ``commit`` is called."""

    @property
    def accounts(self) -> AccountStore: ...

    def person(self, principal_id: str) -> P_co | None:
        """The person an account belongs to (None: gone)."""
        ...

    def log(
        self,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        organisation_id: str | None,
        details: Mapping[str, object],
    ) -> None:
        """Appends to the service's operation log, in this transaction."""
        ...

    def commit(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
