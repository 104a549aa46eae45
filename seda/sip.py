"""Writing SIP packages: `manifest.xml` at the root and the binaries under `content/`.

Binaries are stored (not deflated: archives are mostly compressed formats already) under names
derived from the object id, e.g. `content/BDO_12.pdf`, so that two files with the same original
name never collide and every path component matches Vitam's SafeFileChecker pattern
`^[a-zA-Z0-9\\-_@]+(\\.[a-zA-Z0-9\\-_@]+)*$`. The original name belongs in `FileInfo/Filename`.
The manifest is streamed into the zip; binaries are copied in 1 MiB chunks.

A signed package also holds `manifest.xml.p7s` at its root: a detached signature (CAdES, CMS
SignedData without content) of the manifest's exact bytes. The signer receives the manifest's
SHA-256 digest, computed while the manifest is written, never the manifest itself. Vitam refuses
any second file at the root (`SafeFileChecker`), so a package for Vitam is written unsigned and
its signature is kept on the transfer record instead.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING

from seda.model import ArchiveTransfer
from seda.package import PORTABLE_COMPONENT
from seda.writer import write_transfer
from seda.zipwriter import ZipWriter, dos_time

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

MANIFEST = "manifest.xml"
SIGNATURE_SUFFIX = ".p7s"
ManifestSigner = Callable[[bytes], bytes]  # SHA-256 digest of the manifest -> detached signature
# Writes the manifest of a transfer to a stream: SEDA 2.x by default, `seda.v1` for SEDA 1.0.
ManifestWriter = Callable[[IO[bytes], ArchiveTransfer], None]
_EXTENSION = re.compile(r"^[A-Za-z0-9]{1,16}$")


class SipLayout(StrEnum):
    """Where binaries sit in the zip: under `content/` (SEDA 2 practice, Vitam's rule) or
    beside the manifest (Maarch RM extracts with `7z e`, which flattens folders, and Maarch
    Courrier sends flat packages)."""

    CONTENT = "content"
    FLAT = "flat"


def content_name(object_id: str, original_name: str, layout: SipLayout = SipLayout.CONTENT) -> str:
    """A portable, unique member name for a binary: `content/<id>[.<ext>]` (or `<id>[.<ext>]`
    in the flat layout)."""
    if not PORTABLE_COMPONENT.match(object_id):
        raise ValueError(f"identifiant d'objet non portable : {object_id!r}")
    # Not PurePosixPath(...).suffix: pathlib interns every name it parses, and the table of
    # interned strings never shrinks (3.8 MB more for 10,000 documents).
    suffix = posixpath.splitext(posixpath.basename(original_name.rstrip("/")))[1].lstrip(".")
    name = f"{object_id}.{suffix.lower()}" if _EXTENSION.match(suffix) else object_id
    return name if layout is SipLayout.FLAT else f"content/{name}"


@dataclass(frozen=True)
class WrittenSip:
    """What the package's writing learnt: the manifest's SHA-256 (for Vitam's
    ``X-Manifest-Digest-*`` headers, and our repository's check) and its signature, if any."""

    manifest_sha256: bytes
    signature: bytes | None


def write_sip(
    out: Path,
    transfer: ArchiveTransfer,
    files: Iterable[tuple[str, Path]],
    *,
    signer: ManifestSigner | None = None,
    writer: ManifestWriter = write_transfer,
) -> WrittenSip:
    """Write the zip: the manifest (by ``writer``), its signature when a signer is given, then
    each (member name, source file) pair; the manifest is hashed as it is written."""
    partial = out.with_name(out.name + ".part")
    try:
        # The package holds the documents: readable by its owner only, whatever the umask.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w+b") as target, ZipWriter(target, out.parent) as archive:
            if signer is None:
                written = WrittenSip(_write_manifest(archive, transfer, writer), None)
            else:
                written = _write_signed_manifest(archive, transfer, signer, writer, out.parent)
            for member, source in files:
                with source.open("rb") as src:
                    status = os.fstat(src.fileno())
                    date_time = dos_time(status.st_mtime)
                    with archive.open(member, date_time, status.st_mode) as dst:
                        shutil.copyfileobj(src, dst, 1024 * 1024)
    except BaseException:
        partial.unlink(missing_ok=True)  # no half-written package left behind
        raise
    partial.replace(out)
    return written


def _write_manifest(archive: ZipWriter, transfer: ArchiveTransfer, writer: ManifestWriter) -> bytes:
    """The manifest streamed into the zip, hashed on the way; its SHA-256."""
    with archive.open(MANIFEST) as stream:
        hashing = _HashingWriter(stream)  # type: ignore[arg-type]
        buffered = io.BufferedWriter(hashing, 1024 * 1024)
        writer(buffered, transfer)
        buffered.flush()
    return hashing.sha256.digest()


class _HashingWriter(io.RawIOBase):
    """Passes every byte on to ``target`` and hashes it."""

    def __init__(self, target: IO[bytes]) -> None:
        self.target = target
        self.sha256 = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        chunk = bytes(data)
        self.sha256.update(chunk)
        self.target.write(chunk)
        return len(chunk)


def _write_signed_manifest(
    archive: ZipWriter,
    transfer: ArchiveTransfer,
    signer: ManifestSigner,
    writer: ManifestWriter,
    spool: Path,
) -> WrittenSip:
    """The manifest goes through a temporary file so its digest is known before it is signed."""
    with tempfile.TemporaryFile(dir=spool) as tmp:
        writer(tmp, transfer)
        tmp.seek(0)
        digest = hashlib.file_digest(tmp, "sha256").digest()
        tmp.seek(0)
        with archive.open(MANIFEST) as stream:
            shutil.copyfileobj(tmp, stream, 1024 * 1024)
    signature = signer(digest)
    archive.write(MANIFEST + SIGNATURE_SUFFIX, signature)
    return WrittenSip(digest, signature)


def add_manifest_signature(path: Path, signer: ManifestSigner) -> WrittenSip:
    """Signs a ready package as `write_sip` signs ours: `manifest.xml.p7s` is appended beside
    `manifest.xml` (the members already there are not rewritten). A package that already holds
    that signature is refused (`FileExistsError`): two signers of one manifest are ambiguous."""
    with zipfile.ZipFile(path, "a", allowZip64=True) as archive:
        if MANIFEST + SIGNATURE_SUFFIX in archive.namelist():
            raise FileExistsError(MANIFEST + SIGNATURE_SUFFIX)
        digest = _manifest_digest(archive)
        signature = signer(digest)
        archive.writestr(_info(MANIFEST + SIGNATURE_SUFFIX), signature)
    return WrittenSip(digest, signature)


def manifest_sha256(path: Path) -> bytes:
    """The SHA-256 of a package's `manifest.xml`, as `WrittenSip` gives it for ours."""
    with zipfile.ZipFile(path) as archive:
        return _manifest_digest(archive)


def _manifest_digest(archive: zipfile.ZipFile) -> bytes:
    sha256 = hashlib.sha256()
    with archive.open(MANIFEST) as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            sha256.update(block)
    return sha256.digest()


def _info(name: str) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, _now())


def _now() -> tuple[int, int, int, int, int, int]:
    import time

    t = time.localtime()
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
