"""Drop-folder connector: the SIP is left in a folder the repository watches, and its replies are
picked up from another folder. The algorithm is shared with the SFTP connector (`connectors.sftp`)
through the `FileSystem` interface of `connectors.files`, which also records every file operation.

Contract (the "dépôt" pattern: Pastell's depot connectors, Vitam's upload folder —
shared/reference/landscape-and-connector-contracts.md §1B and §2(a)):

Outbox (`outbox_dir`)
    The SIP is written as `.{MessageIdentifier}.zip.part`, flushed and fsync'ed, then renamed to
    `{MessageIdentifier}.zip` (an atomic rename on the same file system): a consumer that skips
    names starting with `.` never sees half a package. With `done_marker = true` the marker
    `{MessageIdentifier}.zip.done` follows (written the same way), holding the package's SHA-256
    in `sha256sum` format, for consumers that wait for a marker.
    Idempotent: when the package or its marker is already there with the same SHA-256, nothing is
    written again and the submission says `duplicate=True`; a different package under that name
    is refused (`idempotency_conflict`). The marker is read first, so a consumer that has already
    taken the package away does not get it a second time.
Replies (`replies_dir`)
    Every `*.xml` file there is a candidate, except names starting with `.` and `.part` files
    (still being written). A file correlates with our transfer when its parsed
    `MessageRequestIdentifier` — or, defensively, its `MessageIdentifier` (As@lae swaps them) or
    the Acknowledgement's `MessageReceivedIdentifier` — equals our MessageIdentifier. An
    `ArchiveTransferReply` gives `Replied`, an `Acknowledgement` gives `Acknowledged`. Files
    named after our MessageIdentifier are read first. A file that cannot be read or parsed is
    reported (`ProtocolError` with its name) only when its name carries our MessageIdentifier,
    since only then is it ours; other people's broken files are left alone.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connectors.base import (
    UPLOAD_CHUNK_BYTES,
    Acknowledged,
    ConnectorError,
    Exchange,
    HashingFileStream,
    HealthReport,
    NotReady,
    PollResult,
    ProtocolError,
    Replied,
    Submission,
    SubmissionRefused,
)
from connectors.config import ConnectorSettings
from connectors.files import (
    FileRecorder,
    FileStat,
    FileSystem,
    FolderUnusable,
    LocalFileSystem,
    file_errors,
)
from seda.errors import SedaError
from seda.replies import Outcome, ReplyOutcome, parse_reply

NAME = "drop_folder"
PACKAGE_SUFFIX = ".zip"
MARKER_SUFFIX = ".done"
PART_SUFFIX = ".part"
_MARKER_MAX_BYTES = 4096
_FORBIDDEN_IN_NAMES = frozenset("/\\\x00")


@dataclass(frozen=True)
class DropSettings:
    """Where packages go and replies come from, and how the exchange behaves."""

    outbox_dir: str
    replies_dir: str
    done_marker: bool = False
    poll_interval: float = 60.0
    max_reply_bytes: int = 16 * 1024**2
    chunk_bytes: int = UPLOAD_CHUNK_BYTES


def package_name(message_identifier: str) -> str:
    """`{MessageIdentifier}.zip`; an identifier that cannot be one file name is a caller error."""
    if (
        not message_identifier
        or message_identifier.startswith(".")
        or any(c in _FORBIDDEN_IN_NAMES for c in message_identifier)
    ):
        raise ValueError(
            f"identifiant de message inutilisable comme nom de fichier : {message_identifier!r}"
        )
    return message_identifier + PACKAGE_SUFFIX


def is_reply_candidate(name: str) -> bool:
    """Finished XML files only: dot-files and `.part` files are still being written."""
    return (
        not name.startswith(".")
        and not name.endswith(PART_SUFFIX)
        and name.lower().endswith(".xml")
    )


class DropBox:
    """The drop-folder algorithm over any `FileSystem`; one instance per session is cheap."""

    def __init__(
        self,
        connector: str,
        files: FileSystem,
        settings: DropSettings,
        history: list[Exchange],
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.connector = connector
        self.files = files
        self.settings = settings
        self.history = history
        self.clock = clock
        self._recorder = FileRecorder(connector, files, history, clock, settings.chunk_bytes)

    # submit

    def submit(self, sip: Path, message_identifier: str) -> Submission:
        name = package_name(message_identifier)
        target = self.files.join(self.settings.outbox_dir, name)
        marker = target + MARKER_SUFFIX
        local = _sha256_of(sip, self.settings.chunk_bytes)
        existing = self._existing_digest(name, message_identifier, sip.stat().st_size)
        if existing is not None:
            if existing != local:
                raise self._conflict(name, f"sha256 présent {existing}, sha256 envoyé {local}")
            if self.settings.done_marker and self._stat(marker, "lecture") is None:
                self._write_marker(marker, name, local, message_identifier)
            return self._submission(target, message_identifier, duplicate=True)
        self._send_package(sip, name, target, local, message_identifier)
        if self.settings.done_marker:
            self._write_marker(marker, name, local, message_identifier)
        return self._submission(target, message_identifier, duplicate=False)

    def _submission(self, target: str, message_identifier: str, *, duplicate: bool) -> Submission:
        return Submission(
            connector=self.connector,
            message_identifier=message_identifier,
            remote_reference=self.files.url(target),
            acknowledged=False,
            locators={"package": target},
            duplicate=duplicate,
        )

    def _conflict(self, name: str, reason: str) -> SubmissionRefused:
        outbox = self.files.url(self.settings.outbox_dir)
        return SubmissionRefused(
            f"un autre paquet porte déjà le nom {name} dans {outbox}",
            code="idempotency_conflict",
            reasons=(reason,),
        )

    def _existing_digest(self, name: str, message_identifier: str, size: int) -> str | None:
        """The SHA-256 of what already sits under our name: the marker's, else the package's
        (read only when its size matches ours: over SFTP that read is a download)."""
        target = self.files.join(self.settings.outbox_dir, name)
        marker = target + MARKER_SUFFIX
        found = self._stat(marker, "lecture")
        if found is not None:
            return self._marker_digest(marker, found, message_identifier)
        found = self._stat(target, "lecture")
        if found is None:
            return None
        if found.kind != "file":
            raise self._conflict(name, "ce n'est pas un fichier")
        if found.size != size:
            raise self._conflict(name, f"taille présente {found.size}, taille envoyée {size}")
        digest = hashlib.sha256()
        self._recorder.read(target, message_identifier, digest.update)
        return digest.hexdigest()

    def _marker_digest(self, marker: str, found: FileStat, message_identifier: str) -> str:
        url = self.files.url(marker)
        if found.kind != "file" or found.size > _MARKER_MAX_BYTES:
            raise ProtocolError(f"marqueur illisible : {url}", code="marker_unreadable")
        chunks: list[bytes] = []
        self._recorder.read(marker, message_identifier, chunks.append)
        words = b"".join(chunks).split()
        value = words[0].decode("ascii", "replace").lower() if words else ""
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ProtocolError(
                f"marqueur sans empreinte SHA-256 : {url}", code="marker_unreadable"
            )
        return value

    def _send_package(
        self, sip: Path, name: str, target: str, local: str, message_identifier: str
    ) -> None:
        partial = self.files.join(self.settings.outbox_dir, f".{name}{PART_SUFFIX}")
        upload = HashingFileStream(sip, self.settings.chunk_bytes)
        self._recorder.write(
            partial, upload, message_identifier, lambda: (upload.sha256.hexdigest(), upload.size)
        )
        if upload.sha256.hexdigest() != local:
            self._remove_quietly(partial)
            raise ValueError(f"le paquet {sip} a changé pendant l'envoi")
        self._recorder.rename(partial, target, message_identifier)

    def _write_marker(self, marker: str, name: str, digest: str, message_identifier: str) -> None:
        content = f"{digest}  {name}\n".encode("ascii", "replace")
        partial = self.files.join(self.settings.outbox_dir, f".{name}{MARKER_SUFFIX}{PART_SUFFIX}")
        self._recorder.write(
            partial,
            [content],
            message_identifier,
            lambda: (hashlib.sha256(content).hexdigest(), len(content)),
        )
        self._recorder.rename(partial, marker, message_identifier)

    # poll

    def poll(self, submission: Submission) -> PollResult:
        mid = submission.message_identifier
        folder = self.settings.replies_dir
        with file_errors(self.files.url(folder), "lecture du dossier des réponses"):
            names = [n for n in self.files.names(folder) if is_reply_candidate(n)]
        acknowledgement: tuple[ReplyOutcome, bytes] | None = None
        for name in sorted(names, key=lambda n: (mid not in n, n)):
            found = self._reply(self.files.join(folder, name), name, mid)
            if found is None:
                continue
            if found[0].outcome is not Outcome.RECEIVED:
                return Replied(found[0], found[1])
            acknowledgement = acknowledgement or found
        if acknowledgement is not None and not submission.acknowledged:
            return Acknowledged(self.settings.poll_interval, acknowledgement[0], acknowledgement[1])
        return NotReady(self.settings.poll_interval)

    def _reply(self, path: str, name: str, mid: str) -> tuple[ReplyOutcome, bytes] | None:
        """The reply in this file when it is about our transfer, else None."""
        ours = mid in name
        data = self._reply_bytes(path, name, ours)
        if data is None:
            return None
        try:
            outcome = parse_reply(data, transfer_identifier=mid)
        except SedaError as exc:
            if ours:
                self._recorder.record_read(path, mid, data, error="reply_unreadable")
                raise ProtocolError(
                    f"réponse illisible ({name}) : {exc}", code="reply_unreadable"
                ) from exc
            return None
        if outcome.transfer_identifier != mid:
            return None
        self._recorder.record_read(path, mid, data, error=None)
        return outcome, data

    def _reply_bytes(self, path: str, name: str, ours: bool) -> bytes | None:
        """The file's bytes, or None when it is gone, not a file, or unreadable and not ours."""
        try:
            found = self.files.stat(path)
            if found is None or found.kind != "file":
                return None  # taken away by its consumer between the listing and now
            too_large = found.size > self.settings.max_reply_bytes
            data = None if too_large else self._bounded_read(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if not ours:
                return None
            raise ProtocolError(
                f"réponse illisible ({name}) : {exc.strerror or exc}", code="reply_unreadable"
            ) from exc
        if data is None and ours:
            raise ProtocolError(
                f"réponse de plus de {self.settings.max_reply_bytes} octets ({name})",
                code="response_too_large",
            )
        return data

    def _bounded_read(self, path: str) -> bytes | None:
        """None past `max_reply_bytes`: a reply folder is no place for large files."""
        chunks, size = [], 0
        for chunk in self.files.read(path, self.settings.chunk_bytes):
            size += len(chunk)
            if size > self.settings.max_reply_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    # check

    def check(self, remote: str, details: Mapping[str, str] | None = None) -> HealthReport:
        try:
            self._check_folder(self.settings.outbox_dir, writable=True)
            self._check_folder(self.settings.replies_dir, writable=False)
        except ConnectorError as exc:
            return HealthReport.failed(self.connector, remote, exc)
        info = {
            "outbox_dir": self.files.url(self.settings.outbox_dir),
            "replies_dir": self.files.url(self.settings.replies_dir),
            **(details or {}),
        }
        return HealthReport(
            self.connector, remote, True, "ok", "dossiers de dépôt et de réponse utilisables", info
        )

    def _check_folder(self, folder: str, *, writable: bool) -> None:
        url = self.files.url(folder)
        found = self._stat(folder, "accès au dossier")
        if found is None:
            raise FolderUnusable(f"dossier absent : {url}", code="folder_missing")
        if found.kind != "folder":
            raise FolderUnusable(f"{url} n'est pas un dossier", code="not_a_folder")
        with file_errors(url, "lecture du dossier"):
            self.files.names(folder)
        if writable:
            # only a real write says whether we may write (ACLs, read-only mounts, root squash)
            probe = self.files.join(folder, f".gedsae-check-{uuid.uuid4().hex}{PART_SUFFIX}")
            with file_errors(url, "écriture dans le dossier"):
                self.files.write(probe, [b""])
                self.files.remove(probe)

    # file operations that need no record (the recorded ones are `FileRecorder`'s)

    def _stat(self, path: str, action: str) -> FileStat | None:
        with file_errors(self.files.url(path), action):
            return self.files.stat(path)

    def _remove_quietly(self, path: str) -> None:
        try:
            self.files.remove(path)
        except OSError:
            return


def _sha256_of(path: Path, chunk_bytes: int) -> str:
    stream = HashingFileStream(path, chunk_bytes)
    for _chunk in stream:  # the stream hashes what it reads
        pass
    return stream.sha256.hexdigest()


class DropFolderConnector:
    """Drops SIPs into a local (or mounted) folder and picks replies up from another."""

    name = NAME

    def __init__(
        self,
        settings: DropSettings,
        *,
        history: list[Exchange] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.history: list[Exchange] = [] if history is None else history
        self._box = DropBox(NAME, LocalFileSystem(), settings, self.history, clock=clock)

    def __repr__(self) -> str:
        return f"DropFolderConnector({self.settings.outbox_dir!r})"

    def submit(
        self,
        sip: Path,
        *,
        message_identifier: str,
        transferring_agency: str,
        manifest_digest: tuple[str, str] | None,
    ) -> Submission:
        del (
            transferring_agency,
            manifest_digest,
        )  # the package carries both; a folder has no headers
        return self._box.submit(sip, message_identifier)

    def poll(self, submission: Submission) -> PollResult:
        return self._box.poll(submission)

    def check(self) -> HealthReport:
        return self._box.check(self.settings.outbox_dir)


def drop_settings(settings: ConnectorSettings) -> DropSettings:
    """The options both file connectors share: ``outbox_dir``, ``replies_dir``, ``done_marker``,
    ``poll_interval`` (seconds), ``max_reply_bytes``."""
    return DropSettings(
        outbox_dir=settings.text("outbox_dir"),
        replies_dir=settings.text("replies_dir"),
        done_marker=settings.flag("done_marker", False),
        poll_interval=settings.number("poll_interval", 60.0),
        max_reply_bytes=settings.integer("max_reply_bytes", 16 * 1024**2),
    )


def from_settings(settings: ConnectorSettings, history: list[Exchange]) -> DropFolderConnector:
    """Local folders: ``outbox_dir`` and ``replies_dir`` are paths (``~`` expanded)."""
    shared = drop_settings(settings)
    local = DropSettings(
        outbox_dir=str(settings.path("outbox_dir")),
        replies_dir=str(settings.path("replies_dir")),
        done_marker=shared.done_marker,
        poll_interval=shared.poll_interval,
        max_reply_bytes=shared.max_reply_bytes,
    )
    return DropFolderConnector(local, history=history)
