"""The port of people who log in: their accounts, their OpenID Connect identities and their
web sessions — the kernel's ``AccountStore`` (what the login flows use), and what only the GED's
administration does with them.

Implemented by ``ged.adapters.db.account_repository.SqlAccountRepository``; mypy checks that
the adapter satisfies it (``SqlUnitOfWork.accounts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from kernel.accounts.model import Account
from kernel.accounts.ports import AccountStore


class AccountRepository(AccountStore, Protocol):
    def add(self, account: Account) -> None: ...

    def of_organisation(self, org_id: str) -> list[Account]:
        """The accounts of an organisation's people, by login."""
        ...

    def linked_principals(self, principal_ids: Sequence[str]) -> set[str]:
        """Those of these principals linked to a single sign-on identity."""
        ...

    def revoke_sessions_of(self, principal_id: str, at: datetime) -> int: ...
