"""People who log in to the repository's pages, on SQLite (``PeopleRepository``): their person
and account (one row), their OpenID Connect identities and their web sessions, in the
repository's database so that a login, a lock or a logout commits with its journal entry."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any, Final

from kernel.accounts.model import Account, LoginExists, WebSession
from sae.model import Person

_ACCOUNT_COLUMNS: Final = (
    "login",
    "email",
    "password_hash",
    "created_at",
    "disabled_at",
    "failed_attempts",
    "locked_until",
)


class SqlitePeople:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- people and their accounts ------------------------------------------------------------
    def add(self, person: Person, account: Account) -> None:
        try:
            self.conn.execute(
                "INSERT INTO people (principal_id, organisation, role, login, email, "
                "password_hash, created_at, disabled_at, failed_attempts, locked_until) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (person.id, person.organisation, person.role, *_account_values(account)),
            )
        except sqlite3.IntegrityError as exc:
            raise LoginExists(f"L'identifiant {account.login} est déjà utilisé") from exc

    def person(self, principal_id: str) -> Person | None:
        row = self._row("principal_id = ?", principal_id)
        return None if row is None else _person(row)

    def by_login(self, login: str) -> Account | None:
        return _account_or_none(self._row("login = ?", login))

    def of_principal(self, principal_id: str) -> Account | None:
        return _account_or_none(self._row("principal_id = ?", principal_id))

    def with_email(self, email: str) -> list[Account]:
        rows = self.conn.execute(
            "SELECT * FROM people WHERE lower(email) = lower(?) ORDER BY login", (email,)
        )
        return [_account(row) for row in rows]

    def save(self, account: Account) -> None:
        self.conn.execute(
            "UPDATE people SET email = ?, password_hash = ?, disabled_at = ?, "
            "failed_attempts = ?, locked_until = ? WHERE principal_id = ?",
            (
                account.email,
                account.password_hash,
                _moment(account.disabled_at),
                account.failed_attempts,
                _moment(account.locked_until),
                account.principal_id,
            ),
        )

    def _row(self, where: str, value: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            f"SELECT * FROM people WHERE {where}",  # noqa: S608 (where: ours, a column test)
            (value,),
        ).fetchone()
        return row

    # -- OpenID Connect identities ------------------------------------------------------------
    def linked(self, issuer: str, subject: str) -> str | None:
        row = self.conn.execute(
            "SELECT principal_id FROM oidc_links WHERE issuer = ? AND subject = ?",
            (issuer, subject),
        ).fetchone()
        return None if row is None else str(row[0])

    def link(self, issuer: str, subject: str, principal_id: str, at: datetime) -> None:
        self.conn.execute(
            "INSERT INTO oidc_links (issuer, subject, principal_id, linked_at) VALUES (?, ?, ?, ?)",
            (issuer, subject, principal_id, at.isoformat()),
        )

    def has_link(self, principal_id: str, issuer: str) -> bool:
        found = self.conn.execute(
            "SELECT 1 FROM oidc_links WHERE principal_id = ? AND issuer = ?",
            (principal_id, issuer),
        ).fetchone()
        return found is not None

    # -- web sessions ---------------------------------------------------------------------
    def add_session(self, session: WebSession) -> None:
        self.conn.execute(
            "INSERT INTO web_sessions (id_hash, principal_id, method, created_at, last_seen_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                session.id_hash,
                session.principal_id,
                session.method,
                session.created_at.isoformat(),
                session.last_seen_at.isoformat(),
                session.expires_at.isoformat(),
            ),
        )

    def session(self, id_hash: str) -> WebSession | None:
        row = self.conn.execute(
            "SELECT * FROM web_sessions WHERE id_hash = ?", (id_hash,)
        ).fetchone()
        return None if row is None else _session(row)

    def touch_session(self, id_hash: str, at: datetime) -> None:
        self.conn.execute(
            "UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?", (at.isoformat(), id_hash)
        )

    def revoke_session(self, id_hash: str, at: datetime) -> bool:
        done = self.conn.execute(
            "UPDATE web_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
            (at.isoformat(), id_hash),
        )
        return done.rowcount == 1

    def revoke_sessions_of(self, principal_id: str, at: datetime) -> int:
        done = self.conn.execute(
            "UPDATE web_sessions SET revoked_at = ? WHERE principal_id = ? AND revoked_at IS NULL",
            (at.isoformat(), principal_id),
        )
        return done.rowcount

    def push_flash(self, id_hash: str, messages: list[str]) -> None:
        self._set_flash(id_hash, [*self._flash(id_hash), *messages])

    def pop_flash(self, id_hash: str) -> list[str]:
        waiting = self._flash(id_hash)
        if waiting:
            self._set_flash(id_hash, [])
        return waiting

    def _flash(self, id_hash: str) -> list[str]:
        row = self.conn.execute(
            "SELECT flash FROM web_sessions WHERE id_hash = ?", (id_hash,)
        ).fetchone()
        return [str(m) for m in json.loads(row[0])] if row and row[0] else []

    def _set_flash(self, id_hash: str, messages: list[str]) -> None:
        value = json.dumps(messages, ensure_ascii=False) if messages else None
        self.conn.execute("UPDATE web_sessions SET flash = ? WHERE id_hash = ?", (value, id_hash))


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _account_values(account: Account) -> tuple[Any, ...]:
    return (
        account.login,
        account.email,
        account.password_hash,
        account.created_at.isoformat(),
        _moment(account.disabled_at),
        account.failed_attempts,
        _moment(account.locked_until),
    )


def _person(row: sqlite3.Row) -> Person:
    return Person(row["principal_id"], row["login"], row["organisation"], row["role"], row["email"])


def _account_or_none(row: sqlite3.Row | None) -> Account | None:
    return None if row is None else _account(row)


def _account(row: sqlite3.Row) -> Account:
    return Account(
        principal_id=row["principal_id"],
        login=row["login"],
        created_at=datetime.fromisoformat(row["created_at"]),
        email=row["email"],
        password_hash=row["password_hash"],
        disabled_at=_parsed(row["disabled_at"]),
        failed_attempts=int(row["failed_attempts"]),
        locked_until=_parsed(row["locked_until"]),
    )


def _parsed(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _session(row: sqlite3.Row) -> WebSession:
    return WebSession(
        id_hash=row["id_hash"],
        principal_id=row["principal_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        last_seen_at=datetime.fromisoformat(row["last_seen_at"]),
        expires_at=datetime.fromisoformat(row["expires_at"]),
        method=row["method"],
        revoked_at=_parsed(row["revoked_at"]),
        flash_waiting=bool(row["flash"]),
    )
