"""Instance configuration: one home directory (``GEDSAE_HOME``) holds everything.

Values come from ``$GEDSAE_HOME/config.toml``, then from ``GEDSAE_*`` environment variables,
which win. Secrets can be given as ``*_file`` paths so they never appear in the environment.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_HOME = Path.home() / ".local" / "share" / "gedsae"
GIB = 1024**3


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

    def __post_init__(self) -> None:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'gedsae.db'}"

    @property
    def blob_root(self) -> Path:
        return self.home / "blobs"

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"


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
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return str(raw)


def _from_toml(path: Path) -> dict[str, Any]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return _resolve_files({k: v for k, v in data.items() if k != "home"})


def _from_env() -> dict[str, Any]:
    names = {f.name for f in fields(Settings)} - {"home"}
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
