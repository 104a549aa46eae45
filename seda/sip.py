"""Writing SIP packages: `manifest.xml` at the root and the binaries under `content/`.

Binaries are stored (not deflated: archives are mostly compressed formats already) under names
derived from the object id, e.g. `content/BDO_12.pdf`, so that two files with the same original
name never collide and every path component matches Vitam's SafeFileChecker pattern
`^[a-zA-Z0-9\\-_@]+(\\.[a-zA-Z0-9\\-_@]+)*$`. The original name belongs in `FileInfo/Filename`.
The manifest is streamed into the zip; binaries are copied in 1 MiB chunks.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from seda.model import ArchiveTransfer
from seda.package import PORTABLE_COMPONENT
from seda.writer import write_transfer

MANIFEST = "manifest.xml"
_EXTENSION = re.compile(r"^[A-Za-z0-9]{1,16}$")


def content_name(object_id: str, original_name: str) -> str:
    """A portable, unique member name for a binary: `content/<id>[.<ext>]`."""
    if not PORTABLE_COMPONENT.match(object_id):
        raise ValueError(f"identifiant d'objet non portable : {object_id!r}")
    suffix = PurePosixPath(original_name).suffix.lstrip(".")
    return (
        f"content/{object_id}.{suffix.lower()}"
        if _EXTENSION.match(suffix)
        else f"content/{object_id}"
    )


def write_sip(out: Path, transfer: ArchiveTransfer, files: Iterable[tuple[str, Path]]) -> None:
    """Write the zip: the manifest (streamed), then each (member name, source file) pair."""
    partial = out.with_name(out.name + ".part")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            with archive.open(zipfile.ZipInfo(MANIFEST, _now()), "w", force_zip64=True) as stream:
                write_transfer(stream, transfer)
            for member, source in files:
                info = zipfile.ZipInfo.from_file(source, member)
                info.compress_type = zipfile.ZIP_STORED
                with source.open("rb") as src, archive.open(info, "w", force_zip64=True) as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
    except BaseException:
        partial.unlink(missing_ok=True)  # no half-written package left behind
        raise
    partial.replace(out)


def _now() -> tuple[int, int, int, int, int, int]:
    import time

    t = time.localtime()
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
