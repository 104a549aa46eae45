"""argon2id password hashes (RFC 9106), through argon2-cffi.

Parameters: OWASP's Password Storage Cheat Sheet configuration for argon2id, m=19 MiB, t=2, p=1,
rather than argon2-cffi's default (RFC 9106's second option, 64 MiB over 4 lanes): every login
costs the server its ``m`` of memory while it runs, and a server that keeps a 1 GiB upload under
150 MB must not spend 64 MiB per login (measured: +64 MiB peak with the default, +19 with these).
A hash made with other parameters is replaced at the next successful login (``needs_rehash``).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


def owasp_argon2id() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class Argon2Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or owasp_argon2id()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._hasher.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.check_needs_rehash(hashed)
