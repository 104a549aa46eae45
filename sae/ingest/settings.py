"""What ingest is configured with: the platform's settings (``sae.toml``, wired by
``sae.bootstrap``) and each tenant's setup (its agreements, referentials, trust anchors and
profiles, kept in the database: ``sae.ingest.setup``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from cryptography import x509

from kernel.signing.documents.sandboxed import DocumentVerifier
from sae.model import ArchivalAgreement, Referential
from seda.versions import SedaVersion

# Names of the quarantined packages: sae.recovery removes the ones no transfer references.
QUARANTINE_PREFIX: Final = "sip-"
QUARANTINE_SUFFIX: Final = ".zip"
# The actor of the log entries of receipt and checks: the repository's ingest itself.
INGEST_ACTOR: Final = "ingest"


@dataclass(frozen=True)
class IngestSettings:
    """The platform's: where packages wait, the official schemas, the size limit, the verifier
    of the documents' signatures and the clock of those verifications."""

    quarantine_dir: Path
    schema_dir: Path
    max_package_bytes: int = 4 * 1024**3
    acknowledgement_version: SedaVersion = SedaVersion.V2_2
    # The signed documents' signatures verified again (None: reported "unchecked").
    verify_signatures: DocumentVerifier | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class TenantSetup:
    """What one tenant's transfers are checked against."""

    agreements: Mapping[str, ArchivalAgreement] = field(default_factory=dict)
    # Agencies and rules the tenant knows; None: not configured, not checked.
    referential: Referential | None = None
    # Anchors of the manifest signatures (a signature no anchor vouches for is refused).
    trust_anchors: tuple[x509.Certificate, ...] = ()
    # Roots the signatures of the transferred documents are verified against again.
    signature_anchors: tuple[x509.Certificate, ...] = ()
    profiles: Mapping[str, bytes] = field(default_factory=dict)  # name → RELAX NG grammar
