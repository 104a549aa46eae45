"""Safe reading of SIP packages (zip, tar, tar.gz): `manifest.xml` at the root + `content/`.

Every entry is checked *before* anything is read or extracted (OWASP zip handling, Vitam's
SafeFileChecker): names must be relative, without `..`, backslashes, control characters or drive
letters, and UTF-8; no symlinks, hard links or devices; no duplicate (case-insensitively) or
overlapping entries; no encrypted entries; entry count, sizes and compression ratios bounded.
Members are then read by streaming from the archive; `extract()` writes only into an empty folder.
A zip is read by our own reader (`seda.zipindex`: the central directory in flat arrays, not a
`zipfile.ZipInfo` per member; `seda.zipmember`: each member from its local header), a tar by
`tarfile`.
"""

from __future__ import annotations

import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from seda.digests import read_chunks
from seda.errors import HostilePackage, UnreadablePackage
from seda.zipentries import ZipEntries
from seda.zipindex import CentralDirectory, Record, read_central_directory
from seda.zipmember import SUPPORTED_METHODS, is_direct, open_member, read_small

# Vitam refuses any path component not matching this (SafeFileChecker.java).
PORTABLE_COMPONENT = re.compile(r"^[a-zA-Z0-9\-_@]+(\.[a-zA-Z0-9\-_@]+)*$")
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")
_ENCRYPTED = 0x41  # APPNOTE §4.4.4: bit 0 encrypted, bit 6 strong encryption
_PATCHED = 0x20  # bit 5: compressed patched data, which zipfile could not read either
_DIRECTORY_BUFFER = 256 * 1024  # the central directory is read record by record through it


@dataclass(frozen=True)
class PackageLimits:
    max_entries: int = 1_000_000
    max_entry_bytes: int = 64 * 1024**3
    max_total_bytes: int = 256 * 1024**3
    max_ratio: int = 100
    ratio_min_bytes: int = 1024**2


DEFAULT_PACKAGE_LIMITS = PackageLimits()


class Package:
    """An opened, checked package: its file entries (name → size) and a way to stream each one."""

    def __init__(self, kind: str, entries: Mapping[str, int], opener: _MemberOpener) -> None:
        self.kind = kind
        self.entries = entries
        self._opener = opener
        self.manifest_name = pick_manifest(entries)

    def open(self, name: str) -> IO[bytes]:
        return self._opener.open(name)

    def files_left(self) -> FileSet:
        """Every file of the package, to cross off with ``discard``: a byte per member for a zip
        (``seda.zipentries.ZipMarks``) rather than a set of every name."""
        if isinstance(self.entries, ZipEntries):
            return self.entries.marks()
        return set(self.entries)

    def chunks(self, name: str) -> Iterator[bytes]:
        """The bytes of a member, in chunks (small stored zip members in one direct read)."""
        return self._opener.chunks(name)

    def extract(self, dest: Path) -> None:
        """Write every entry under `dest` (which must be empty or absent)."""
        dest.mkdir(parents=True, exist_ok=True)
        if any(dest.iterdir()):
            raise UnreadablePackage(f"dossier d'extraction non vide : {dest}")
        root = dest.resolve()
        for name in self.entries:
            target = (root / name).resolve()
            if not target.is_relative_to(root):
                raise HostilePackage(f"chemin hors du dossier : {name}", code="sip_unsafe_path")
            target.parent.mkdir(parents=True, exist_ok=True)
            with self.open(name) as source, target.open("xb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)


class FileSet(Protocol):
    """Names that can be crossed off and looked up (a ``set[str]`` is one)."""

    def discard(self, name: str, /) -> None: ...

    def __contains__(self, name: object, /) -> bool: ...


class _MemberOpener(Protocol):
    def open(self, name: str) -> IO[bytes]: ...

    def chunks(self, name: str) -> Iterator[bytes]: ...


class _ZipOpener:
    """Members read from the zip's file descriptor (``seda.zipmember``), looked up in ``entries``."""

    def __init__(self, fd: int, entries: ZipEntries) -> None:
        self._fd = fd
        self._entries = entries

    def open(self, name: str) -> IO[bytes]:
        return open_member(self._fd, self._entries.record(name))

    def chunks(self, name: str) -> Iterator[bytes]:
        record = self._entries.record(name)
        try:
            if is_direct(record):
                yield read_small(self._fd, record)
                return
            with open_member(self._fd, record) as stream:
                yield from read_chunks(stream)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise UnreadablePackage(
                f"entrée illisible {name} : {exc}", code="sip_corrupt_entry"
            ) from exc


class _TarOpener:
    def __init__(self, archive: tarfile.TarFile) -> None:
        self._archive = archive

    def open(self, name: str) -> IO[bytes]:
        member = self._archive.extractfile(name)
        if member is None:
            raise UnreadablePackage(f"entrée illisible : {name}")
        return member

    def chunks(self, name: str) -> Iterator[bytes]:
        try:
            with self.open(name) as stream:
                yield from read_chunks(stream)
        except (tarfile.TarError, EOFError, zlib.error) as exc:
            raise UnreadablePackage(
                f"entrée illisible {name} : {exc}", code="sip_corrupt_entry"
            ) from exc


def pick_manifest(names: Iterable[str]) -> str | None:
    """A root file named `manifest.xml` or `*manifest.xml`, else the single root `.xml`."""
    root_files = [n for n in names if "/" not in n]
    for candidate in root_files:
        if candidate.lower().endswith("manifest.xml"):
            return candidate
    xml = [n for n in root_files if n.lower().endswith(".xml")]
    return xml[0] if len(xml) == 1 else None


def is_package(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".zip", ".tar", ".tar.gz", ".tgz")) or zipfile.is_zipfile(path)


@contextmanager
def open_package(path: Path, limits: PackageLimits = DEFAULT_PACKAGE_LIMITS) -> Iterator[Package]:
    """Open and check a zip or tar package; HostilePackage / UnreadablePackage on refusal."""
    if zipfile.is_zipfile(path):
        with _open_zip(path) as stream:
            files = _check_zip(stream, limits)
            yield Package("zip", files, _ZipOpener(stream.fileno(), files))
        return
    with _open_tar(path) as tar:
        entries = _check_tar(tar, limits, path.stat().st_size)
        yield Package("tar", entries, _TarOpener(tar))


@contextmanager
def _open_zip(path: Path) -> Iterator[BinaryIO]:
    try:
        stream = path.open("rb", buffering=_DIRECTORY_BUFFER)
    except OSError as exc:
        raise UnreadablePackage(f"archive zip illisible : {exc}") from exc
    with stream:
        yield stream


@contextmanager
def _open_tar(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UnreadablePackage(f"archive illisible (ni zip ni tar) : {exc}") from exc
    with tar:
        yield tar


def check_name(name: str) -> str:
    """The entry name, refused when it could escape the extraction folder or is not portable."""
    if (
        not name
        or _UNSAFE_CHARS.search(name)
        or name.startswith("/")
        or re.match(r"^[A-Za-z]:", name)
    ):
        raise HostilePackage(f"nom d'entrée dangereux : {name!r}", code="sip_unsafe_path")
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise HostilePackage(f"nom d'entrée dangereux : {name!r}", code="sip_unsafe_path")
    return name.rstrip("/")


def _count(total: int, size: int, limits: PackageLimits, name: str) -> int:
    if size > limits.max_entry_bytes or total + size > limits.max_total_bytes:
        raise HostilePackage(f"taille décompressée excessive ({name})", code="sip_too_large")
    return total + size


def _check_zip(stream: BinaryIO, limits: PackageLimits) -> ZipEntries:
    """The package's files, each record checked as the central directory is read (once)."""
    try:
        directory = read_central_directory(stream, limits.max_entries)
        entries = ZipEntries(directory)
        overlaps = _Overlaps()
        total = 0

        def visit(index: int, record: Record) -> None:
            nonlocal total
            _check_record(record, limits)
            total = _count(total, record.file_size, limits, check_name(record.name))
            entries.add(index, record)
            overlaps.add(record)

        directory.read(visit)
    except OSError as exc:
        raise UnreadablePackage(f"archive zip illisible : {exc}") from exc
    twin = entries.duplicate()
    if twin is not None:
        raise HostilePackage(f"entrée en double : {twin}", code="sip_duplicate_entry")
    overlaps.check(directory)
    return entries


def _check_record(record: Record, limits: PackageLimits) -> None:
    if record.flags & _ENCRYPTED:
        raise HostilePackage(f"entrée chiffrée : {record.name}", code="sip_encrypted_entry")
    if not _is_utf8(record):
        raise HostilePackage(f"nom non UTF-8 : {record.name!r}", code="sip_name_encoding")
    file_type = stat.S_IFMT(record.external_attr >> 16)  # Unix mode kept in the high word
    if file_type and file_type not in (stat.S_IFREG, stat.S_IFDIR):
        raise HostilePackage(f"lien ou fichier spécial : {record.name}", code="sip_symlink")
    ratio_checked = record.file_size >= limits.ratio_min_bytes
    if ratio_checked and record.file_size > limits.max_ratio * max(record.compress_size, 1):
        raise HostilePackage(
            f"taux de compression suspect : {record.name}", code="sip_compression_ratio"
        )
    if record.method not in SUPPORTED_METHODS or record.flags & _PATCHED:
        raise UnreadablePackage(
            f"méthode de compression {record.method} non prise en charge : {record.name}",
            code="sip_compression_unsupported",
        )


def _is_utf8(record: Record) -> bool:
    """Flagged UTF-8 (APPNOTE §4.4.4 bit 11) and valid, or plain ASCII."""
    if not record.flags & 0x800:
        return record.raw_name.isascii()
    try:
        record.raw_name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Overlaps:
    """Refuse entries whose data ranges overlap (a zip-bomb technique) or reach into the central
    directory; local headers are ≥ 30 bytes. Writers put the records in the order of their data:
    while each starts after every range seen, nothing is kept but the farthest end; otherwise the
    ranges are sorted and compared (a list, only for such a package)."""

    def __init__(self) -> None:
        self._end = -1
        self._apart = True

    def add(self, record: Record) -> None:
        if record.header_offset < self._end:
            self._apart = False
        self._end = max(self._end, _data_end(record))

    def check(self, directory: CentralDirectory) -> None:
        if not self._apart:
            ranges = sorted((r.header_offset, _data_end(r), r.name) for r in directory.records())
            for (_start, end, _name), (start, _end, name) in pairwise(ranges):
                if start < end:
                    raise HostilePackage(
                        f"entrées qui se chevauchent : {name}", code="sip_overlapping_entries"
                    )
        if self._end > directory.start:
            raise HostilePackage(
                "entrées qui chevauchent le répertoire central", code="sip_overlapping_entries"
            )


def _data_end(record: Record) -> int:
    return record.header_offset + 30 + len(record.raw_name) + record.compress_size


def _check_tar(tar: tarfile.TarFile, limits: PackageLimits, packed: int) -> dict[str, int]:
    entries: dict[str, int] = {}
    seen: set[str] = set()
    total = 0
    for count, member in enumerate(_iter_tar(tar), start=1):
        if count > limits.max_entries:
            raise HostilePackage("trop d'entrées", code="sip_too_many_entries")
        if not (member.isfile() or member.isdir()):
            raise HostilePackage(f"lien ou fichier spécial : {member.name}", code="sip_symlink")
        name = check_name(member.name.removeprefix("./"))
        if name.casefold() in seen:
            raise HostilePackage(f"entrée en double : {name}", code="sip_duplicate_entry")
        seen.add(name.casefold())
        total = _count(total, member.size, limits, name)
        if total >= limits.ratio_min_bytes and total > limits.max_ratio * max(packed, 1):
            raise HostilePackage("taux de compression suspect", code="sip_compression_ratio")
        if member.isfile():
            entries[name] = member.size
    return entries


def _iter_tar(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    try:
        while (member := tar.next()) is not None:
            yield member
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UnreadablePackage(f"archive tar illisible : {exc}") from exc
