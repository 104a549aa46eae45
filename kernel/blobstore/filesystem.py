"""Content-addressed blob store on a local filesystem (the default backend).

Layout: ``<root>/sha256/ab/<sha256 hex>`` for blobs, ``<root>/tmp/`` for writes in progress
(same filesystem, so the final ``rename(2)`` is atomic). A put writes a temp file, fsyncs it,
renames it onto its final name and fsyncs the directory: a blob is either absent or whole and
durable. Any failure removes the temp file; a process killed meanwhile cannot, so temp files
are named after their process (``tempfiles``) and ``remove_stale_temp_files`` removes those of
dead processes only. Blob paths derive from the digest only (checked
against ``[0-9a-f]{64}``): no user string is ever joined to a path (OWASP ASVS 5.0 §5.3.2).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import BinaryIO, Final

from kernel.blobstore.durability import fsync_dir, fsync_path, storage_error, sync_all, write_all
from kernel.blobstore.hashing import (
    SizeGuard,
    copy_digesting,
    digest_bytes,
    file_chunks,
    read_small,
)
from kernel.blobstore.ports import BlobNotFound, Chunks, ContentRef, Leftover
from kernel.blobstore.tempfiles import OwnedTempDir

HEX_SHA256: Final = re.compile(r"[0-9a-f]{64}")
TEMP_PREFIX: Final = "blob-"
_HEX2: Final = re.compile(r"[0-9a-f]{2}")


def _write_chunk(fd: int, chunk: bytes) -> None:
    try:
        write_all(fd, chunk)
    except OSError as exc:
        raise storage_error(exc, "écriture") from exc


def _remove_quietly(path: Path) -> None:
    path.unlink(missing_ok=True)


class FilesystemBlobStore:
    """Blobs as files under ``root``; ``batch()`` makes many small files durable together."""

    def __init__(self, root: Path | str, *, name: str = "filesystem") -> None:
        self.name = name
        self.root = Path(root)
        self.blobs_dir = self.root / "sha256"
        self.tmp_dir = self.root / "tmp"
        try:
            self.blobs_dir.mkdir(parents=True, exist_ok=True)
            self.tmp_dir.mkdir(exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, "création du stockage") from exc
        self.temp = OwnedTempDir(self.tmp_dir, (TEMP_PREFIX,))
        self._leaves: dict[str, Path] = {}  # "ab" -> blobs_dir / "ab"

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef:
        temp, ref = self.write_temp(data, expected_size=expected_size, max_size=max_size, sync=True)
        try:
            for directory in self.install(temp, ref):
                fsync_dir(directory)
        except OSError as exc:
            _remove_quietly(temp)
            raise storage_error(exc, "enregistrement") from exc
        return ref

    def batch(self) -> FilesystemBatch:
        return FilesystemBatch(self)

    def open(self, sha256: str) -> BinaryIO:
        path = self.path_of(sha256)
        try:
            return path.open("rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(f"Contenu {sha256} introuvable", sha256=sha256) from exc
        except OSError as exc:
            raise storage_error(exc, "lecture") from exc

    def exists(self, sha256: str) -> bool:
        if not HEX_SHA256.fullmatch(sha256):
            return False
        return self._blob_path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        """Removes the blob; removing a blob that is already gone is not an error (retries)."""
        if not HEX_SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        path = self._blob_path(sha256)
        try:
            path.unlink()
            fsync_dir(path.parent)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise storage_error(exc, "suppression") from exc

    def iter_digests(self) -> Iterator[str]:
        try:
            for top in _sorted_subdirs(self.blobs_dir):
                yield from self._digests_in(top, top.name)
        except OSError as exc:
            raise storage_error(exc, "liste des contenus") from exc

    def _digests_in(self, directory: Path, prefix: str) -> Iterator[str]:
        with os.scandir(directory) as entries:
            names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
        for name in names:
            if HEX_SHA256.fullmatch(name) and name.startswith(prefix):
                yield name

    def path_of(self, sha256: str) -> Path:
        """The blob's path; ``BlobNotFound`` for anything that is not a SHA-256 hex digest."""
        if not HEX_SHA256.fullmatch(sha256):
            raise BlobNotFound("Empreinte SHA-256 invalide", sha256=sha256)
        return self._blob_path(sha256)

    def _blob_path(self, sha256: str) -> Path:
        # One level of 256 folders: with two levels (ab/cd) a new store creates ~9,250
        # folders for its first 10,000 blobs, ~5 s at 0.67 ms per mkdir here (bench_blobstore).
        return self.blobs_dir / sha256[:2] / sha256

    def write_temp(
        self,
        data: Chunks,
        *,
        expected_size: int | None,
        max_size: int | None,
        sync: bool,
    ) -> tuple[Path, ContentRef]:
        """Streams ``data`` into a new temp file; the file is removed if anything fails."""
        try:
            fd, temp = self.temp.mkstemp(TEMP_PREFIX)
        except OSError as exc:
            raise storage_error(exc, "création d'un fichier temporaire") from exc
        try:
            ref = self._fill(fd, data, expected_size=expected_size, max_size=max_size, sync=sync)
        except BaseException:
            _remove_quietly(temp)
            raise
        return temp, ref

    def stage_file(self, path: str, *, max_size: int | None = None) -> tuple[Path, ContentRef]:
        """A file's content in a new temp file, hashed, not synced (``commit_temps`` makes it
        a blob). A small file is read whole and hashed in one call (the hashing releases the
        GIL); a large one streamed. The file's ``OSError`` propagates."""
        content = read_small(path)
        if content is None:
            chunks = file_chunks(path)
            return self.write_temp(chunks, expected_size=None, max_size=max_size, sync=False)
        SizeGuard(expected_size=None, max_size=max_size).admit(content)
        return self.write_bytes_temp(content), digest_bytes(content)

    def commit_temps(self, temps: Sequence[tuple[Path, ContentRef]]) -> None:
        """Makes complete temp files blobs, durable together: one ``syncfs`` (their contents),
        the renames, one more (the renames). On failure the temp files not yet moved are
        removed; those already moved are blobs no one references yet."""
        try:
            sync_all([temp for temp, _ in temps], fsync_path, self.tmp_dir)
            dirs: set[Path] = set()
            for temp, ref in temps:
                dirs |= self.install(temp, ref)
            sync_all(sorted(dirs), fsync_dir, self.blobs_dir)
        except BaseException as exc:
            for temp, _ref in temps:
                _remove_quietly(temp)
            if isinstance(exc, OSError):
                raise storage_error(exc, "validation du lot") from exc
            raise

    def write_bytes_temp(self, content: bytes) -> Path:
        """A new temp file holding ``content``, not synced; removed if anything fails."""
        try:
            fd, temp = self.temp.mkstemp(TEMP_PREFIX)
        except OSError as exc:
            raise storage_error(exc, "création d'un fichier temporaire") from exc
        try:
            try:
                _write_chunk(fd, content)
            finally:
                _storage_call(os.close, fd, action="fermeture")
        except BaseException:
            _remove_quietly(temp)
            raise
        return temp

    def _fill(
        self,
        fd: int,
        data: Chunks,
        *,
        expected_size: int | None,
        max_size: int | None,
        sync: bool,
    ) -> ContentRef:
        try:
            write = partial(_write_chunk, fd)
            ref = copy_digesting(data, write, expected_size=expected_size, max_size=max_size)
            if sync:
                _storage_call(os.fsync, fd, action="synchronisation")
        finally:
            _storage_call(os.close, fd, action="fermeture")
        return ref

    def install(self, temp: Path, ref: ContentRef) -> set[Path]:
        """Moves a complete temp file onto its blob path; returns the directories to sync.

        When the blob is already there with the same size (identical content: same SHA-256),
        the temp file is removed instead: the content is stored once. The leaf directory is
        still returned, as the writer of that blob may not have synced it yet. Paths as
        strings here: pathlib's joins and parses cost more than the rename (bulk import).
        """
        leaf = self._leaves.get(ref.sha256[:2]) or self._leaf(ref.sha256[:2])
        final = f"{leaf}/{ref.sha256}"
        dirs = {leaf}
        if _size_or_none(final) == ref.size:
            temp.unlink()
            return dirs
        try:
            temp.replace(final)
        except FileNotFoundError:
            # First blob of its directory: create it (and its parent) only now, which spares
            # a failing mkdir per put once the 256 directories exist.
            dirs.update(created.parent for created in _make_parents(leaf))
            temp.replace(final)
        return dirs

    def _leaf(self, prefix: str) -> Path:
        self._leaves[prefix] = leaf = self.blobs_dir / prefix
        return leaf

    def remove_stale_temp_files(self) -> list[Leftover]:
        """Removes the temp files of dead processes (never a live one's); lists them."""
        try:
            return self.temp.remove_stale()
        except OSError as exc:
            raise storage_error(exc, "nettoyage des fichiers temporaires") from exc


def _storage_call(function: Callable[[int], None], fd: int, *, action: str) -> None:
    try:
        function(fd)
    except OSError as exc:
        raise storage_error(exc, action) from exc


def _make_parents(leaf: Path) -> list[Path]:
    created = []
    for directory in (leaf.parent, leaf):
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        created.append(directory)
    return created


def _size_or_none(path: str) -> int | None:
    try:
        return os.stat(path).st_size  # noqa: PTH116 - a str: no Path to build per blob
    except FileNotFoundError:
        return None


def _sorted_subdirs(directory: Path) -> list[Path]:
    with os.scandir(directory) as entries:
        names = sorted(
            e.name for e in entries if e.is_dir(follow_symlinks=False) and _HEX2.fullmatch(e.name)
        )
    return [directory / name for name in names]


class FilesystemBatch:
    """Puts without a per-file fsync; on exit one ``syncfs``, the renames, then one more.

    On an exception inside the ``with`` block every temp file of the batch is removed and no
    blob of the batch becomes visible.
    """

    def __init__(self, store: FilesystemBlobStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._temps: list[tuple[Path, ContentRef]] = []
        self._open = True

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef:
        if not self._open:
            raise ValueError("batch already closed")
        temp, ref = self._store.write_temp(
            data, expected_size=expected_size, max_size=max_size, sync=False
        )
        with self._lock:
            self._temps.append((temp, ref))
        return ref

    def put_file(self, path: str, *, max_size: int | None = None) -> ContentRef:
        if not self._open:
            raise ValueError("batch already closed")
        temp, ref = self._store.stage_file(path, max_size=max_size)
        with self._lock:
            self._temps.append((temp, ref))
        return ref

    def __enter__(self) -> FilesystemBatch:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self._open = False
        try:
            if exc_type is None:
                self._commit()
        except BaseException:
            self._discard()
            raise
        if exc_type is not None:
            self._discard()

    def _discard(self) -> None:
        for temp, _ref in self._temps:
            _remove_quietly(temp)

    def _commit(self) -> None:
        self._store.commit_temps(self._temps)
