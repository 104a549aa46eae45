"""Files that hold document text, metadata or packages are readable by their owner only.

A SQLite database and its journals (``-wal``, ``-shm``, ``-journal``) hold extracted text and
metadata; spools and quarantines hold whole documents and packages. The database file is made
0600 before SQLite opens it (SQLite gives its journals the mode of the database, whatever the
umask), spool files are opened 0600, and whatever an earlier version left looser is tightened
when the GED or the repository starts. Shared by both (the repository can be deployed alone).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

PRIVATE = 0o600
JOURNAL_SUFFIXES = ("-wal", "-shm", "-journal")


def sqlite_files(database: Path) -> list[Path]:
    return [database, *(database.with_name(database.name + s) for s in JOURNAL_SUFFIXES)]


def private_database(database: Path) -> None:
    """Creates the database file 0600 when missing, and tightens it and its journals."""
    database.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(database, os.O_WRONLY | os.O_CREAT, PRIVATE)
    os.close(descriptor)
    tighten(sqlite_files(database))


def tighten(paths: Iterable[Path]) -> None:
    """Removes every permission of group and others from the files that exist."""
    for path in paths:
        try:
            current = stat.S_IMODE(path.lstat().st_mode)
        except FileNotFoundError:
            continue
        if current & 0o077 and path.is_file():
            path.chmod(current & 0o700)


def tighten_folder(folder: Path) -> None:
    """``tighten`` every file directly inside ``folder`` (a spool or a quarantine)."""
    if folder.is_dir():
        tighten(p for p in folder.iterdir() if not p.is_symlink())


def open_private(path: Path) -> int:
    """A new file (or a truncated one) opened for writing, 0600 whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE)
    os.fchmod(descriptor, PRIVATE)
    return descriptor
