"""Making files and renames durable on POSIX filesystems (fsync(2), syncfs(2)).

A rename is durable only once its directory is synced (Pillai et al., "All File Systems Are
Not Created Equal", OSDI 2014). ``syncfs`` commits a whole filesystem in one call: a batch of
thousands of small files pays for one journal commit instead of one fsync (~0.6–0.9 ms) each.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from kernel.blobstore.ports import StorageFull, StorageUnavailable
from kernel.errors import GedsaeError

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_SYNC_THREADS = 8


def storage_error(exc: OSError, action: str) -> GedsaeError:
    """The port's exception for an ``OSError`` of the storage itself (not of the client stream)."""
    if exc.errno in _FULL_ERRNOS:
        return StorageFull(f"Espace de stockage insuffisant ({action})", errno=exc.errno)
    return StorageUnavailable(
        f"Stockage indisponible ({action} : {os.strerror(exc.errno or 0)})", errno=exc.errno
    )


def write_all(fd: int, data: bytes) -> None:
    """Writes every byte of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@cache
def _libc_syncfs() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        function: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError):
        return None
    return function


def syncfs(path: Path) -> bool:
    """Commits the filesystem holding ``path``; False where ``syncfs`` does not exist."""
    function = _libc_syncfs()
    if function is None:
        return False
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # Linux >= 5.8 reports writeback errors of the filesystem here (errseq_t).
        if function(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(path))
    finally:
        os.close(fd)
    return True


def sync_all(paths: Iterable[Path], sync_one: Callable[[Path], None], root: Path) -> None:
    """Makes ``paths`` durable: one ``syncfs`` of ``root``'s filesystem, else each in a pool."""
    if syncfs(root):
        return
    with ThreadPoolExecutor(max_workers=_SYNC_THREADS, thread_name_prefix="fsync") as pool:
        for _ in pool.map(sync_one, paths):
            pass
