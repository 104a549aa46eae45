"""The port of people who log in: their accounts, their OpenID Connect identities and their
web sessions.

Implemented by ``ged.adapters.db.account_repository.SqlAccountRepository``; mypy checks that
the adapter satisfies it (``SqlUnitOfWork.accounts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ged.domain.accounts import Account, WebSession


class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...

    def by_login(self, login: str) -> Account | None: ...

    def of_principal(self, principal_id: str) -> Account | None: ...

    def of_organisation(self, org_id: str) -> list[Account]:
        """The accounts of an organisation's people, by login."""
        ...

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

    def linked_principals(self, principal_ids: Sequence[str]) -> set[str]:
        """Those of these principals linked to a single sign-on identity."""
        ...

    def add_session(self, session: WebSession) -> None: ...

    def session(self, id_hash: str) -> WebSession | None: ...

    def touch_session(self, id_hash: str, at: datetime) -> None: ...

    def revoke_session(self, id_hash: str, at: datetime) -> bool: ...

    def revoke_sessions_of(self, principal_id: str, at: datetime) -> int: ...

    def push_flash(self, id_hash: str, messages: list[str]) -> None: ...

    def pop_flash(self, id_hash: str) -> list[str]:
        """The messages waiting for the next page, removed."""
        ...
