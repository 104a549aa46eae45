"""A transfer as As@lae's clients send it: the bordereau and its attachments apart, made into
the package the ingest checks read (``manifest.xml`` at the root of a zip, members beside it).

Pastell (`connecteur/as@lae-rest/AsalaeREST.php`) and the CD56 connector post the bordereau as
``seda_message`` and the files as ``attachments`` — a tar.gz of the members (Pastell; labelled
``TARGZ`` even when chunked) or a zip (CD56, possibly the whole SIP with its own manifest) — in
one request or, for Pastell 4.x, in numbered chunks of a session opened by the first request
(see ``ChunkSessions``). The attachments are opened with ``seda.package``'s checks (unsafe
names, links, bombs refused before anything is read); the package is written member by member,
never held in memory, hashed while written, and fsynced before the transfer row exists, as any
other submission (``sae.ingest.receive``).

The header (MessageIdentifier, TransferringAgency) is read from the bordereau itself
(``sae.ingest.header``): As@lae files a transfer under its manifest's identifier, which is also
what its clients poll with.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import shutil
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final

from kernel.errors import ConflictError, NotFoundError
from sae.ingest.header import ManifestRefused
from sae.ingest.receive import PackageTooLarge, Quarantined
from sae.ingest.settings import QUARANTINE_PREFIX, QUARANTINE_SUFFIX, IngestSettings
from seda.errors import SedaError
from seda.package import open_package
from seda.sip import MANIFEST, SIGNATURE_SUFFIX
from seda.versions import NAMESPACE_PREFIX

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

COPY_BYTES: Final = 1024 * 1024
ABANDONED_AFTER_S: Final = 2 * 24 * 3600
_SEDA_1_0: Final = NAMESPACE_PREFIX + "1.0"


class UnknownChunkSession(NotFoundError):
    code = "chunk_session_not_found"
    title = "Session d'envoi par morceaux inconnue"


class ChunkOutOfOrder(ConflictError):
    code = "chunk_out_of_order"
    title = "Morceau hors de son rang"


def assemble(settings: IngestSettings, bordereau: Path, attachments: Path) -> Quarantined:
    """The package (a zip in the quarantine area) of ``bordereau`` and the members of
    ``attachments``; a manifest and its signature among the attachments (a whole SIP sent as a
    zip) give way to the bordereau sent apart, which is the one As@lae files."""
    settings.quarantine_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        dir=settings.quarantine_dir, prefix=QUARANTINE_PREFIX, suffix=QUARANTINE_SUFFIX
    )
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as raw:
            out = _HashingWriter(raw, settings.max_package_bytes)
            _write_zip(out, bordereau, attachments)
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Quarantined(path, out.sha256.hexdigest(), out.size)


def _write_zip(out: io.RawIOBase, bordereau: Path, attachments: Path) -> None:
    try:
        with open_package(attachments) as package, zipfile.ZipFile(out, "w") as archive:
            skipped = {package.manifest_name, f"{package.manifest_name}{SIGNATURE_SUFFIX}"}
            with bordereau.open("rb") as source, archive.open(MANIFEST, "w") as target:
                shutil.copyfileobj(source, target, COPY_BYTES)
            for member in package.entries:
                if member in skipped and package.kind == "zip":
                    continue
                with archive.open(_info(member), "w", force_zip64=True) as target:
                    for chunk in package.chunks(member):
                        target.write(chunk)
    except SedaError as exc:
        raise ManifestRefused(f"Pièces jointes illisibles : {exc}") from exc


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED  # archives are mostly compressed formats already
    return info


class _HashingWriter(io.RawIOBase):
    """What zipfile writes, hashed and counted on its way to ``raw``; past ``limit`` bytes the
    package is refused."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self._raw = raw
        self._limit = limit
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: ReadableBuffer) -> int:
        view = memoryview(data)
        self.size += view.nbytes
        if self.size > self._limit:
            raise PackageTooLarge(f"Paquet de plus de {self._limit} octets")
        self.sha256.update(view)
        return self._raw.write(view)

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._raw.flush()


# -- chunked upload --------------------------------------------------------------------------
@dataclass(frozen=True)
class ChunkSession:
    identifier: str
    security: str  # shown once to the client; only its digest is kept on disk
    folder: Path

    @property
    def bordereau(self) -> Path:
        return self.folder / "bordereau.xml"

    @property
    def attachments(self) -> Path:
        return self.folder / "attachments"


class ChunkSessions:
    """Sessions of a chunked upload, one folder each under ``root``: the bordereau, the
    attachments as received so far, and who may append to them (tenant, digest of the security
    identifier, the next chunk expected). A chunk is appended only in its rank; the same rank
    sent again (a client's retry after a lost answer) is taken as already there when its size
    matches."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self, tenant: str, bordereau: IO[bytes]) -> ChunkSession:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.sweep()
        identifier = uuid.uuid4().hex
        session = ChunkSession(identifier, secrets.token_urlsafe(24), self.root / identifier)
        session.folder.mkdir(mode=0o700)
        with session.bordereau.open("xb") as out:
            shutil.copyfileobj(bordereau, out, COPY_BYTES)
        session.attachments.touch(mode=0o600)
        self._save(session, {"tenant": tenant, "security": _digest(session.security), "next": 1})
        return session

    def append(
        self, tenant: str, identifier: str, security: str, index: int, chunk: IO[bytes]
    ) -> ChunkSession:
        session, state = self._load(tenant, identifier, security)
        expected = int(str(state["next"]))
        if index < expected:
            return session  # sent again: already appended
        if index != expected:
            raise ChunkOutOfOrder(f"Morceau {index} reçu, le morceau {expected} était attendu")
        with session.attachments.open("ab") as out:
            shutil.copyfileobj(chunk, out, COPY_BYTES)
            out.flush()
            os.fsync(out.fileno())
        self._save(session, {**state, "next": index + 1})
        return session

    def close(self, session: ChunkSession) -> None:
        shutil.rmtree(session.folder, ignore_errors=True)

    def sweep(self, now: float | None = None) -> list[str]:
        """Remove the sessions no chunk reached for ``ABANDONED_AFTER_S`` (a client that gave
        up); their identifiers."""
        limit = (time.time() if now is None else now) - ABANDONED_AFTER_S
        gone = []
        for folder in self.root.iterdir() if self.root.is_dir() else ():
            state = folder / "session.json"
            if state.is_file() and state.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
                gone.append(folder.name)
        return gone

    def _load(
        self, tenant: str, identifier: str, security: str
    ) -> tuple[ChunkSession, dict[str, object]]:
        folder = self.root / identifier
        try:
            state = json.loads((folder / "session.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            state = None
        valid = (
            identifier.isalnum()
            and isinstance(state, dict)
            and state.get("tenant") == tenant
            and secrets.compare_digest(str(state.get("security")), _digest(security))
        )
        if not valid or state is None:
            raise UnknownChunkSession(
                f"Session {identifier} inconnue ou identifiant de sécurité faux"
            )
        return ChunkSession(identifier, security, folder), state

    def _save(self, session: ChunkSession, state: dict[str, object]) -> None:
        staged = session.folder / "session.json.tmp"
        staged.write_text(json.dumps(state), encoding="utf-8")
        staged.replace(session.folder / "session.json")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def spool(settings: IngestSettings, source: IO[bytes], limit: int) -> Path:
    """``source`` copied to a private file of the quarantine area, at most ``limit`` bytes;
    the caller removes it."""
    settings.quarantine_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        dir=settings.quarantine_dir, prefix=QUARANTINE_PREFIX, suffix=".part"
    )
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            size = 0
            while data := source.read(COPY_BYTES):
                size += len(data)
                if size > limit:
                    raise PackageTooLarge(f"Pièces jointes de plus de {limit} octets")
                out.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path
