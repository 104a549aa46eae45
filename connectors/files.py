"""The file layer the file connectors share: the drop-folder algorithm (`connectors.dropfolder`)
runs over the small `FileSystem` interface below, on a local or mounted folder
(`LocalFileSystem`) or over SFTP (`connectors.sftp`); only the file operations differ.

`FileRecorder` performs those operations for the algorithm: a file-level `OSError` becomes the
`FolderUnusable` that names the situation, and every write, rename and reply read is recorded as
an `Exchange` (method `PUT`, `RENAME`, `GET`; `url` is the file's path, or `sftp://host/path`),
so the transfer's history is complete — the file counterpart of `connectors.base.Recorder`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from connectors.base import ConnectorError, Exchange, RemoteUnavailable

FileKind = Literal["file", "folder", "other"]


class FolderUnusable(RemoteUnavailable):
    """A drop folder is missing, is not a folder, or refuses us; an operator can fix it, so the
    same call may succeed later. `code`: folder_missing, not_a_folder, permission_denied,
    io_error."""

    code = "folder_unusable"


@dataclass(frozen=True)
class FileStat:
    kind: FileKind
    size: int


class FileSystem(Protocol):
    """The file operations a drop folder needs; paths are plain strings in the target's syntax.

    Implementations raise `OSError` subclasses for file-level failures (`FileNotFoundError`,
    `PermissionError`, ...) and a `ConnectorError` for a broken connection.
    """

    def url(self, path: str) -> str:
        """How the path appears in the history (a local path, or sftp://host/path)."""
        ...

    def join(self, folder: str, name: str) -> str: ...

    def stat(self, path: str) -> FileStat | None:
        """None when nothing is there."""
        ...

    def names(self, folder: str) -> list[str]: ...

    def read(self, path: str, chunk_bytes: int) -> Iterator[bytes]: ...

    def write(self, path: str, chunks: Iterable[bytes]) -> None:
        """Create or truncate `path`, write every chunk, flush and fsync before returning."""
        ...

    def rename(self, source: str, target: str) -> None:
        """Atomic rename, replacing `target` (POSIX rename semantics)."""
        ...

    def remove(self, path: str) -> None: ...


class LocalFileSystem:
    """The drop folder on a local or mounted file system."""

    def url(self, path: str) -> str:
        return path

    def join(self, folder: str, name: str) -> str:
        return str(Path(folder) / name)

    def stat(self, path: str) -> FileStat | None:
        try:
            found = Path(path).stat()
        except FileNotFoundError:
            return None
        return FileStat(file_kind(found.st_mode), found.st_size)

    def names(self, folder: str) -> list[str]:
        return [entry.name for entry in Path(folder).iterdir()]

    def read(self, path: str, chunk_bytes: int) -> Iterator[bytes]:
        with Path(path).open("rb") as handle:
            while chunk := handle.read(chunk_bytes):
                yield chunk

    def write(self, path: str, chunks: Iterable[bytes]) -> None:
        with Path(path).open("wb") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())

    def rename(self, source: str, target: str) -> None:
        Path(source).replace(target)
        _fsync_folder(Path(target).parent)

    def remove(self, path: str) -> None:
        Path(path).unlink(missing_ok=True)


def file_kind(mode: int) -> FileKind:
    """What an `st_mode` says the entry is (local or SFTP)."""
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "other"


def _fsync_folder(folder: Path) -> None:
    """The rename itself is durable only once the folder entry is on disk."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def file_errors(url: str, action: str) -> Iterator[None]:
    """Turn a file-level `OSError` into the `ConnectorError` that names the situation."""
    try:
        yield
    except FileNotFoundError as exc:
        raise FolderUnusable(
            f"{action} impossible, chemin absent : {url}", code="folder_missing"
        ) from exc
    except NotADirectoryError as exc:
        raise FolderUnusable(
            f"{action} impossible, un élément du chemin n'est pas un dossier : {url}",
            code="not_a_folder",
        ) from exc
    except PermissionError as exc:
        raise FolderUnusable(
            f"{action} refusé(e), droits insuffisants : {url}", code="permission_denied"
        ) from exc
    except OSError as exc:
        raise FolderUnusable(
            f"{action} impossible ({url}) : {exc.strerror or exc}", code="io_error"
        ) from exc


class FileRecorder:
    """Reads, writes and renames through a `FileSystem`, each recorded as an `Exchange`."""

    def __init__(
        self,
        connector: str,
        files: FileSystem,
        history: list[Exchange],
        clock: Callable[[], datetime],
        chunk_bytes: int,
    ) -> None:
        self.connector = connector
        self.files = files
        self.history = history
        self.clock = clock
        self.chunk_bytes = chunk_bytes

    def read(self, path: str, mid: str, sink: Callable[[bytes], object]) -> int:
        started, began = self.clock(), time.monotonic()
        digest, size, error = hashlib.sha256(), 0, None
        try:
            with file_errors(self.files.url(path), "lecture"):
                for chunk in self.files.read(path, self.chunk_bytes):
                    digest.update(chunk)
                    size += len(chunk)
                    sink(chunk)
        except ConnectorError as exc:
            error = exc.code
            raise
        finally:
            self._record(
                "GET", path, mid, started, began, response=(digest.hexdigest(), size), error=error
            )
        return size

    def record_read(self, path: str, mid: str, data: bytes, *, error: str | None) -> None:
        """Record a read the caller made itself (a reply, read whole and bounded)."""
        self._record(
            "GET",
            path,
            mid,
            self.clock(),
            time.monotonic(),
            response=(hashlib.sha256(data).hexdigest(), len(data)),
            error=error,
        )

    def write(
        self,
        path: str,
        chunks: Iterable[bytes],
        mid: str,
        sent: Callable[[], tuple[str, int]],
    ) -> None:
        started, began, error = self.clock(), time.monotonic(), None
        try:
            with file_errors(self.files.url(path), "écriture"):
                self.files.write(path, chunks)
        except ConnectorError as exc:
            error = exc.code
            raise
        finally:
            self._record("PUT", path, mid, started, began, request=sent(), error=error)

    def rename(self, source: str, target: str, mid: str) -> None:
        started, began, error = self.clock(), time.monotonic(), None
        try:
            with file_errors(self.files.url(target), "renommage"):
                self.files.rename(source, target)
        except ConnectorError as exc:
            error = exc.code
            raise
        finally:
            headers = {"source": self.files.url(source)}
            self._record("RENAME", target, mid, started, began, headers=headers, error=error)

    def _record(
        self,
        method: str,
        path: str,
        mid: str,
        started: datetime,
        began: float,
        *,
        request: tuple[str, int] | None = None,
        response: tuple[str, int] | None = None,
        headers: Mapping[str, str] | None = None,
        error: str | None,
    ) -> None:
        self.history.append(
            Exchange(
                connector=self.connector,
                message_identifier=mid,
                method=method,
                url=self.files.url(path),
                started_at=started,
                elapsed_seconds=time.monotonic() - began,
                status=None,
                request_headers=dict(headers or {}),
                response_headers={},
                request_sha256=request[0] if request and request[1] else None,
                request_size=request[1] if request else 0,
                response_sha256=response[0] if response and response[1] else None,
                response_size=response[1] if response else 0,
                error=error,
            )
        )
