"""Temporary files that name the process writing them, so that only a dead process's are removed.

A process killed during a write (kill -9, out of memory, power loss) leaves its temp files
behind, and nothing else will ever remove them. Telling them from the temp files of a live
process is the whole difficulty: by age, a slow upload's file would go; by PID, the leftovers of
a container whose server is always PID 1 would look alive forever, and PIDs of another PID
namespace sharing the volume mean nothing here.

So each process holds an exclusive flock(2) on an *owner file* of the directory
(``.owner-<token>``) from its first temp file there for as long as it may write there (until its
last ``OwnedTempDir`` of that directory goes, at the latest at exit, when the file is removed),
and names its temp files ``<prefix><token>-<random>``. The kernel releases a flock when its holder dies, killed or not,
and flock(2) locks conflict between open file descriptions even within one process: an owner
file that can be locked belongs to a dead process, and so do the temp files named after it.
Temp files named before owners existed carry no token: those are removed once older than
``legacy_age_s``, as they were before.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import re
import secrets
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol, runtime_checkable

from kernel.blobstore.ports import Leftover

OWNER_PREFIX: Final = ".owner-"
_TOKEN: Final = re.compile(r"[0-9]+\.[0-9a-f]{8}")
DAY: Final = 24 * 3600.0
_CREATE: Final = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
# Temp file numbers, unique in the process (next() is atomic): several ``OwnedTempDir`` of one
# directory share its owner token.
_NUMBERS: Final = itertools.count()


@runtime_checkable
class LeavesTempFiles(Protocol):
    """A store that writes through temp files and can remove those of dead processes."""

    name: str

    def remove_stale_temp_files(self) -> list[Leftover]: ...


def is_owner_file(path: Path) -> bool:
    """True for the lock file a live or dead process holds in a temp directory."""
    return path.name.startswith(OWNER_PREFIX)


@dataclass
class _Owner:
    token: str
    fd: int  # kept open while in use: closing it releases the lock
    users: int = 0


_Key = tuple[int, Path]


class _Owners:
    """This process's owner file in each directory, locked while an ``OwnedTempDir`` of this
    process may write there: removed when the last of them goes (at the latest, at exit)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: dict[_Key, _Owner] = {}

    def acquire(self, directory: Path) -> tuple[_Key, str]:
        # Keyed by PID too: a forked child holds its parent's locks but needs its own token.
        key = (os.getpid(), directory)
        with self._lock:
            owner = self._owners.get(key) or self._new_owner(directory)
            self._owners[key] = owner
            owner.users += 1
            return key, owner.token

    def release(self, key: _Key) -> None:
        if key[0] != os.getpid():
            return  # a forked child's copy: the owner file is its parent's
        with self._lock:
            owner = self._owners[key]
            owner.users -= 1
            if owner.users:
                return
            del self._owners[key]
        with suppress(FileNotFoundError):
            (key[1] / f"{OWNER_PREFIX}{owner.token}").unlink()
        os.close(owner.fd)

    def _new_owner(self, directory: Path) -> _Owner:
        while True:
            token = f"{os.getpid()}.{secrets.token_hex(4)}"
            path = directory / f"{OWNER_PREFIX}{token}"
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, path):
                return _Owner(token, fd)
            # A sweep took the file for a dead owner's between its creation and our lock.
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return path.stat().st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


_OWNERS: Final = _Owners()


class OwnedTempDir:
    """A directory of temp files whose names say which process owns them.

    ``prefixes`` are the families of temp files this directory holds: ``remove_stale`` never
    looks at any other file, so a shared directory (the system's) is safe to sweep.
    """

    def __init__(
        self, directory: Path, prefixes: tuple[str, ...], *, legacy_age_s: float = DAY
    ) -> None:
        self.directory = directory
        self.prefixes = prefixes
        self.legacy_age_s = legacy_age_s
        self._token: tuple[int, str] | None = None  # (PID, token): a forked child needs its own
        self._token_lock = threading.Lock()

    def mkstemp(self, prefix: str) -> tuple[int, Path]:
        """A new temp file (``fd``, path), named after this process's owner file; keep this
        ``OwnedTempDir`` while the file is in use (its owner file goes with the last one)."""
        if prefix not in self.prefixes:
            raise ValueError(f"{prefix!r} is not one of {self.prefixes}")
        token = self._owner_token()
        # Numbered after the owner's token (random already): tempfile's random names cost
        # ~15 µs of Python per file, the most of a small file's write in a bulk import. Same
        # flags as tempfile (O_EXCL, no symlink followed, 0600); a name taken falls back to it.
        path = self.directory / f"{prefix}{token}-{next(_NUMBERS):x}"
        try:
            return os.open(path, _CREATE, 0o600), path
        except FileExistsError:
            fd, name = tempfile.mkstemp(dir=self.directory, prefix=f"{prefix}{token}-")
            return fd, Path(name)

    def _owner_token(self) -> str:
        """The owner file's token, taken on the first temp file and given back with ``self``."""
        with self._token_lock:
            if self._token is None or self._token[0] != os.getpid():
                key, token = _OWNERS.acquire(self.directory)
                self._token = (os.getpid(), token)
                weakref.finalize(self, _OWNERS.release, key)
            return self._token[1]

    def remove_stale(self, clock: Callable[[], float] = time.time) -> list[Leftover]:
        """Removes the temp files of dead processes, then their owner files; lists what went."""
        removed: list[Leftover] = []
        alive: dict[str, bool] = {}
        held: list[int] = []
        try:
            for path, token in self._temp_files():
                if token is None:
                    stale = self._legacy_stale(path, clock())
                else:
                    if token not in alive:
                        alive[token] = self._owner_alive(token, held)
                    stale = not alive[token]
                if stale and (size := _remove(path)) is not None:
                    removed.append(Leftover(path, size))
            self._remove_dead_owners(alive, held)
        finally:
            for fd in held:
                os.close(fd)
        return removed

    def _temp_files(self) -> Iterator[tuple[Path, str | None]]:
        with os.scandir(self.directory) as entries:
            names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
        for name in names:
            prefix = next((p for p in self.prefixes if name.startswith(p)), None)
            if prefix is not None:
                token = name[len(prefix) :].partition("-")[0]
                yield self.directory / name, token if _TOKEN.fullmatch(token) else None

    def _legacy_stale(self, path: Path, now: float) -> bool:
        try:
            return path.stat().st_mtime < now - self.legacy_age_s
        except FileNotFoundError:
            return False

    def _owner_alive(self, token: str, held: list[int]) -> bool:
        """False when no process holds the owner file (then this sweep holds it until done)."""
        try:
            fd = os.open(self.directory / f"{OWNER_PREFIX}{token}", os.O_RDWR)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return True
        held.append(fd)
        return False

    def _remove_dead_owners(self, alive: dict[str, bool], held: list[int]) -> None:
        with os.scandir(self.directory) as entries:
            owners = [e.name for e in entries if e.name.startswith(OWNER_PREFIX)]
        for name in owners:
            token = name[len(OWNER_PREFIX) :]
            if not _TOKEN.fullmatch(token):
                continue
            if token not in alive:
                alive[token] = self._owner_alive(token, held)
            if not alive[token]:
                with suppress(FileNotFoundError):
                    (self.directory / name).unlink()


def _remove(path: Path) -> int | None:
    try:
        size = path.stat().st_size
        path.unlink()
    except FileNotFoundError:
        return None  # another sweep was first
    return size
