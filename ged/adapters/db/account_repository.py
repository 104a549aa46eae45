"""SQL queries of people's accounts, their OpenID Connect identities and their web sessions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, RowMapping, func, insert, select, update

from ged.adapters.db import tables as t
from ged.adapters.db.rows import as_utc, optional_utc
from kernel.accounts.model import Account, WebSession


class SqlAccountRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, account: Account) -> None:
        self.conn.execute(insert(t.accounts).values(**_account_values(account)))

    def by_login(self, login: str) -> Account | None:
        return self._one(t.accounts.c.login == login)

    def of_principal(self, principal_id: str) -> Account | None:
        return self._one(t.accounts.c.principal_id == principal_id)

    def of_organisation(self, org_id: str) -> list[Account]:
        query = (
            select(t.accounts)
            .join(t.principals, t.principals.c.id == t.accounts.c.principal_id)
            .where(t.principals.c.organisation_id == org_id)
            .order_by(t.accounts.c.login)
        )
        return [_account(r) for r in self.conn.execute(query).mappings()]

    def with_email(self, email: str) -> list[Account]:
        query = select(t.accounts).where(func.lower(t.accounts.c.email) == email.lower())
        return [_account(r) for r in self.conn.execute(query).mappings()]

    def save(self, account: Account) -> None:
        values = _account_values(account)
        del values["principal_id"], values["login"], values["created_at"]
        self.conn.execute(
            update(t.accounts)
            .where(t.accounts.c.principal_id == account.principal_id)
            .values(**values)
        )

    def _one(self, clause: ColumnElement[bool]) -> Account | None:
        row = self.conn.execute(select(t.accounts).where(clause)).mappings().first()
        return None if row is None else _account(row)

    # -- OpenID Connect identities --------------------------------------------------------
    def linked(self, issuer: str, subject: str) -> str | None:
        c = t.oidc_links.c
        query = select(c.principal_id).where(c.issuer == issuer, c.subject == subject)
        found: str | None = self.conn.execute(query).scalar()
        return found

    def link(self, issuer: str, subject: str, principal_id: str, at: datetime) -> None:
        self.conn.execute(
            insert(t.oidc_links).values(
                issuer=issuer, subject=subject, principal_id=principal_id, linked_at=at
            )
        )

    def has_link(self, principal_id: str, issuer: str) -> bool:
        c = t.oidc_links.c
        query = select(c.subject).where(c.principal_id == principal_id, c.issuer == issuer)
        return self.conn.execute(query).first() is not None

    def linked_principals(self, principal_ids: Sequence[str]) -> set[str]:
        c = t.oidc_links.c
        query = select(c.principal_id).where(c.principal_id.in_(list(principal_ids)))
        return set(self.conn.execute(query).scalars())

    # -- web sessions ---------------------------------------------------------------------
    def add_session(self, session: WebSession) -> None:
        values = {k: v for k, v in session.__dict__.items() if k != "flash_waiting"}
        self.conn.execute(insert(t.web_sessions).values(**values))

    def session(self, id_hash: str) -> WebSession | None:
        query = select(t.web_sessions).where(t.web_sessions.c.id_hash == id_hash)
        row = self.conn.execute(query).mappings().first()
        return None if row is None else _session(row)

    def touch_session(self, id_hash: str, at: datetime) -> None:
        c = t.web_sessions.c
        self.conn.execute(
            update(t.web_sessions).where(c.id_hash == id_hash).values(last_seen_at=at)
        )

    def revoke_session(self, id_hash: str, at: datetime) -> bool:
        c = t.web_sessions.c
        done = self.conn.execute(
            update(t.web_sessions)
            .where(c.id_hash == id_hash, c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return done.rowcount == 1

    def revoke_sessions_of(self, principal_id: str, at: datetime) -> int:
        c = t.web_sessions.c
        done = self.conn.execute(
            update(t.web_sessions)
            .where(c.principal_id == principal_id, c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return done.rowcount

    def push_flash(self, id_hash: str, messages: list[str]) -> None:
        waiting = self._flash(id_hash)
        self._set_flash(id_hash, [*waiting, *messages])

    def pop_flash(self, id_hash: str) -> list[str]:
        waiting = self._flash(id_hash)
        if waiting:
            self._set_flash(id_hash, [])
        return waiting

    def _flash(self, id_hash: str) -> list[str]:
        c = t.web_sessions.c
        raw = self.conn.execute(select(c.flash).where(c.id_hash == id_hash)).scalar()
        return [str(m) for m in json.loads(raw)] if raw else []

    def _set_flash(self, id_hash: str, messages: list[str]) -> None:
        c = t.web_sessions.c
        value = json.dumps(messages, ensure_ascii=False) if messages else None
        self.conn.execute(update(t.web_sessions).where(c.id_hash == id_hash).values(flash=value))


def _account_values(account: Account) -> dict[str, object]:
    return dict(account.__dict__)


def _account(row: RowMapping) -> Account:
    return Account(
        principal_id=row["principal_id"],
        login=row["login"],
        created_at=as_utc(row["created_at"]),
        email=row["email"],
        password_hash=row["password_hash"],
        disabled_at=optional_utc(row["disabled_at"]),
        failed_attempts=int(row["failed_attempts"]),
        locked_until=optional_utc(row["locked_until"]),
    )


def _session(row: RowMapping) -> WebSession:
    return WebSession(
        id_hash=row["id_hash"],
        principal_id=row["principal_id"],
        created_at=as_utc(row["created_at"]),
        last_seen_at=as_utc(row["last_seen_at"]),
        expires_at=as_utc(row["expires_at"]),
        method=row["method"],
        revoked_at=optional_utc(row["revoked_at"]),
        flash_waiting=bool(row["flash"]),
    )
