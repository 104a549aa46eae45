"""A tenant's people who log in to the repository's pages (``PeopleRepository``): their person
and account (one row of ``people``), their OpenID Connect identities and their web sessions, in
the repository's database so that a login, a lock or a logout commits with its entry in the
tenant's log. Every query names the tenant; a login is unique within it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from kernel.accounts.model import Account, LoginExists, WebSession
from sae.adapters.db import tables as t
from sae.model import Person

_PEOPLE = t.people
_LINKS = t.oidc_links
_SESSIONS = t.web_sessions


class SqlPeople:
    def __init__(self, conn: Connection, tenant: str) -> None:
        self.conn = conn
        self.tenant = tenant

    # -- people and their accounts ------------------------------------------------------------
    def add(self, person: Person, account: Account) -> None:
        if person.organisation != self.tenant:
            raise ValueError(f"person of {person.organisation} in a unit of work of {self.tenant}")
        row = {"tenant": self.tenant, "principal_id": person.id, "role": person.role}
        try:
            with self.conn.begin_nested():  # a taken login leaves the transaction usable
                self.conn.execute(insert(_PEOPLE), {**row, **_account_row(account)})
        except IntegrityError as exc:
            raise LoginExists(f"L'identifiant {account.login} est déjà utilisé") from exc

    def person(self, principal_id: str) -> Person | None:
        row = self._row(_PEOPLE.c.principal_id == principal_id)
        return None if row is None else _person(row)

    def by_login(self, login: str) -> Account | None:
        row = self._row(_PEOPLE.c.login == login)
        return None if row is None else _account(row)

    def of_principal(self, principal_id: str) -> Account | None:
        row = self._row(_PEOPLE.c.principal_id == principal_id)
        return None if row is None else _account(row)

    def with_email(self, email: str) -> list[Account]:
        query = (
            select(_PEOPLE)
            .where(_PEOPLE.c.tenant == self.tenant, func.lower(_PEOPLE.c.email) == email.lower())
            .order_by(_PEOPLE.c.login)
        )
        return [_account(row._mapping) for row in self.conn.execute(query)]

    def save(self, account: Account) -> None:
        values = _account_row(account)
        del values["login"], values["created_at"]
        self.conn.execute(
            update(_PEOPLE)
            .where(_PEOPLE.c.tenant == self.tenant, _PEOPLE.c.principal_id == account.principal_id)
            .values(values)
        )

    def _row(self, condition: Any) -> Mapping[Any, Any] | None:
        query = select(_PEOPLE).where(_PEOPLE.c.tenant == self.tenant, condition)
        row = self.conn.execute(query).first()
        return None if row is None else row._mapping

    # -- OpenID Connect identities ------------------------------------------------------------
    def linked(self, issuer: str, subject: str) -> str | None:
        query = select(_LINKS.c.principal_id).where(
            _LINKS.c.tenant == self.tenant, _LINKS.c.issuer == issuer, _LINKS.c.subject == subject
        )
        found = self.conn.execute(query).scalar_one_or_none()
        return None if found is None else str(found)

    def link(self, issuer: str, subject: str, principal_id: str, at: datetime) -> None:
        row = {"issuer": issuer, "subject": subject, "principal_id": principal_id, "linked_at": at}
        self.conn.execute(insert(_LINKS), {"tenant": self.tenant, **row})

    def has_link(self, principal_id: str, issuer: str) -> bool:
        query = select(_LINKS.c.subject).where(
            _LINKS.c.tenant == self.tenant,
            _LINKS.c.principal_id == principal_id,
            _LINKS.c.issuer == issuer,
        )
        return self.conn.execute(query.limit(1)).first() is not None

    # -- web sessions -------------------------------------------------------------------------
    def add_session(self, session: WebSession) -> None:
        row = {
            "tenant": self.tenant,
            "id_hash": session.id_hash,
            "principal_id": session.principal_id,
            "method": session.method,
            "created_at": session.created_at,
            "last_seen_at": session.last_seen_at,
            "expires_at": session.expires_at,
        }
        self.conn.execute(insert(_SESSIONS), row)

    def session(self, id_hash: str) -> WebSession | None:
        query = select(_SESSIONS).where(_SESSIONS.c.tenant == self.tenant, self._is(id_hash))
        row = self.conn.execute(query).first()
        return None if row is None else _session(row._mapping)

    def touch_session(self, id_hash: str, at: datetime) -> None:
        self._update_session(id_hash, last_seen_at=at)

    def revoke_session(self, id_hash: str, at: datetime) -> bool:
        done = self.conn.execute(
            update(_SESSIONS)
            .where(_SESSIONS.c.tenant == self.tenant, self._is(id_hash))
            .where(_SESSIONS.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return done.rowcount == 1

    def revoke_sessions_of(self, principal_id: str, at: datetime) -> int:
        done = self.conn.execute(
            update(_SESSIONS)
            .where(_SESSIONS.c.tenant == self.tenant, _SESSIONS.c.principal_id == principal_id)
            .where(_SESSIONS.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return done.rowcount

    def push_flash(self, id_hash: str, messages: list[str]) -> None:
        self._set_flash(id_hash, [*self._flash(id_hash), *messages])

    def pop_flash(self, id_hash: str) -> list[str]:
        waiting = self._flash(id_hash)
        if waiting:
            self._set_flash(id_hash, [])
        return waiting

    def _is(self, id_hash: str) -> Any:
        return _SESSIONS.c.id_hash == id_hash

    def _flash(self, id_hash: str) -> list[str]:
        query = select(_SESSIONS.c.flash).where(
            _SESSIONS.c.tenant == self.tenant, self._is(id_hash)
        )
        found = self.conn.execute(query).scalar_one_or_none()
        return [str(m) for m in json.loads(found)] if found else []

    def _set_flash(self, id_hash: str, messages: list[str]) -> None:
        value = json.dumps(messages, ensure_ascii=False) if messages else None
        self._update_session(id_hash, flash=value)

    def _update_session(self, id_hash: str, **values: Any) -> None:
        self.conn.execute(
            update(_SESSIONS)
            .where(_SESSIONS.c.tenant == self.tenant, self._is(id_hash))
            .values(**values)
        )


def _account_row(account: Account) -> dict[str, Any]:
    return {
        "login": account.login,
        "email": account.email,
        "password_hash": account.password_hash,
        "created_at": account.created_at,
        "disabled_at": account.disabled_at,
        "failed_attempts": account.failed_attempts,
        "locked_until": account.locked_until,
    }


def _person(row: Mapping[Any, Any]) -> Person:
    return Person(row["principal_id"], row["login"], row["tenant"], row["role"], row["email"])


def _account(row: Mapping[Any, Any]) -> Account:
    return Account(
        principal_id=row["principal_id"],
        login=row["login"],
        created_at=row["created_at"],
        email=row["email"],
        password_hash=row["password_hash"],
        disabled_at=row["disabled_at"],
        failed_attempts=int(row["failed_attempts"]),
        locked_until=row["locked_until"],
    )


def _session(row: Mapping[Any, Any]) -> WebSession:
    return WebSession(
        id_hash=row["id_hash"],
        principal_id=row["principal_id"],
        created_at=row["created_at"],
        last_seen_at=row["last_seen_at"],
        expires_at=row["expires_at"],
        method=row["method"],
        revoked_at=row["revoked_at"],
        flash_waiting=bool(row["flash"]),
    )
