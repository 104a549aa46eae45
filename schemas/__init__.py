"""Pinned official SEDA schemas (addresses and SHA-256 digests), their XML catalog, and install.

`schemas` carries no copy of the official XSD files: `install()` fetches them (or copies them
from a local folder) and refuses any file whose digest differs from the pin.
"""

from schemas.install import (
    InstallReport,
    PinnedDigestMismatch,
    SchemaDownloadFailed,
    SchemaInstallError,
    SchemaSourceMissing,
    install,
)
from schemas.pins import DEFAULT_VERSIONS, PINS, SEDA_VERSIONS, PinnedFile, pins_for

__all__ = [
    "DEFAULT_VERSIONS",
    "PINS",
    "SEDA_VERSIONS",
    "InstallReport",
    "PinnedDigestMismatch",
    "PinnedFile",
    "SchemaDownloadFailed",
    "SchemaInstallError",
    "SchemaSourceMissing",
    "install",
    "pins_for",
]
