"""Instance configuration: one home directory (``GEDSAE_HOME``) holds everything.

Values come from ``$GEDSAE_HOME/config.toml``, then from ``GEDSAE_*`` environment variables,
which win. Secrets can be given as ``*_file`` paths so they never appear in the environment; in
``config.toml`` they are never written in clear (``SECRETS``: ``NAME_file`` or ``NAME_env`` only,
``kernel.secret_options``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kernel.secret_options import read_secret

DEFAULT_HOME = Path.home() / ".local" / "share" / "gedsae"
GIB = 1024**3
SECRETS = ("s3_secret_key", "signing_key_password")


def home_dir() -> Path:
    return Path(os.environ.get("GEDSAE_HOME") or DEFAULT_HOME).expanduser().resolve()


@dataclass
class Settings:
    home: Path = field(default_factory=home_dir)
    database_url: str = ""
    storage: str = "filesystem"  # filesystem | s3
    s3_endpoint_url: str = ""
    s3_bucket: str = "gedsae"
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_prefix: str = ""
    max_upload_bytes: int = 10 * GIB
    host: str = "127.0.0.1"
    port: int = 8000
    extraction_timeout_s: float = 30.0
    extraction_memory_mb: int = 768
    extraction_workers: int = 2
    db_busy_retries: int = 5
    db_busy_timeout_ms: int = 5000
    # signing of SIPs (issue 5 item 2): empty paths mean the pair `gedsae init` made in home
    signing_key: str = ""
    signing_certificate: str = ""
    signing_chain: str = ""
    signing_key_password: str = ""
    tsa_url: str = ""
    # seconds between two passes of the transfer scheduler in `gedsae serve` (0: no scheduler)
    transfer_poll_interval_s: float = 60.0
    # [connectors.NAME] and [agreements.NAME] tables of config.toml (issue 6 item 5)
    connectors: dict[str, dict[str, Any]] = field(default_factory=dict)
    agreements: dict[str, dict[str, Any]] = field(default_factory=dict)
    # seconds between two fixity audits in `gedsae serve` (0: none; `gedsae audit` by hand)
    audit_interval_s: float = 86400.0
    # [replica] table: a second store holding a copy of every blob, which the audit keeps
    # filled and repairs the main store from (storage = "filesystem" | "s3"; empty: none)
    replica: dict[str, Any] = field(default_factory=dict)
    # [trust_anchors] table: organisation name or id = folder of PEM certificates it trusts
    # for signatures (besides $GEDSAE_HOME/trust/, trusted for every organisation)
    trust_anchors: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'gedsae.db'}"

    @property
    def blob_root(self) -> Path:
        return self.home / "blobs"

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    @property
    def signing_key_path(self) -> Path:
        return Path(self.signing_key) if self.signing_key else self.home / "signing" / "key.pem"

    @property
    def signing_certificate_path(self) -> Path:
        if self.signing_certificate:
            return Path(self.signing_certificate)
        return self.home / "signing" / "certificate.pem"

    @property
    def transfer_spool(self) -> Path:
        return self.home / "transfers"


def load_settings(home: Path | None = None, **overrides: Any) -> Settings:
    root = (home or home_dir()).resolve()
    values: dict[str, Any] = {"home": root}
    config_file = root / "config.toml"
    if config_file.exists():
        values.update(_from_toml(config_file))
    values.update(_from_env())
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def _coerce(name: str, raw: Any) -> Any:
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    if kind.startswith("dict[str, dict"):
        if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
            raise ValueError(f"{name} : tables [{name}.NOM] attendues dans config.toml")
        return raw
    if kind.startswith("dict"):
        if not isinstance(raw, dict):
            raise ValueError(f"{name} : table [{name}] attendue dans config.toml")
        return raw
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return str(raw)


def _from_toml(path: Path) -> dict[str, Any]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    secrets = {key: read_secret(data, key, str(path)) for key in SECRETS}
    plain = {k: v for k, v in data.items() if k != "home" and not k.startswith(SECRETS)}
    found = {k: v for k, v in secrets.items() if v is not None}
    return {**_resolve_files(plain), **found}


def _from_env() -> dict[str, Any]:
    tables = {"home", "connectors", "agreements", "replica", "trust_anchors"}
    names = {f.name for f in fields(Settings)} - tables
    found: dict[str, Any] = {}
    for name in names:
        for suffix in ("", "_file"):
            raw = os.environ.get(f"GEDSAE_{name.upper()}{suffix.upper()}")
            if raw is not None:
                found[name + suffix] = raw
    return _resolve_files(found)


def _resolve_files(values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(Settings)}
    resolved: dict[str, Any] = {}
    for key, raw in values.items():
        if key.endswith("_file") and key[: -len("_file")] in names:
            name = key[: -len("_file")]
            resolved[name] = Path(raw).read_text(encoding="utf-8").strip()
        elif key in names:
            resolved[key] = _coerce(key, raw)
    return resolved
