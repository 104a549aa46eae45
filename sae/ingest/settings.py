"""What ingest is configured with (``sae.toml``, wired by ``sae.bootstrap``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509

from sae.model import ArchivalAgreement, Referential
from seda.versions import SedaVersion

# Names of the quarantined packages: sae.recovery removes the ones no transfer references.
QUARANTINE_PREFIX: Final = "sip-"
QUARANTINE_SUFFIX: Final = ".zip"
# The actor of the log entries of receipt and checks: the repository's ingest itself.
INGEST_ACTOR: Final = "ingest"


@dataclass(frozen=True)
class IngestSettings:
    quarantine_dir: Path
    schema_dir: Path
    agreements: Mapping[str, ArchivalAgreement]
    max_package_bytes: int = 4 * 1024**3
    acknowledgement_version: SedaVersion = SedaVersion.V2_2
    # Anchors of the manifest signatures (a signature no anchor vouches for is refused).
    trust_anchors: tuple[x509.Certificate, ...] = ()
    # Organisation → its agencies and rules; an organisation absent here is not checked.
    referentials: Mapping[str, Referential] = field(default_factory=dict)
