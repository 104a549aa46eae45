"""The repository's configuration: one home directory, ``sae.toml`` and ``tokens.json``.

Read only by the repository (``gedsae-sae``); ``sae.bootstrap`` wires what it names.

The home is ``GEDSAE_SAE_HOME``, or ``$GEDSAE_HOME/sae`` when the repository runs beside a GED.
``gedsae-sae init`` writes a ``sae.toml`` for the embedded default: two filesystem storage
offers under the home, the official SEDA schemas installed under ``schemas/``, and a
self-signed key for sealing the repository's log. A deployment edits it::

    organisation = "FR_AD_35"          # the archival agency this repository serves
    host = "127.0.0.1"
    port = 8100
    max_package_bytes = 4294967296
    seal_interval_s = 3600             # the log is sealed this often (and at every acceptance)
    public_url = "https://archives.example"   # the pages' address (default http://host:port)
    trust_anchors = "/etc/gedsae/ged-signers.pem"   # who may sign SIP manifests

    [offers.disk]
    kind = "filesystem"
    root = "/srv/archives/offer-disk"

    [offers.minio]
    kind = "s3"
    bucket = "archives"
    endpoint_url = "https://minio.example:9000"
    access_key_file = "/run/secrets/s3-access"
    secret_key_file = "/run/secrets/s3-secret"

    [referentials.FR_AD_35]            # known agencies and rules (Vitam CSV); absent: unchecked
    agencies = "referentiels/services.csv"
    rules = "referentiels/regles.csv"

    [oidc]                             # single sign-on for the pages (optional)
    issuer = "https://idp.example/realms/archives"
    client_id = "gedsae-sae"
    client_secret_file = "/run/secrets/oidc"

    [agreements.AGR-1]                 # the ArchivalAgreement identifier in manifests
    organisation = "FR_AD_35"
    transferring_agencies = ["FR_DF"]
    seda_versions = ["2.1", "2.2", "2.3"]
    signature_required = true
    profile = "profiles/deliberations.rng"   # RELAX NG the manifest must satisfy
    profile_identifier = "PR-DELIB"          # the ArchivalProfile it must declare

Tokens are stored as their SHA-256 only (``tokens.json``, see ``sae.tokens``); ``gedsae-sae
token create`` prints a new token once. Relative paths are relative to the home.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernel.accounts.setup import OIDC_KEYS
from kernel.config_keys import NamedTables, Schema, check_keys
from kernel.errors import InvalidError

CONFIG = "sae.toml"


class SaeMisconfigured(InvalidError):
    """sae.toml or tokens.json cannot be used; the message names the option."""

    code = "sae_misconfigured"
    title = "Configuration du dépôt inutilisable"


def sae_home() -> Path:
    explicit = os.environ.get("GEDSAE_SAE_HOME")
    if explicit:
        return Path(explicit).expanduser().resolve()
    ged_home = os.environ.get("GEDSAE_HOME") or str(Path.home() / ".local" / "share" / "gedsae")
    return (Path(ged_home).expanduser() / "sae").resolve()


@dataclass(frozen=True)
class SaeSettings:
    home: Path
    organisation: str
    host: str
    port: int
    max_package_bytes: int
    schema_dir: Path
    trust_anchors: Path | None
    offers: Mapping[str, Mapping[str, Any]]
    agreements: Mapping[str, Mapping[str, Any]]
    referentials: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seal_interval_s: float = 3600.0
    public_url: str | None = None  # the pages' address as people type it (https: Secure cookies)
    oidc: Mapping[str, Any] = field(default_factory=dict)  # [oidc]: single sign-on, optional

    @property
    def signing_key(self) -> Path:
        return self.home / "signing" / "key.pem"

    @property
    def signing_certificate(self) -> Path:
        return self.home / "signing" / "certificate.pem"


SECRET_ENDS = ("", "_file", "_env")  # a secret in clear is known, to be refused by its reader
OFFER_KEYS: Mapping[str, tuple[str, ...]] = {
    "filesystem": ("kind", "root"),
    "s3": (
        "kind", "bucket", "endpoint_url", "region", "prefix",
        *(f"{name}{end}" for name in ("access_key", "secret_key") for end in SECRET_ENDS),
    ),
}  # fmt: skip
AGREEMENT_KEYS = ("organisation", "transferring_agencies", "seda_versions",
                  "signature_required", "profile", "profile_identifier")  # fmt: skip


def config_schema() -> Schema:
    """Every key ``sae.toml`` may hold (``kernel.config_keys``)."""
    plain = ("organisation", "host", "port", "max_package_bytes", "schema_dir", "trust_anchors",
             "seal_interval_s", "public_url")  # fmt: skip
    return {
        **dict.fromkeys(plain),
        "offers": NamedTables(_offer_schema),
        "agreements": NamedTables(dict.fromkeys(AGREEMENT_KEYS)),
        "referentials": NamedTables(dict.fromkeys(("agencies", "rules"))),
        "oidc": dict.fromkeys(OIDC_KEYS),
    }


def _offer_schema(table: Mapping[str, Any]) -> Schema | None:
    """An offer's keys by its ``kind``; an unknown kind is left to its reader, which names it."""
    keys = OFFER_KEYS.get(str(table.get("kind")))
    return None if keys is None else dict.fromkeys(keys)


def read_config(path: Path) -> dict[str, Any]:
    """``sae.toml`` parsed, every key known (``UnknownConfigKey`` lists each unknown one with its
    line); a file TOML cannot read names its line."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SaeMisconfigured(f"{path} : TOML illisible ({exc})") from exc
    check_keys(path, text, data, config_schema())
    return data


def load_settings(home: Path | None = None) -> SaeSettings:
    root = (home or sae_home()).resolve()
    path = root / CONFIG
    if not path.exists():
        raise SaeMisconfigured(f"{path} absent : lancez « gedsae-sae init »")
    data = read_config(path)
    organisation = data.get("organisation")
    if not isinstance(organisation, str) or not organisation:
        raise SaeMisconfigured(f"{path} : organisation (identifiant SEDA) manquante")
    anchors = data.get("trust_anchors")
    return SaeSettings(
        home=root,
        organisation=organisation,
        host=str(data.get("host", "127.0.0.1")),
        port=int(data.get("port", 8100)),
        max_package_bytes=int(data.get("max_package_bytes", 4 * 1024**3)),
        schema_dir=home_path(root, data.get("schema_dir", "schemas")),
        trust_anchors=home_path(root, anchors) if anchors else None,
        offers=_tables(data, "offers", path),
        agreements=_tables(data, "agreements", path),
        referentials=_tables(data, "referentials", path),
        seal_interval_s=float(data.get("seal_interval_s", 3600.0)),
        public_url=data.get("public_url"),
        oidc=data.get("oidc", {}),
    )


def home_path(root: Path, value: object) -> Path:
    """A path of sae.toml: relative ones are relative to the home."""
    return (root / Path(str(value)).expanduser()).resolve()


def _tables(data: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Mapping[str, Any]]:
    tables = data.get(key, {})
    if not isinstance(tables, dict) or not all(isinstance(v, dict) for v in tables.values()):
        raise SaeMisconfigured(f"{path} : tables [{key}.NOM] attendues")
    return tables


def write_default_config(home: Path, organisation: str, port: int = 8100) -> Path:
    """The embedded default's sae.toml: two filesystem offers, schemas under the home."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / CONFIG
    if path.exists():
        return path
    path.write_text(
        f"# Dépôt d'archives gedsae : voir sae/config.py pour toutes les options\n"
        f"organisation = {json.dumps(organisation)}\n"
        f'host = "127.0.0.1"\nport = {port}\nschema_dir = "schemas"\n\n'
        '[offers.disque-a]\nkind = "filesystem"\nroot = "offers/a"\n\n'
        '[offers.disque-b]\nkind = "filesystem"\nroot = "offers/b"\n',
        encoding="utf-8",
    )
    return path
