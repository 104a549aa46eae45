"""The trust anchors of an organisation: PEM certificates in ``$GEDSAE_HOME/trust/`` (every
organisation of the instance) and in the folders ``[trust_anchors]`` of ``config.toml`` gives
it by name or identifier. Read at each verification, so a change applies to the next one
(``gedsae signatures verify --all`` re-runs the earlier ones)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ged.config import Settings
from ged.domain.model import Organisation
from ged.services.ports import TrustAnchors
from kernel.errors import InvalidError, Issue

SUFFIXES = (".pem", ".crt", ".cer")


class TrustAnchorsUnreadable(InvalidError):
    code = "trust_anchors_unreadable"
    title = "Certificats de confiance illisibles"


def anchor_folders(settings: Settings, organisation: Organisation) -> list[Path]:
    chosen = [
        settings.home / str(folder)
        for key, folder in sorted(settings.trust_anchors.items())
        if key in (organisation.id, organisation.name)
    ]
    return [settings.home / "trust", *chosen]


def load_anchors(folders: list[Path]) -> TrustAnchors:
    """Every certificate of the folders' PEM files, and the fingerprint of the whole set."""
    found: dict[str, bytes] = {}
    issues = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES):
            try:
                for cert in x509.load_pem_x509_certificates(path.read_bytes()):
                    der = cert.public_bytes(Encoding.DER)
                    found[hashlib.sha256(der).hexdigest()] = der
            except (OSError, ValueError) as exc:
                issues.append(Issue("unreadable_certificate", str(exc)[:200], path=str(path)))
    if issues:
        raise TrustAnchorsUnreadable(
            "Certains certificats de confiance sont illisibles", issues=issues
        )
    fingerprint = hashlib.sha256("".join(sorted(found)).encode()).hexdigest()
    return TrustAnchors(tuple(found[key] for key in sorted(found)), fingerprint)
