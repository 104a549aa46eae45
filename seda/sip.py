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
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import IO

from seda.model import ArchiveTransfer
from seda.package import PORTABLE_COMPONENT
from seda.writer import write_transfer

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
    suffix = PurePosixPath(original_name).suffix.lstrip(".")
    name = f"{object_id}.{suffix.lower()}" if _EXTENSION.match(suffix) else object_id
    return name if layout is SipLayout.FLAT else f"content/{name}"


def write_sip(
    out: Path,
    transfer: ArchiveTransfer,
    files: Iterable[tuple[str, Path]],
    *,
    signer: ManifestSigner | None = None,
    writer: ManifestWriter = write_transfer,
) -> bytes | None:
    """Write the zip: the manifest (by `writer`), its signature when a signer is given, then
    each (member name, source file) pair. Returns the signature (or None)."""
    partial = out.with_name(out.name + ".part")
    signature = None
    try:
        # The package holds the documents: readable by its owner only, whatever the umask.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(descriptor, 0o600)
        with (
            os.fdopen(descriptor, "wb") as target,
            zipfile.ZipFile(target, "w", zipfile.ZIP_STORED, allowZip64=True) as archive,
        ):
            if signer is None:
                with archive.open(_info(MANIFEST), "w", force_zip64=True) as stream:
                    writer(stream, transfer)
            else:
                signature = _write_signed_manifest(archive, transfer, signer, writer, out.parent)
            for member, source in files:
                info = zipfile.ZipInfo.from_file(source, member)
                info.compress_type = zipfile.ZIP_STORED
                with source.open("rb") as src, archive.open(info, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
    except BaseException:
        partial.unlink(missing_ok=True)  # no half-written package left behind
        raise
    partial.replace(out)
    return signature


def _write_signed_manifest(
    archive: zipfile.ZipFile,
    transfer: ArchiveTransfer,
    signer: ManifestSigner,
    writer: ManifestWriter,
    spool: Path,
) -> bytes:
    """The manifest goes through a temporary file so its digest is known before it is signed."""
    with tempfile.TemporaryFile(dir=spool) as tmp:
        writer(tmp, transfer)
        tmp.seek(0)
        digest = hashlib.file_digest(tmp, "sha256").digest()
        tmp.seek(0)
        with archive.open(_info(MANIFEST), "w", force_zip64=True) as stream:
            shutil.copyfileobj(tmp, stream, 1024 * 1024)
    signature = signer(digest)
    archive.writestr(_info(MANIFEST + SIGNATURE_SUFFIX), signature)
    return signature


def _info(name: str) -> zipfile.ZipInfo:
    return zipfile.ZipInfo(name, _now())


def _now() -> tuple[int, int, int, int, int, int]:
    import time

    t = time.localtime()
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
