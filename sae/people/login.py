"""The repository's people log in through the kernel's flows (``kernel.accounts.login``):
``people(db, passwords, clock)`` binds them to the repository's database (``uow.people``) and
journal, so that a login, a failure, a lock and a logout are each written to the journal in the
transaction of their change (``login.success``, ``login.failure``, ``login.locked``,
``login.refused``, ``logout``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Self

from kernel.accounts.login import People
from kernel.accounts.ports import PasswordHasher
from kernel.oplog import LogSpec
from sae.model import Person
from sae.ports import Database, PeopleRepository, UnitOfWork


def people(
    db: Database, passwords: PasswordHasher, clock: Callable[[], datetime]
) -> People[Person]:
    return People(lambda: SaeLoginUnit(db.unit_of_work()), passwords, clock)


class SaeLoginUnit:
    """A writing unit of work of the repository, as the login flows use it
    (``kernel.accounts.ports.LoginUnit``)."""

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
    def accounts(self) -> PeopleRepository:
        return self._uow.people

    def person(self, principal_id: str) -> Person | None:
        return self._uow.people.person(principal_id)

    def log(
        self,
        actor: str,
        action: str,
        object_type: str,
        object_id: str,
        organisation_id: str | None,
        details: Mapping[str, object],
    ) -> None:
        spec = LogSpec(actor, action, object_type, object_id, organisation_id, dict(details))
        self._uow.log.append(spec)

    def commit(self) -> None:
        self._uow.commit()
