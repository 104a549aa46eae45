"""Format identification: PRONOM identifiers (PUIDs) from Siegfried, with a MIME-type fallback.

Siegfried matches the DROID signature file and the container signatures of the PRONOM registry
(The National Archives, UK); pygfried embeds both, so nothing is fetched from the network. When
Siegfried finds nothing, or only a weak match (on the file name's extension alone, or on "looks
like text"), a few magic numbers are checked (ISO 32000 ``%PDF-``, PNG, ZIP, JPEG, GIF, gzip,
XML) and then the extension (``mimetypes``), so the MIME type (RFC 6838) is never empty.

Cost (bench/bench_extraction.py): importing pygfried and loading the signatures takes
0.4–0.5 s once per process; then a small file costs 0.3–1 ms with ``identify`` and 0.25–0.3 ms
with ``identify_many``. pygfried holds the GIL meanwhile: a server calls ``identify`` from a
worker thread, and a bulk import passes batches to ``identify_many`` (Go-side parallelism).

Links giving a blob its original extension live in one private folder per process, on the
memory filesystem ``/dev/shm`` where there is one and ``TMPDIR`` names no other place (else the
temporary directory): on ext4 a link to a blob's path, too long to live in the inode, costs a
block and a journal commit, 0.7–1.6 ms on a busy disk against 0.01 ms in memory (measured),
more than identifying the file.
The folder is removed when the process ends (``remove_alias_folder``), and the folders of killed
processes at the next start (``remove_stale_alias_folders``).

pygfried is imported on first use only. It starts a Go runtime, which reserves ~1.7 GB of
address space (so it cannot even start under the extraction workers' RLIMIT_AS) and must never
be forked: the extraction workers must not import it.
"""

from __future__ import annotations

import atexit
import fcntl
import itertools
import mimetypes
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ged.services.ports import BatchIdentifier, FormatFacts

if TYPE_CHECKING:
    import pygfried

OCTET_STREAM = "application/octet-stream"
EMPTY = "inode/x-empty"  # what libmagic (file --mime-type) answers for an empty file
_MAGIC_WINDOW = 512
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "Portable Document Format"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "Portable Network Graphics"),
    (b"PK\x03\x04", "application/zip", "ZIP Format"),
    (b"PK\x05\x06", "application/zip", "ZIP Format"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"GIF87a", "image/gif", "Graphics Interchange Format"),
    (b"GIF89a", "image/gif", "Graphics Interchange Format"),
    (b"\x1f\x8b", "application/gzip", "GZIP Format"),
    (b"<?xml", "application/xml", "Extensible Markup Language"),
)
_WEAK_MATCHES = ("match on extension only", "match on text only")


@dataclass(frozen=True)
class FormatInfo(FormatFacts):
    """A file's format: PRONOM identifier (None if unknown), name, version and MIME type.

    ``basis`` says how the format was recognised, ``warning`` what Siegfried doubted.
    """

    format_version: str = ""
    basis: str = ""
    warning: str = ""


_EMPTY_FILE = FormatInfo(puid=None, format_name="Empty file", mime_type=EMPTY, basis="size 0")


def identify(path: Path, *, filename: str | None = None) -> FormatInfo:
    """Identify one file. ``filename`` (the name it was uploaded with) lends its extension.

    Stored blobs are named by digest, with no extension; Siegfried needs the extension to tell
    apart formats that only differ by it (CSV from plain text), so the file is shown to it
    through a link carrying the original extension.
    """
    if not path.is_file():
        raise FileNotFoundError(path)
    suffix = Path(filename).suffix if filename else ""
    if suffix and suffix != path.suffix and _safe_suffix(suffix):
        with _alias(path, suffix) as alias:
            entry = _scanner().identify(str(alias), detailed=True)["files"][0]
    else:
        entry = _scanner().identify(str(path), detailed=True)["files"][0]
    return _from_siegfried(entry, path, filename)


def identify_many(paths: Sequence[Path], *, workers: int = 1) -> list[FormatInfo]:
    """Identify many files in one call into Siegfried, in the order given.

    One call saves the Python-to-Go crossing per file; ``workers`` > 1 identifies files in
    parallel on the Go side (the GIL is held for the whole call). Each path is shown to
    Siegfried as it is: see ``named`` for blobs, which have no extension.
    """
    if not paths:
        return []
    report = _scanner().identify_many([str(path) for path in paths], workers=workers)
    by_name = {entry["filename"]: entry for entry in report["files"]}
    return [_from_siegfried(by_name[str(path)], path, None) for path in paths]


@contextmanager
def named(files: Sequence[tuple[Path, str | None]]) -> Iterator[list[Path]]:
    """Each file as a path ending with its original name's extension: the file itself when it
    already does, otherwise a link (removed afterwards), as ``identify`` shows a blob."""
    with ExitStack() as links:
        shown = []
        for path, filename in files:
            suffix = Path(filename).suffix if filename else ""
            if suffix and suffix != path.suffix and _safe_suffix(suffix):
                shown.append(links.enter_context(_alias(path, suffix)))
            else:
                shown.append(path)
        yield shown


# Plain text is the only common format whose PRONOM identification a few bytes settle: the
# identifiers of PDF (1.0 to 2.0, PDF/A, /X, /E, /UA, Illustrator), PNG (1.0 to 1.2), JPEG
# (JFIF and Exif versions), ODF and OOXML (container signatures, by version) hang on markers
# anywhere in the file, its end or its parts, which only Siegfried checks against the signature
# files. A ``.txt`` file of prose (letters, digits, spaces and sentence punctuation, in UTF-8)
# matches none of PRONOM's byte signatures, all of which need a character outside that set
# or a leading digit: Siegfried falls back to its text match, "x-fmt/111".
PLAIN_TEXT = FormatInfo(
    puid="x-fmt/111",
    format_name="Plain Text File",
    mime_type="text/plain",
    basis="extension match txt; prose in UTF-8 (no byte signature can match)",
)
_CERTAIN_MAX = 1 << 20
_PROSE_ASCII = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t\n\r.,;'!?()-"
_HIGH_BYTES = bytes(range(0x80, 0x100))
_PROSE_MARKS = "\u00a0\u00ab\u00bb\u2019\u2013\u2014\u2026\u202f"


def certain_format(path: Path, filename: str | None) -> FormatInfo | None:
    """What Siegfried would answer, when a glance at the bytes makes it certain; None
    otherwise (then only Siegfried can tell)."""
    try:
        size = path.stat().st_size
        if size == 0:
            return _EMPTY_FILE
        if size > _CERTAIN_MAX or Path(filename or path.name).suffix.lower() != ".txt":
            return None
        with path.open("rb") as stream:
            data = stream.read(_CERTAIN_MAX + 1)
    except OSError:
        return None
    return PLAIN_TEXT if _is_prose(data) else None


def _is_prose(data: bytes) -> bool:
    first = data[:4].decode("utf-8", "ignore")[:1]
    if not first.isalpha() or data.startswith(b"From "):  # mbox
        return False
    others = data.translate(None, _PROSE_ASCII)  # what is left: the bytes above 0x7f only?
    if others.translate(None, _HIGH_BYTES):
        return False
    try:
        data.decode("utf-8")
        # Removing ASCII bytes leaves whole UTF-8 sequences: the non-ASCII characters.
        accented = others.decode("utf-8")
    except UnicodeDecodeError:
        return False
    for mark in _PROSE_MARKS:  # a replace per mark: str.translate costs a lookup per character
        accented = accented.replace(mark, "")
    return not accented or accented.isalpha()


def certain_first(identify_many: BatchIdentifier) -> BatchIdentifier:
    """``identify_many`` for the files whose format is not certain at a glance only."""

    def identify(files: Sequence[tuple[Path, str | None]]) -> list[FormatFacts]:
        found: list[FormatFacts | None] = [certain_format(path, name) for path, name in files]
        unsure = [i for i, facts in enumerate(found) if facts is None]
        for i, facts in zip(unsure, identify_many([files[i] for i in unsure]), strict=True):
            found[i] = facts
        return [facts for facts in found if facts is not None]

    return identify


def identify_files(files: Sequence[tuple[Path, str | None]]) -> Sequence[FormatFacts]:
    """Each file's format: certain at a glance, or Siegfried's answer in one call for the
    others, each shown through a link that carries its original name's extension."""
    return certain_first(_identify_named)(files)


def _identify_named(files: Sequence[tuple[Path, str | None]]) -> list[FormatFacts]:
    with named(files) as shown:
        return list(identify_many(shown))


def guess_mime_type(path: Path, *, filename: str | None = None) -> str:
    """A MIME type from magic numbers, then the extension; ``application/octet-stream`` else."""
    guessed = _guess(path, filename)
    return guessed.mime_type


def _safe_suffix(suffix: str) -> bool:
    # The suffix names a file in our own temporary directory: no separators, short.
    return len(suffix) <= 16 and "/" not in suffix and "\\" not in suffix and "\x00" not in suffix


_scanner_lock = threading.Lock()
_scanner_instance: pygfried.Scanner | None = None
_alias_numbers = itertools.count()
ALIAS_PREFIX = "ged-identify-"
_ALIAS_LOCK = ".lock"
_LEGACY_AGE_S = 24 * 3600.0


@contextmanager
def _alias(path: Path, suffix: str) -> Iterator[Path]:
    """A symbolic link to ``path`` whose name ends with ``suffix``, removed afterwards.

    The links live in one private directory per process, made on first use: a temporary
    directory per call would cost more than the identification itself.
    """
    alias = _alias_folder.get() / f"{os.getpid()}-{next(_alias_numbers)}{suffix}"
    alias.symlink_to(path.absolute())
    try:
        yield alias
    finally:
        alias.unlink(missing_ok=True)


class _AliasFolder:
    """This process's folder of links in the system's temporary directory.

    It holds a ``.lock`` file its process keeps locked (flock) while it lives, so that a sweep
    (``remove_stale_alias_folders``) tells the folders of dead processes from live ones: the
    folder is removed when the process ends normally (``remove``, called when the context
    closes and at exit), a killed process's at the next start.
    """

    def __init__(self) -> None:
        self.path: Path | None = None
        self._fd: int | None = None
        self._pid = 0

    def get(self) -> Path:
        with _scanner_lock:
            if self.path is None or self._pid != os.getpid():
                self.path, self._fd = _locked_folder()
                self._pid = os.getpid()
                atexit.register(self.remove)
            return self.path

    def remove(self) -> None:
        with _scanner_lock:
            path, fd, mine = self.path, self._fd, self._pid == os.getpid()
            self.path, self._fd = None, None
        if path is not None and fd is not None and mine:
            shutil.rmtree(path, ignore_errors=True)
            os.close(fd)


def _locked_folder() -> tuple[Path, int]:
    """A new folder whose ``.lock`` appears already locked (made aside, locked, renamed)."""
    folder = Path(tempfile.mkdtemp(prefix=ALIAS_PREFIX, dir=links_root()))
    making = folder / ".lock.new"
    fd = os.open(making, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    making.rename(folder / _ALIAS_LOCK)
    return folder, fd


# Only a parent: the folder itself is made by mkdtemp (random name, mode 0700).
_SHM = Path("/dev/shm")  # noqa: S108


def links_root() -> Path:
    """Where the folders of links are made: in memory when the system offers it, unless
    ``TMPDIR`` names the place for this process's temporary files (a service unit, a test)."""
    if not os.environ.get("TMPDIR") and _SHM.is_dir() and os.access(_SHM, os.W_OK | os.X_OK):
        return _SHM
    return Path(tempfile.gettempdir())


_alias_folder = _AliasFolder()
remove_alias_folder = _alias_folder.remove


def remove_stale_alias_folders(
    root: Path | None = None, clock: Callable[[], float] = time.time
) -> list[Path]:
    """Removes the link folders of dead processes from ``root`` (by default where links are
    made, and the system's temporary directory, where earlier versions made them); lists them.
    A folder without a lock file comes from a version that made none: removed once a day old."""
    roots = [root] if root else sorted({links_root(), Path(tempfile.gettempdir())})
    found = sorted(folder for top in roots for folder in top.glob(f"{ALIAS_PREFIX}*"))
    removed = []
    for folder in found:
        if folder.is_dir() and not folder.is_symlink() and _dead(folder, clock()):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _dead(folder: Path, now: float) -> bool:
    lock = folder / _ALIAS_LOCK
    try:
        if not lock.exists():  # made by an older version, or its lock is still being made
            return folder.stat().st_mtime < now - _LEGACY_AGE_S
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False  # gone meanwhile, or another user's folder: not ours to judge
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def load_signatures() -> None:
    """Load Siegfried and its signatures in this process now rather than at the first file."""
    _scanner()


def _scanner() -> pygfried.Scanner:
    global _scanner_instance
    with _scanner_lock:
        if _scanner_instance is None:
            import pygfried

            _scanner_instance = pygfried.Scanner()
        return _scanner_instance


def _from_siegfried(entry: pygfried.File, path: Path, filename: str | None) -> FormatInfo:
    if entry["errors"] == "empty source":
        return _EMPTY_FILE
    if entry["errors"] and not entry["matches"]:
        return _guess(path, filename, warning=f"siegfried: {entry['errors']}")
    match = entry["matches"][0]
    if match["id"] == "UNKNOWN":
        return _guess(path, filename, warning=f"siegfried: {match['warning']}")
    if any(weak in match["warning"] for weak in _WEAK_MATCHES):
        magic = _magic(_head(path))
        if magic is not None:
            return _replace_warning(magic, f"siegfried: {match['id']}, {match['warning']}")
    return FormatInfo(
        puid=match["id"],
        format_name=match["format"],
        format_version=match["version"],
        mime_type=match["mime"] or _extension_mime(_named(path, filename)) or OCTET_STREAM,
        basis=match["basis"],
        warning=_meaningful(match["warning"], path, filename),
    )


def _meaningful(warning: str, path: Path, filename: str | None) -> str:
    """Siegfried's warning, without "extension mismatch" when there was no extension to match.

    Blobs are stored under their digest: the missing extension says nothing about the file.
    """
    if path.suffix or _named(path, filename).suffix:
        return warning
    parts = [part for part in warning.split("; ") if part != "extension mismatch"]
    return "; ".join(parts)


def _guess(path: Path, filename: str | None, *, warning: str = "") -> FormatInfo:
    head = _head(path)
    if not head and _is_empty(path):
        return _EMPTY_FILE
    magic = _magic(head)
    if magic is not None:
        return _replace_warning(magic, warning)
    mime = _extension_mime(_named(path, filename))
    if mime is not None:
        return FormatInfo(
            puid=None, format_name="", mime_type=mime, basis="extension", warning=warning
        )
    if _looks_like_text(head):
        return FormatInfo(
            puid=None, format_name="Text", mime_type="text/plain", basis="text", warning=warning
        )
    return FormatInfo(puid=None, format_name="", mime_type=OCTET_STREAM, warning=warning)


def _named(path: Path, filename: str | None) -> Path:
    return Path(filename) if filename else path


def _is_empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return False


def _replace_warning(info: FormatInfo, warning: str) -> FormatInfo:
    return FormatInfo(
        puid=info.puid,
        format_name=info.format_name,
        mime_type=info.mime_type,
        basis=info.basis,
        warning=warning,
    )


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            return stream.read(_MAGIC_WINDOW)
    except OSError:
        return b""


def _magic(head: bytes) -> FormatInfo | None:
    for signature, mime, name in _MAGIC:
        if head.startswith(signature):
            return FormatInfo(
                puid=None, format_name=name, mime_type=mime, basis=f"magic number {signature!r}"
            )
    return None


def _extension_mime(path: Path) -> str | None:
    mime, _ = mimetypes.guess_type(path.name, strict=False)
    return mime


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the window is still text.
        return exc.start >= len(head) - 3
    return True
