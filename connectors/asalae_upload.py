"""What the As@lae connector (`connectors.asalae`) sends, and how: the manifest check, the
attachments archive, and the multipart upload, whole or in chunks.

As Pastell (`connecteur/as@lae-rest/AsalaeREST.php`, `src/Seda/AsalaeSedaHelper.php`) and the CD56
Java connector (`AsalaeConnector.java`) do it, as recorded in
shared/reference/connector-contracts-verified.md ("As@lae REST"):

`POST /sedaMessages` (multipart) — `seda_message` = the manifest (file `bordereau.xml`),
`attachments` = the archive; 2xx with a non-empty JSON answer, anything else is a failure.
    Chunked form (Pastell 4.x): the same POST without `attachments` and with
    `send_chunked_attachments=true` answers `chunk_session_identifier` and
    `chunk_security_identifier` (absent: this As@lae cannot take chunks), then one
    `POST /sedaAttachmentsChunkFiles` per chunk with `chunk_content`, `session_identifier`,
    `security_identifier`, `number_of_files=1`, `file_index=1`, `file_name`,
    `compression_algorithm`, `number_of_chunks`, `chunk_index` (from 1). Used when the archive
    exceeds `chunked_above_bytes` (default: `chunk_bytes`, 2,097,152 as in Pastell, whose form says
    As@lae takes no piece above 2 MB). Note that the manifest itself always travels whole.

Versions. As@lae takes SEDA 1.0, 2.1 and 2.2, not 2.3: a 2.3 manifest is refused before
anything is sent (`seda_version_unsupported`, a `Misconfiguration` of the agreement; `asalae.
PACKAGE_RULES` lets `gedsae connectors check` find it first). A SEDA 1.0 manifest (written by
``seda.v1`` when the agreement says ``seda_version = "1.0"``) is sent as is.

Attachments. Pastell always sends a gzip-compressed tar (`archive.tar.gz`) and labels chunks
`compression_algorithm=TARGZ`; CD56 sends a zip in one request (As@lae takes "ZIP ou TGZ"
there). No client shows how As@lae labels a zip sent in chunks. Hence `attachments_format`:
`"targz"` (default) reproduces Pastell exactly — the SIP's members but the manifest and its
detached signature, repacked member by member (streamed, never in memory) into a temporary
`archive.tar.gz` beside the SIP; `"zip"` sends the SIP byte for byte (its recorded digest is the
package's own) and labels chunks `ZIP`, a value no client confirms.

Streaming. The archive is never read whole: httpx reads multipart file parts in 64 KiB pieces,
and each chunk request reads only its own slice from disk. Every part hashes what httpx actually
read; the history records each request's digest (the archive, a chunk, or the manifest for the
first chunked request), and the Submission records the archive's SHA-256 as sent.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from lxml import etree

from connectors.asalae_replies import local_name, stripped_text
from connectors.base import HashingFileStream, Misconfiguration, ProtocolError, SubmissionRefused
from seda.errors import SedaError
from seda.package import Package, open_package
from seda.safexml import iterparse_safe
from seda.sip import SIGNATURE_SUFFIX
from seda.versions import NAMESPACE_PREFIX, SedaVersion

PASTELL_CHUNK_BYTES = 2_097_152
ATTACHMENTS_FORMATS = frozenset({"targz", "zip"})
_VERSIONS = {
    NAMESPACE_PREFIX + "1.0": "1.0",
    SedaVersion.V2_1.namespace: "2.1",
    SedaVersion.V2_2.namespace: "2.2",
}
_HEADER_IDS = ("MessageIdentifier", "TransferIdentifier")  # 2.x, 1.0
_AFTER_HEADER = frozenset({"DataObjectPackage", "Integrity", "Contains", "Archive"})

# one multipart file field: (field, (file name, content, media type)), as httpx takes it
FileField = tuple[str, tuple[str, IO[bytes], str]]
# POSTs a multipart form to a path under the REST root and returns As@lae's JSON answer
Post = Callable[[str, dict[str, str], list[FileField], str, HashingFileStream], Any]


@contextmanager
def opened_package(sip: Path) -> Iterator[Package]:
    try:
        with open_package(sip) as package:
            yield package
    except SedaError as exc:
        raise SubmissionRefused(
            f"paquet illisible, rien n'a été envoyé : {exc}", code=exc.code
        ) from exc


def manifest_name(package: Package) -> str:
    if package.manifest_name is None:
        raise SubmissionRefused(
            "paquet sans manifest.xml, rien n'a été envoyé", code="sip_unreadable"
        )
    return package.manifest_name


def check_manifest(package: Package, name: str, message_identifier: str) -> str:
    """The manifest's SEDA version label; refuses what As@lae does not take before any request."""
    namespace, root, identifier = _manifest_header(package, name)
    if root != "ArchiveTransfer":
        raise SubmissionRefused(f"{root} n'est pas un ArchiveTransfer", code="seda_not_a_message")
    version = _VERSIONS.get(namespace or "")
    if version is None:
        raise Misconfiguration(
            f"As@lae ne prend pas ce bordereau ({namespace}) : SEDA 1.0, 2.1 ou 2.2 attendu"
            + (
                " (le SEDA 2.3 n'y est pas pris en charge)"
                if namespace == SedaVersion.V2_3.namespace
                else ""
            ),
            code="seda_version_unsupported",
        )
    if identifier != message_identifier:
        # As@lae files the transfer under the manifest's identifier: polling ours would never end
        raise ValueError(
            f"le bordereau porte l'identifiant {identifier!r}, pas {message_identifier!r}"
        )
    return version


def _manifest_header(package: Package, name: str) -> tuple[str | None, str, str | None]:
    """Root namespace, root name and message identifier, read from the manifest's first lines."""
    events = iterparse_safe(lambda: package.open(name), events=("start", "end"))
    namespace, root, depth = None, "", 0
    try:
        for event, element in events:
            depth += 1 if event == "start" else -1
            if not root:
                namespace, root = etree.QName(element).namespace, local_name(element)
            elif depth == 2 and event == "start" and local_name(element) in _AFTER_HEADER:
                break
            elif depth == 1 and event == "end" and local_name(element) in _HEADER_IDS:
                return namespace, root, stripped_text(element)
    except SedaError as exc:
        raise SubmissionRefused(f"bordereau illisible : {exc}", code=exc.code) from exc
    finally:
        events.close()
    return namespace, root, None


@contextmanager
def attachments(sip: Path, package: Package, attachments_format: str) -> Iterator[tuple[Path, str]]:
    """The archive to send and its `compression_algorithm` label."""
    if attachments_format == "zip":
        yield sip, "ZIP"
        return
    with tempfile.TemporaryDirectory(prefix=".asalae-", dir=sip.parent) as spool:
        archive = Path(spool) / "archive.tar.gz"
        _repack(package, archive)
        yield archive, "TARGZ"


def _repack(package: Package, out: Path) -> None:
    """The SIP's members but the manifest (sent apart) and its signature, as a tar.gz."""
    skipped = {package.manifest_name, f"{package.manifest_name}{SIGNATURE_SUFFIX}"}
    now = int(time.time())
    # level 0 (stored blocks, still gzip): archives are mostly compressed formats already;
    # bench/bench_connectors.py measured level 1 at 19 MiB/s against 220 MiB/s for level 0
    with tarfile.open(out, "w:gz", compresslevel=0) as tar:
        for name, size in package.entries.items():
            if name in skipped:
                continue
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = size, now, 0o644
            with package.open(name) as member:
                tar.addfile(info, member)


@dataclass(frozen=True)
class Upload:
    """Sends one manifest and its archive through `post`, whole or in chunks."""

    post: Post
    chunk_bytes: int
    chunked_above_bytes: int

    def send(
        self, package: Package, manifest: str, archive: Path, label: str, message_identifier: str
    ) -> dict[str, str]:
        """The submission's locators for what was sent."""
        size = archive.stat().st_size
        tally = _Tally(size)
        bordereau = _Part(archive, lambda: package.open(manifest), 0, package.entries[manifest])
        if size > self.chunked_above_bytes:
            self._send_chunked(bordereau, archive, label, tally, message_identifier)
            mode = "chunked"
        else:
            whole = _Part(archive, lambda: archive.open("rb"), 0, size, tally)
            files = [_file("seda_message", bordereau), _file("attachments", whole, archive.name)]
            self.post("/sedaMessages", {}, files, message_identifier, whole)
            mode = "single"
        sent = {"upload": mode, "attachments_name": archive.name, "attachments_bytes": str(size)}
        digest = tally.hexdigest()
        return sent if digest is None else {**sent, "attachments_sha256": digest}

    def _send_chunked(
        self, bordereau: _Part, archive: Path, label: str, tally: _Tally, message_identifier: str
    ) -> None:
        data = {"send_chunked_attachments": "true"}
        files = [_file("seda_message", bordereau)]
        answer = self.post("/sedaMessages", data, files, message_identifier, bordereau)
        session, security = _chunk_session(answer)
        size = archive.stat().st_size
        count = max(1, -(-size // self.chunk_bytes))
        for index in range(1, count + 1):
            offset = (index - 1) * self.chunk_bytes
            chunk = _Part(
                archive,
                lambda: archive.open("rb"),
                offset,
                min(self.chunk_bytes, size - offset),
                tally,
            )
            fields = {
                "session_identifier": session,
                "security_identifier": security,
                "number_of_files": "1",
                "file_index": "1",
                "file_name": archive.name,
                "compression_algorithm": label,
                "number_of_chunks": str(count),
                "chunk_index": str(index),
            }
            files = [_file("chunk_content", chunk, f"{archive.name}.{index:05d}")]
            self.post("/sedaAttachmentsChunkFiles", fields, files, message_identifier, chunk)


def _chunk_session(answer: Any) -> tuple[str, str]:
    keys = ("chunk_session_identifier", "chunk_security_identifier")
    ids = [answer.get(k) if isinstance(answer, dict) else None for k in keys]
    if not all(isinstance(i, str | int) and not isinstance(i, bool) and str(i) for i in ids):
        raise ProtocolError(
            "cette version d'As@lae n'accepte pas l'envoi par morceaux (pas de "
            "chunk_session_identifier) : relevez chunked_above_bytes si elle prend l'envoi en une fois",
            code="chunked_upload_unsupported",
        )
    return str(ids[0]), str(ids[1])


class _Tally:
    """SHA-256 of a whole file sent in parts, in order. Should a part ever be read out of order
    (httpx re-reading a body), the digest is withheld rather than wrong."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.offset = 0
        self.in_order = True
        self._sha256 = hashlib.sha256()

    def feed(self, at: int, data: bytes) -> None:
        self.in_order = self.in_order and at == self.offset
        self._sha256.update(data)
        self.offset = at + len(data)

    def hexdigest(self) -> str | None:
        complete = self.in_order and self.offset == self.size
        return self._sha256.hexdigest() if complete else None


class _Part(HashingFileStream):
    """`length` bytes from `offset` of what `opener` opens, as the file object httpx's multipart
    encoder reads (size by seeking to the end, then reading from 0), hashing what it reads."""

    def __init__(
        self,
        path: Path,
        opener: Callable[[], IO[bytes]],
        offset: int,
        length: int,
        tally: _Tally | None = None,
    ) -> None:
        super().__init__(path)
        self._opener = opener
        self._offset = offset
        self._length = length
        self._tally = tally
        self._handle: IO[bytes] | None = None
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        left = self._length - self._position
        if left <= 0:
            return b""
        if self._handle is None:
            self._handle = self._opener()
            if self._offset:
                self._handle.seek(self._offset)
        data = self._handle.read(left if size < 0 else min(size, left))
        if not data:
            self.close()
            raise OSError(f"{self.path} a raccourci pendant l'envoi")
        if self._tally is not None:
            self._tally.feed(self._offset + self._position, data)
        self.sha256.update(data)
        self.size += len(data)
        self._position += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset + {io.SEEK_SET: 0, io.SEEK_CUR: self._position}.get(whence, self._length)
        if target == self._position:
            return target
        if target not in (0, self._length):
            raise io.UnsupportedOperation("seul un retour au début ou un saut à la fin est permis")
        self.close()
        if target == 0:  # read again from the start: what is hashed is what is sent
            self.sha256, self.size = hashlib.sha256(), 0
        self._position = target
        return target

    def tell(self) -> int:
        return self._position

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(self.chunk_bytes):
            yield chunk


def _file(field: str, part: _Part, filename: str = "bordereau.xml") -> FileField:
    media = "application/xml" if filename.endswith(".xml") else "application/octet-stream"
    # httpx types file contents as IO[bytes]; it only calls read, seek and tell on them
    return field, (filename, cast(IO[bytes], part), media)
