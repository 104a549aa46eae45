"""Install the pinned SEDA schema documents into a folder, from a local copy or by download.

Every file is checked against its pinned SHA-256 before the folder is put in place: files are
written into a temporary sibling folder that replaces the destination only once all of them match,
so a failed install leaves the previous state untouched. The installed folder holds
`<version>/<file>.xsd`, `w3c/xml.xsd`, `w3c/xlink.xsd` and `catalog.xml` (OASIS XML catalog).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from schemas.pins import DEFAULT_VERSIONS, PinnedFile, pins_for

CATALOG_NAME = "catalog.xml"
_CHUNK = 64 * 1024


class SchemaInstallError(Exception):
    """The schema folder could not be installed; nothing was changed."""


class PinnedDigestMismatch(SchemaInstallError):
    def __init__(self, relative_path: str, expected: str, actual: str) -> None:
        super().__init__(
            f"{relative_path}: empreinte SHA-256 {actual} au lieu de {expected} (fichier refusé)"
        )
        self.relative_path = relative_path
        self.expected = expected
        self.actual = actual


class SchemaSourceMissing(SchemaInstallError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"fichier source absent : {path}")
        self.path = path


class SchemaDownloadFailed(SchemaInstallError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"téléchargement impossible de {url} : {reason}")
        self.url = url


@dataclass(frozen=True)
class InstallReport:
    dest: Path
    files: tuple[str, ...]


def install(
    dest: Path,
    from_dir: Path | None = None,
    *,
    versions: tuple[str, ...] = DEFAULT_VERSIONS,
    client: httpx.Client | None = None,
) -> InstallReport:
    """Install the pinned files of `versions` (plus the W3C imports) into `dest`.

    With `from_dir`, files are copied from a folder laid out like the installed one
    (`<version>/<name>.xsd`, `w3c/<name>.xsd`); otherwise they are downloaded with `client`
    (a default httpx client when None). Raises a SchemaInstallError subclass on any problem.
    """
    pins = pins_for(versions)
    dest = dest.absolute()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        _fill(staging, pins, from_dir, client)
        _write_catalog(staging)
        _replace(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return InstallReport(dest, (*(p.relative_path for p in pins), CATALOG_NAME))


def _fill(
    staging: Path, pins: tuple[PinnedFile, ...], from_dir: Path | None, client: httpx.Client | None
) -> None:
    if from_dir is not None:
        for pin in pins:
            _store(staging, pin, _read_local(from_dir, pin))
        return
    own_client = client is None
    http = client if client is not None else httpx.Client(timeout=60.0, follow_redirects=True)
    try:
        for pin in pins:
            _store(staging, pin, _download(http, pin))
    finally:
        if own_client:
            http.close()


def _read_local(from_dir: Path, pin: PinnedFile) -> bytes:
    source = from_dir / pin.relative_path
    if not source.is_file():
        raise SchemaSourceMissing(source)
    with source.open("rb") as handle:
        # One byte past the pinned size is enough to know the file is not the pinned one.
        return handle.read(pin.size + 1)


def _download(http: httpx.Client, pin: PinnedFile) -> bytes:
    try:
        with http.stream("GET", pin.url) as response:
            if response.status_code != 200:
                raise SchemaDownloadFailed(pin.url, f"HTTP {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes(_CHUNK):
                body += chunk
                if len(body) > pin.size:
                    break
            return bytes(body)
    except httpx.HTTPError as exc:
        raise SchemaDownloadFailed(pin.url, str(exc)) from exc


def _store(staging: Path, pin: PinnedFile, data: bytes) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != pin.sha256:
        raise PinnedDigestMismatch(pin.relative_path, pin.sha256, actual)
    target = staging / pin.relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _write_catalog(staging: Path) -> None:
    catalog = Path(__file__).with_name(CATALOG_NAME).read_bytes()
    (staging / CATALOG_NAME).write_bytes(catalog)


def _replace(staging: Path, dest: Path) -> None:
    """Swap the staged folder in; the old folder is removed only after the swap."""
    if not dest.exists():
        staging.rename(dest)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old.", dir=dest.parent))
    retired.rmdir()
    dest.rename(retired)
    staging.rename(dest)
    shutil.rmtree(retired, ignore_errors=True)
