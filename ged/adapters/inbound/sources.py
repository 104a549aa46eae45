"""The files of one input — a folder, a zip, a tar or tar.gz, or a single file — read with the
rules SIPs are read with (``seda.package``): every name checked before anything is read (no
absolute path, no ``..``, no control character, no link or device, no duplicate), entry count,
sizes and compression ratio bounded, members streamed, never extracted.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from ged.services.inbound.model import InboundRefused, Source
from kernel.errors import Issue
from seda.errors import SedaError
from seda.package import Package, PackageLimits, check_name, open_package


@dataclass(frozen=True)
class InputLimits:
    max_entries: int = 10_000
    max_entry_bytes: int = 10 * 1024**3
    max_total_bytes: int = 64 * 1024**3
    max_xml_bytes: int = 16 * 1024**2  # a business message, a PREMIS, a séance description
    max_nested_bytes: int = 4 * 1024**3  # a séance's documents.zip inside the uploaded zip

    def package(self) -> PackageLimits:
        return PackageLimits(
            max_entries=self.max_entries,
            max_entry_bytes=self.max_entry_bytes,
            max_total_bytes=self.max_total_bytes,
        )


class UnreadableInput(Exception):
    """The input cannot be opened, or holds an entry refused before anything is read."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.message)
        self.issue = issue


class _ListedSource(ABC):
    """Files known by relative path and size when the input was opened."""

    def __init__(self, sizes: dict[str, int]) -> None:
        self._sizes = sizes

    def names(self) -> list[str]:
        return list(self._sizes)

    def size(self, name: str) -> int:
        return self._sizes[name]

    def open(self, name: str) -> IO[bytes]:
        if name not in self._sizes:
            raise KeyError(name)
        return self._open(name)

    @abstractmethod
    def _open(self, name: str) -> IO[bytes]: ...


class DirectorySource(_ListedSource):
    """A folder's regular files, by relative POSIX path; links and special files refused."""

    def __init__(self, root: Path, limits: InputLimits) -> None:
        super().__init__(_walk(root, limits))
        self.root = root

    def _open(self, name: str) -> IO[bytes]:
        return (self.root / name).open("rb")


class SingleFileSource(_ListedSource):
    def __init__(self, path: Path) -> None:
        super().__init__({path.name: path.stat().st_size})
        self.path = path

    def _open(self, name: str) -> IO[bytes]:
        return self.path.open("rb")


class PackageSource(_ListedSource):
    """A checked zip or tar (``seda.package.Package``)."""

    def __init__(self, package: Package) -> None:
        super().__init__(dict(package.entries))
        self._package = package

    def _open(self, name: str) -> IO[bytes]:
        return cast(IO[bytes], _Guarded(self._package.open(name), name))


class _Guarded:
    """A member's stream whose read errors (bad CRC, truncated data) refuse the input."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self._stream, self._name = stream, name

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as exc:
            message = f"entrée illisible ou corrompue : {self._name} ({exc})"
            issue = Issue("input_corrupt_entry", message, path=self._name)
            raise InboundRefused(message, issues=[issue]) from exc

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> _Guarded:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NestedSource:
    """An input whose archive member (a séance's ``documents.zip``) is opened as well: its
    entries appear under ``<member>/``, the member itself no longer."""

    def __init__(self, outer: Source, member: str, inner: Source) -> None:
        self._outer, self._member, self._inner = outer, member, inner
        self._prefix = member + "/"

    def names(self) -> list[str]:
        outer = [n for n in self._outer.names() if n != self._member]
        return outer + [self._prefix + n for n in self._inner.names()]

    def size(self, name: str) -> int:
        if name.startswith(self._prefix):
            return self._inner.size(name[len(self._prefix) :])
        return self._outer.size(name)

    def open(self, name: str) -> IO[bytes]:
        if name.startswith(self._prefix):
            return self._inner.open(name[len(self._prefix) :])
        return self._outer.open(name)


@contextmanager
def open_input(path: Path, limits: InputLimits) -> Iterator[Source]:
    """The input's files, whatever holds them; ``UnreadableInput`` says why it cannot be read."""
    if path.is_symlink() or not (path.is_dir() or path.is_file()):
        raise UnreadableInput(Issue("input_unreadable", f"ni dossier ni fichier : {path.name}"))
    if path.is_dir():
        yield DirectorySource(path, limits)
    elif is_archive(path):
        with open_archive(path, limits) as source:
            yield source
    else:
        yield SingleFileSource(path)


def is_archive(path: Path) -> bool:
    with path.open("rb") as head:
        magic = head.read(262)
    tar = len(magic) >= 262 and magic[257:262] == b"ustar"
    return zipfile.is_zipfile(path) or magic.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ")) or tar


@contextmanager
def open_archive(path: Path, limits: InputLimits) -> Iterator[Source]:
    with ExitStack() as stack:
        try:
            package = stack.enter_context(open_package(path, limits.package()))
        except SedaError as exc:
            raise UnreadableInput(Issue(exc.code, str(exc), path=path.name)) from exc
        yield PackageSource(package)


def copy_member(source: Source, name: str, target: IO[bytes], limit: int) -> None:
    """Copies one member into a file (a nested archive must be seekable to be read)."""
    if source.size(name) > limit:
        raise UnreadableInput(
            Issue("input_too_large", f"archive imbriquée trop volumineuse : {name}", path=name)
        )
    with source.open(name) as stream:
        shutil.copyfileobj(stream, target, 1 << 20)


def _walk(root: Path, limits: InputLimits) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            relative = (Path(folder) / name).relative_to(root).as_posix()
            sizes[relative] = _regular_size(root, relative)
            if len(sizes) > limits.max_entries:
                raise UnreadableInput(Issue("input_too_many_files", "trop de fichiers"))
    return sizes


def _regular_size(root: Path, relative: str) -> int:
    try:
        check_name(relative)
    except SedaError as exc:
        raise UnreadableInput(Issue(exc.code, str(exc), path=relative)) from exc
    info = (root / relative).lstat()
    if not stat.S_ISREG(info.st_mode):
        message = f"lien ou fichier spécial refusé : {relative}"
        raise UnreadableInput(Issue("input_not_regular_file", message, path=relative))
    return info.st_size
