"""The repository's people log in through the kernel's flows (``kernel.accounts.login``):
``people(db, passwords, clock, tenant)`` binds them to the repository's database (``uow.people``)
and journal, so that a login, a failure, a lock and a logout are each written to the journal of
the person's tenant in the transaction of their change (``login.success``, ``login.failure``,
``login.locked``, ``login.refused``, ``logout``).

A person belongs to one tenant, and a login is unique only within it. So the unit of work a flow
opens picks its tenant from what the flow reads first: a web session is found by its digest
alone (``Database.session_tenant``: its tenant follows), while a login by password or single
sign-on is looked up in the tenant the login page was asked for (``tenant()``: its ``locataire``,
else the repository's default tenant).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self, cast

from kernel.accounts.login import REFUSED, People
from kernel.accounts.model import LoginRefused, WebSession
from kernel.accounts.ports import PasswordHasher
from kernel.oplog import LogSpec
from sae.model import Person
from sae.ports import Database, PeopleRepository, UnitOfWork


def people(
    db: Database,
    passwords: PasswordHasher,
    clock: Callable[[], datetime],
    tenant: Callable[[], str | None],
) -> People[Person]:
    return People(lambda: SaeLoginUnit(db, tenant()), passwords, clock)


class SaeLoginUnit:
    """A writing unit of work of one tenant, as the login flows use it
    (``kernel.accounts.ports.LoginUnit``), opened on its first read (see the module
    docstring); ``tenant`` is the one asked for, None when there is none."""

    def __init__(self, db: Database, tenant: str | None) -> None:
        self._db = db
        self._tenant = tenant
        self._uow: UnitOfWork | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._uow is not None:
            self._uow.__exit__(exc_type, exc, traceback)
            self._uow = None

    def opened(self, tenant: str | None = None) -> UnitOfWork:
        """The unit of ``tenant`` (else the one asked for), opened once."""
        if self._uow is None:
            chosen = tenant or self._tenant
            if not chosen:
                raise LoginRefused(REFUSED)  # no tenant to look the login up in
            uow = self._db.unit_of_work(chosen)
            self._uow = uow.__enter__()
        return self._uow

    @property
    def accounts(self) -> PeopleRepository:
        if self._uow is not None:
            return self._uow.people
        return cast(PeopleRepository, _FirstRead(self, self._db))

    def person(self, principal_id: str) -> Person | None:
        return self.opened().people.person(principal_id)

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
        self.opened().log.append(spec)

    def commit(self) -> None:
        self.opened().commit()


class _FirstRead:
    """The people of a unit not opened yet: a session opens the unit of its own tenant, any
    other read the unit of the tenant asked for."""

    def __init__(self, unit: SaeLoginUnit, db: Database) -> None:
        self._unit = unit
        self._db = db

    def session(self, id_hash: str) -> WebSession | None:
        tenant = self._db.session_tenant(id_hash)
        if tenant is None:
            return None
        return self._unit.opened(tenant).people.session(id_hash)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._unit.opened().people, name)
