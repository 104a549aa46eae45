"""Safe reading of SIP packages (zip, tar, tar.gz): `manifest.xml` at the root + `content/`.

Every entry is checked *before* anything is read or extracted (OWASP zip handling, Vitam's
SafeFileChecker): names must be relative, without `..`, backslashes, control characters or drive
letters, and UTF-8; no symlinks, hard links or devices; no duplicate (case-insensitively) or
overlapping entries; no encrypted entries; entry count, sizes and compression ratios bounded.
Members are then read by streaming from the archive; `extract()` writes only into an empty folder.
"""

from __future__ import annotations

import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from seda.digests import read_chunks
from seda.errors import HostilePackage, UnreadablePackage
from seda.zipmember import is_direct, read_stored

# Vitam refuses any path component not matching this (SafeFileChecker.java).
PORTABLE_COMPONENT = re.compile(r"^[a-zA-Z0-9\-_@]+(\.[a-zA-Z0-9\-_@]+)*$")
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f\\]")


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

    def __init__(self, kind: str, entries: dict[str, int], opener: _MemberOpener) -> None:
        self.kind = kind
        self.entries = entries
        self._opener = opener
        self.manifest_name = pick_manifest(list(entries))

    def open(self, name: str) -> IO[bytes]:
        return self._opener.open(name)

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


class _MemberOpener:
    def __init__(
        self, archive: zipfile.ZipFile | tarfile.TarFile, direct: BinaryIO | None = None
    ) -> None:
        self._archive = archive
        self._direct = direct  # a second handle on the zip file, for zipmember.read_stored

    def open(self, name: str) -> IO[bytes]:
        if isinstance(self._archive, zipfile.ZipFile):
            return self._archive.open(name)
        member = self._archive.extractfile(name)
        if member is None:
            raise UnreadablePackage(f"entrée illisible : {name}")
        return member

    def chunks(self, name: str) -> Iterator[bytes]:
        if isinstance(self._archive, zipfile.ZipFile) and self._direct is not None:
            info = self._archive.getinfo(name)
            if is_direct(info):
                yield read_stored(self._direct, info)
                return
        try:
            with self.open(name) as stream:
                yield from read_chunks(stream)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as exc:
            raise UnreadablePackage(
                f"entrée illisible {name} : {exc}", code="sip_corrupt_entry"
            ) from exc


def pick_manifest(names: list[str]) -> str | None:
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
        with _open_zip(path) as archive, path.open("rb") as direct:
            entries = _check_zip(archive, limits)
            yield Package("zip", entries, _MemberOpener(archive, direct))
        return
    with _open_tar(path) as tar:
        entries = _check_tar(tar, limits, path.stat().st_size)
        yield Package("tar", entries, _MemberOpener(tar))


@contextmanager
def _open_zip(path: Path) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadablePackage(f"archive zip illisible : {exc}") from exc
    with archive:
        yield archive


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


def _check_zip(archive: zipfile.ZipFile, limits: PackageLimits) -> dict[str, int]:
    infos = archive.infolist()  # zipfile's own list, not a copy
    if len(infos) > limits.max_entries:
        raise HostilePackage(f"trop d'entrées ({len(infos)})", code="sip_too_many_entries")
    entries: dict[str, int] = {}
    seen: set[str] = set()
    total = 0
    for info in infos:
        _check_zip_info(info, limits)
        name = check_name(info.filename)
        if name.casefold() in seen:
            raise HostilePackage(f"entrée en double : {name}", code="sip_duplicate_entry")
        seen.add(name.casefold())
        total = _count(total, info.file_size, limits, name)
        if not info.is_dir():
            entries[name] = info.file_size
    _check_overlaps(infos)
    return entries


def _check_zip_info(info: zipfile.ZipInfo, limits: PackageLimits) -> None:
    if info.flag_bits & 0x1:
        raise HostilePackage(f"entrée chiffrée : {info.filename}", code="sip_encrypted_entry")
    if not info.flag_bits & 0x800 and not info.filename.isascii():
        raise HostilePackage(f"nom non UTF-8 : {info.filename!r}", code="sip_name_encoding")
    file_type = stat.S_IFMT(info.external_attr >> 16)  # Unix mode kept in the high word
    if file_type and file_type not in (stat.S_IFREG, stat.S_IFDIR):
        raise HostilePackage(f"lien ou fichier spécial : {info.filename}", code="sip_symlink")
    ratio_checked = info.file_size >= limits.ratio_min_bytes
    if ratio_checked and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise HostilePackage(
            f"taux de compression suspect : {info.filename}", code="sip_compression_ratio"
        )


def _check_overlaps(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse entries whose data ranges overlap (a zip-bomb technique); headers are ≥ 30 bytes."""
    end = -1
    for info in sorted(infos, key=lambda i: i.header_offset):
        if info.header_offset < end:
            raise HostilePackage(
                f"entrées qui se chevauchent : {info.filename}", code="sip_overlapping_entries"
            )
        end = info.header_offset + 30 + len(info.filename.encode()) + info.compress_size


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
