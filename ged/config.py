"""Instance configuration: one home directory (``GEDSAE_HOME``) holds everything.

Values come from ``$GEDSAE_HOME/config.toml``, then from ``GEDSAE_*`` environment variables,
which win. Secrets can be given as ``*_file`` paths so they never appear in the environment; in
``config.toml`` they are never written in clear (``SECRETS``: ``NAME_file`` or ``NAME_env`` only,
``kernel.secret_options``). A key ``config.toml`` does not know — top level, ``[replica]``,
``[connectors.NAME]`` or ``[agreements.NAME]`` — is refused with its line and the closest known
key (``kernel.config_keys``), as is a file TOML cannot read: nothing runs on a configuration that
says something else than the operator meant.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kernel.accounts.setup import OIDC_KEYS
from kernel.config_keys import NamedTables, Schema, check_keys
from kernel.errors import InvalidError, Issue
from kernel.secret_options import read_secret

DEFAULT_HOME = Path.home() / ".local" / "share" / "gedsae"
GIB = 1024**3
SECRETS = ("s3_secret_key", "signing_key_password", "session_secret")
TABLES = ("connectors", "agreements", "replica", "trust_anchors", "inbound", "oidc")
# the [replica] table (ged.adapters.blob_stores.make_replica_store); its secrets by file or variable only
REPLICA_OPTIONS = ("storage", "root", "bucket", "endpoint_url", "region", "prefix")
REPLICA_SECRETS = ("access_key", "secret_key")


class ConfigUnreadable(InvalidError):
    code = "config_unreadable"
    title = "Fichier de configuration illisible"


class ConfigValueInvalid(InvalidError):
    code = "config_value_invalid"
    title = "Valeur de configuration invalide"


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
    # signing of SIPs: empty paths mean the pair `gedsae init` made in home
    signing_key: str = ""
    signing_certificate: str = ""
    signing_chain: str = ""
    signing_key_password: str = ""
    tsa_url: str = ""
    # seconds between two passes of the transfer scheduler in `gedsae serve` (0: no scheduler)
    transfer_poll_interval_s: float = 60.0
    # webhooks of the business applications: seconds between two delivery passes of `gedsae
    # serve` (0: none), first back-off (doubled at each failure, at most 1 h), hours before a
    # delivery is given up, and whether private and loopback addresses may receive them
    webhook_interval_s: float = 5.0
    webhook_retry_base_s: float = 30.0
    webhook_give_up_hours: float = 72.0
    webhook_allow_private: bool = False
    # the official SEDA schemas ready packages are checked against (empty: $GEDSAE_HOME/schemas,
    # where `gedsae schemas install` puts them)
    schema_dir: str = ""
    # [connectors.NAME] and [agreements.NAME] tables of config.toml
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
    # [inbound] table: where imported actes, parapheur folders and séances go in the plan
    inbound: dict[str, Any] = field(default_factory=dict)
    # the web interface: the address people type (https: cookies marked Secure), the key that
    # signs session cookies (default: $GEDSAE_HOME/secrets/session.key, made by `gedsae init`)
    public_url: str = ""
    session_secret: str = ""
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # [oidc]: issuer, client_id, client_secret_file (or _env), label, scopes
    oidc: dict[str, Any] = field(default_factory=dict)

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
    def seda_schema_dir(self) -> Path:
        return Path(self.schema_dir) if self.schema_dir else self.home / "schemas"

    @property
    def transfer_spool(self) -> Path:
        return self.home / "transfers"

    @property
    def session_secret_path(self) -> Path:
        return self.home / "secrets" / "session.key"

    @property
    def public_base(self) -> str:
        """The web interface's address, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


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
    if kind == "bool":
        return _flag(raw)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return str(raw)


def _flag(raw: Any) -> bool:
    """true/false in config.toml, or as text in the environment (true/false, 1/0)."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text not in ("true", "false", "1", "0"):
        raise ValueError("true ou false attendu")
    return text in ("true", "1")


def _checked(name: str, raw: Any) -> Any:
    try:
        return _coerce(name, raw)
    except (TypeError, ValueError) as exc:
        message = f"{name} : valeur invalide ({raw!r})"
        raise ConfigValueInvalid(message, issues=[Issue("bad_value", str(exc), path=name)]) from exc


def _from_toml(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = f"{path} : {exc}"
        raise ConfigUnreadable(message, issues=[Issue("toml_syntax", message)]) from exc
    check_keys(path, text, data, config_schema())
    secrets = {key: read_secret(data, key, str(path)) for key in SECRETS}
    plain = {k: v for k, v in data.items() if k != "home" and not k.startswith(SECRETS)}
    found = {k: v for k, v in secrets.items() if v is not None}
    return {**_resolve_files(plain), **found}


def config_schema() -> Schema:
    """Every key ``config.toml`` may hold: each setting (and ``NAME_file``), each secret as
    ``NAME_file``/``NAME_env`` (``NAME`` itself is known, to be refused as a secret in clear),
    and the tables."""
    plain = [f.name for f in fields(Settings) if f.name not in ("home", *TABLES)]
    keys: dict[str, Any] = {f"{name}{end}": None for name in plain for end in ("", "_file")}
    keys |= {f"{name}_env": None for name in SECRETS}
    replica = [
        *REPLICA_OPTIONS,
        *(f"{s}{end}" for s in REPLICA_SECRETS for end in ("", "_file", "_env")),
    ]
    return {
        **keys,
        "replica": dict.fromkeys(replica),
        "connectors": NamedTables(_connector_schema),
        "agreements": NamedTables(_agreement_schema),
        "trust_anchors": None,  # organisation = folder: names are the operator's
        "inbound": {profile: {"plan": None} for profile in ("actes", "parapheur", "seance")},
        "oidc": dict.fromkeys(OIDC_KEYS),
    }


def _connector_schema(table: Mapping[str, Any]) -> Schema | None:
    from connectors.options import known_options

    known = known_options(table.get("kind"))
    return None if known is None else dict.fromkeys(known)


def _agreement_schema(table: Mapping[str, Any]) -> Schema:
    from ged.services.agreements import OPTIONS

    return dict.fromkeys(OPTIONS)


def _from_env() -> dict[str, Any]:
    names = {f.name for f in fields(Settings)} - {"home", *TABLES}
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
            resolved[key] = _checked(key, raw)
    return resolved
