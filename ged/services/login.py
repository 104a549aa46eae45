"""The GED's people log in through the kernel's flows (``kernel.accounts.login``): ``people(ctx)``
binds them to the GED's database (accounts, OpenID Connect identities and web sessions of
``uow.accounts``, principals of ``uow.repo``, the GED's operation log), its password hasher and
its clock."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

from ged.domain.access import Principal
from ged.services.account_repository import AccountRepository
from ged.services.context import Context
from ged.services.ports import UnitOfWork
from kernel.accounts.login import People


def people(ctx: Context) -> People[Principal]:
    return People(lambda: GedLoginUnit(ctx.uow()), ctx.passwords, ctx.clock)


class GedLoginUnit:
    """A unit of work of the GED, as the login flows use it (``kernel.accounts.ports.LoginUnit``)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def __enter__(self) -> Self:
        self._uow.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._uow.__exit__(exc_type, exc, traceback)

    @property
    def accounts(self) -> AccountRepository:
        return self._uow.accounts

    def person(self, principal_id: str) -> Principal | None:
        return self._uow.repo.get_principal(principal_id)

    def log(
        self,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        organisation_id: str | None,
        details: Mapping[str, object],
    ) -> None:
        self._uow.log(actor, action, object_type, object_id, organisation_id, dict(details))

    def commit(self) -> None:
        self._uow.commit()
