"""The repository's bearer tokens, in ``tokens.json`` under its home.

Only each token's SHA-256 is kept, with who holds it (organisation, role, name), when it was
made, an optional expiry and a revocation mark; a token's identifier is the first 16 hex digits
of its digest (it reveals nothing of a 256-bit token). ``HashedTokens`` reads the file again
whenever it changes (inode, size or modification time), so a token revoked by
``gedsae-sae token revoke`` is refused by a running repository from the very next request on.
Writers take an exclusive lock and replace the file atomically; it is created 0600.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kernel.errors import ConflictError, InvalidError, NotFoundError
from sae.model import ROLES, Principal

TOKENS = "tokens.json"
Entries = dict[str, dict[str, Any]]


class UnknownRole(InvalidError):
    code = "unknown_role"


class TokenNotFound(NotFoundError):
    code = "token_not_found"
    title = "Jeton introuvable"


class TokenAlreadyRevoked(ConflictError):
    code = "token_already_revoked"
    title = "Jeton déjà révoqué"


def utc_now() -> datetime:
    return datetime.now(UTC)


def token_id(digest: str) -> str:
    return digest[:16]


class HashedTokens(Mapping[str, Principal]):
    """Bearer tokens known by their SHA-256 only; looked up by the token presented. A revoked or
    expired token is not found."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = utc_now) -> None:
        self.path = path
        self.clock = clock
        self._seen: tuple[int, int, int] | None = None
        self._entries: Entries = {}

    def __getitem__(self, token: str) -> Principal:
        entry = self._current()[_digest(token)]
        if not usable(entry, self.clock()):
            raise KeyError(token)
        return Principal(entry["organisation"], entry["role"], entry["name"])

    def __iter__(self) -> Iterator[str]:
        return iter(())  # the tokens themselves are unknown: nothing to list

    def __len__(self) -> int:
        return len(self._current())

    def _current(self) -> Entries:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        seen = (st.st_ino, st.st_size, st.st_mtime_ns)
        if seen != self._seen:
            self._entries, self._seen = read_entries(self.path), seen
        return self._entries


def usable(entry: Mapping[str, Any], now: datetime) -> bool:
    if entry.get("revoked_at"):
        return False
    expires = entry.get("expires_at")
    return expires is None or now < datetime.fromisoformat(expires)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def read_entries(path: Path) -> Entries:
    if not path.exists():
        return {}
    raw: Entries = json.loads(path.read_text(encoding="utf-8"))
    return raw


def issue_token(
    home: Path,
    organisation: str,
    role: str,
    name: str,
    *,
    expires_at: datetime | None = None,
    now: datetime | None = None,
) -> str:
    """A new token for ``name``; only its digest is written. Returns it (shown once)."""
    if role not in ROLES:
        raise UnknownRole(f"rôle {role} inconnu ({', '.join(ROLES)})")
    token = secrets.token_urlsafe(32)
    entry = {"organisation": organisation, "role": role, "name": name}
    entry["created_at"] = (now or utc_now()).isoformat()
    if expires_at is not None:
        entry["expires_at"] = expires_at.isoformat()
    with _editing(home) as entries:
        entries[_digest(token)] = entry
    return token


def list_tokens(home: Path) -> list[dict[str, Any]]:
    """Every token as an operator sees it: identifier and holder, never the token."""
    entries = read_entries(home / TOKENS)
    return [{"id": token_id(digest), **entry} for digest, entry in entries.items()]


def revoke_token(home: Path, wanted: str, at: datetime | None = None) -> dict[str, Any]:
    """Marks the token revoked and returns its entry; refused from the next request on."""
    with _editing(home) as entries:
        found = [d for d in entries if token_id(d) == wanted]
        if not found:
            raise TokenNotFound(f"Jeton {wanted} introuvable")
        entry = entries[found[0]]
        if entry.get("revoked_at"):
            raise TokenAlreadyRevoked(f"Le jeton {wanted} est déjà révoqué")
        entry["revoked_at"] = (at or utc_now()).isoformat()
    return {"id": wanted, **entry}


@contextmanager
def _editing(home: Path) -> Iterator[Entries]:
    """Read, change and atomically replace tokens.json under an exclusive lock."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / TOKENS
    with (home / "tokens.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries = read_entries(path)
        yield entries
        partial = path.with_name(path.name + ".part")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(entries, out, indent=2, ensure_ascii=False)
        partial.replace(path)
