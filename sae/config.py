"""The repository's configuration: one home directory and its ``sae.toml``, the platform's.

Read only by the repository (``gedsae-sae``); ``sae.bootstrap`` wires what it names.

The home is ``GEDSAE_SAE_HOME``, or ``$GEDSAE_HOME/sae`` when the repository runs beside a GED.
``gedsae-sae init`` writes a ``sae.toml`` for the embedded default: the database in the home
(SQLite), two filesystem storage offers under the home, the official SEDA schemas installed
under ``schemas/``, and a self-signed key for sealing the repository's log. What the file holds
is the platform's: where it listens, its database, its storage offers, its limits, its sealing.
What each archival service (tenant) accepts and trusts is the tenant's, in the database,
administered by API and command line (``sae.tenancy``). A deployment edits it::

    organisation = "FR_AD_35"          # the default tenant: commands without --tenant act on it
    host = "127.0.0.1"
    port = 8100
    max_package_bytes = 4294967296
    schema_dir = "schemas"             # the official SEDA schemas (gedsae-sae init puts them)
    seal_interval_s = 3600             # every tenant's log is sealed this often (and at every
                                       # acceptance)
    public_url = "https://archives.example"   # the pages' address (default http://host:port)

    [database]                         # absent: SQLite, repository.sqlite in the home
    url = "postgresql+psycopg://sae_app@db.example/sae"     # the application's role
    password_file = "/run/secrets/sae-db-password"          # secrets: NAME_file or NAME_env
    owner_url = "postgresql+psycopg://sae_owner@db.example/sae"   # migrations only (optional)
    owner_password_file = "/run/secrets/sae-db-owner-password"

    require_two_backends = true        # refuse to start without two offers on different
                                       # backends (a volume and an S3 endpoint, two endpoints)

    [offers.disk]
    kind = "filesystem"
    root = "/srv/archives/offer-disk"

    [offers.minio]
    kind = "s3"
    bucket = "archives"                # created with Object Lock when object_lock = true
    endpoint_url = "https://minio.example:9000"
    region = "us-east-1"               # optional
    prefix = "sae/"                    # optional: the offer's keys start with it
    access_key_file = "/run/secrets/s3-access"
    secret_key_file = "/run/secrets/s3-secret"
    object_lock = true                 # S3 Object Lock, compliance mode (default false)
    object_lock_keep = "P30Y"          # the lock of an archive with no end (default P10Y)

With ``object_lock`` each accepted object is locked in compliance mode until the end of its
DUA (``AppraisalRule`` StartDate + the rule's duration in the tenant's referential, final action
``Destroy``); an archive with no end (``Keep``, a rule without duration or start date) is locked
``object_lock_keep`` from its acceptance (ISO 8601 duration or French words, ``kernel.retention``):
``sae.storage.retention`` says why. Nobody can delete a locked object before that date, not even
the bucket's owner; the bucket must have been created with Object Lock
(``ObjectLockEnabledForBucket``, ``mc mb --with-lock``).

    [oidc]                             # single sign-on for the pages (optional)
    issuer = "https://idp.example/realms/archives"
    client_id = "gedsae-sae"
    client_secret_file = "/run/secrets/oidc"
    label = "Compte de la plateforme"  # the button's text (optional)
    scopes = "openid email"            # optional

    [jobs]                             # background work (optional; default: in the serving
    queue = "postgresql"               # process): a PostgreSQL queue that `gedsae-sae worker`
    heartbeat_s = 10                   # processes share; a job of a worker silent for
    stalled_after_s = 60               # stalled_after_s goes back to the queue (sae.jobs)

    [vitam]                            # Vitam-compatible ingest over mutual TLS (optional,
    port = 8443                        # sae.vitam_access): its own listener,
    certificate = "tls/server.pem"     # its certificate and key,
    key = "tls/server-key.pem"
    client_ca = "tls/clients-ca.pem"   # the authorities of the senders' certificates
    [vitam.tenants.1]                  # X-Tenant-Id 1 stands for
    tenant = "FR_AD_35"                # this tenant, open to
    clients = ["tls/ged-rennes.pem"]   # these certificates

Relative paths are relative to the home. ``agreements``, ``referentials`` and ``trust_anchors``,
which earlier versions read here, are tenant data now: a file that still has them is refused
until ``gedsae-sae tenants import-config`` has imported them (``sae.tenancy.legacy``).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kernel.accounts.setup import OIDC_KEYS
from kernel.config_keys import NamedTables, Schema, check_keys
from kernel.errors import InvalidError
from kernel.secret_options import read_secret

CONFIG: Final = "sae.toml"
DATABASE_FILE: Final = "repository.sqlite"
# What earlier versions kept in the home before tenants: refused, never read (sae.bootstrap).
LEGACY_DATABASES: Final = ("transfers.sqlite", "digests.sqlite")
LEGACY_KEYS: Final = ("agreements", "referentials", "trust_anchors")


class SaeMisconfigured(InvalidError):
    """sae.toml cannot be used; the message names the option."""

    code = "sae_misconfigured"
    title = "Configuration du dépôt inutilisable"


def sae_home() -> Path:
    explicit = os.environ.get("GEDSAE_SAE_HOME")
    if explicit:
        return Path(explicit).expanduser().resolve()
    ged_home = os.environ.get("GEDSAE_HOME") or str(Path.home() / ".local" / "share" / "gedsae")
    return (Path(ged_home).expanduser() / "sae").resolve()


@dataclass(frozen=True)
class DatabaseSettings:
    url: str  # the application's role
    owner_url: str | None = None  # the schema's owner, for migrations (PostgreSQL)

    @property
    def sqlite(self) -> bool:
        return self.url.startswith("sqlite")


@dataclass(frozen=True)
class SaeSettings:
    home: Path
    organisation: str | None  # the default tenant
    host: str
    port: int
    max_package_bytes: int
    schema_dir: Path
    offers: Mapping[str, Mapping[str, Any]]
    database: DatabaseSettings
    seal_interval_s: float = 3600.0
    # Tenant data earlier versions read here (agreements, referentials, trust_anchors).
    legacy: Mapping[str, Any] = field(default_factory=dict)
    public_url: str | None = None  # the pages' address as people type it (https: Secure cookies)
    oidc: Mapping[str, Any] = field(default_factory=dict)  # [oidc]: single sign-on, optional
    require_two_backends: bool = False  # two offers at least, on different backends
    vitam: Mapping[str, Any] = field(default_factory=dict)  # [vitam]: sae.vitam_access
    jobs: Mapping[str, Any] = field(default_factory=dict)  # [jobs]: sae.jobs.queue

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
        "kind", "bucket", "endpoint_url", "region", "prefix", "object_lock", "object_lock_keep",
        *(f"{name}{end}" for name in ("access_key", "secret_key") for end in SECRET_ENDS),
    ),
}  # fmt: skip
DATABASE_KEYS = ("url", "owner_url",
                 *(f"{name}{end}" for name in ("password", "owner_password") for end in SECRET_ENDS))  # fmt: skip
AGREEMENT_KEYS = ("organisation", "transferring_agencies", "seda_versions",
                  "signature_required", "profile", "profile_identifier")  # fmt: skip


def config_schema() -> Schema:
    """Every key ``sae.toml`` may hold (``kernel.config_keys``); the tenant data earlier versions
    read here are known too, so that ``sae.tenancy.legacy`` names them."""
    plain = ("organisation", "host", "port", "max_package_bytes", "schema_dir", "trust_anchors",
             "seal_interval_s", "public_url", "require_two_backends")  # fmt: skip
    return {
        **dict.fromkeys(plain),
        "offers": NamedTables(_offer_schema),
        "database": dict.fromkeys(DATABASE_KEYS),
        "agreements": NamedTables(dict.fromkeys(AGREEMENT_KEYS)),
        "referentials": NamedTables(dict.fromkeys(("agencies", "rules"))),
        "oidc": dict.fromkeys(OIDC_KEYS),
        "jobs": dict.fromkeys(("queue", "heartbeat_s", "stalled_after_s")),
        "vitam": {
            **dict.fromkeys(("port", "certificate", "key", "client_ca")),
            "tenants": NamedTables(dict.fromkeys(("tenant", "clients"))),
        },
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
    if organisation is not None and (not isinstance(organisation, str) or not organisation):
        raise SaeMisconfigured(f"{path} : organisation (identifiant SEDA) invalide")
    return SaeSettings(
        home=root,
        organisation=organisation,
        host=str(data.get("host", "127.0.0.1")),
        port=int(data.get("port", 8100)),
        max_package_bytes=int(data.get("max_package_bytes", 4 * 1024**3)),
        schema_dir=home_path(root, data.get("schema_dir", "schemas")),
        offers=_tables(data, "offers", path),
        database=_database(data.get("database", {}), root, path),
        seal_interval_s=float(data.get("seal_interval_s", 3600.0)),
        legacy={key: data[key] for key in LEGACY_KEYS if key in data},
        public_url=data.get("public_url"),
        oidc=data.get("oidc", {}),
        require_two_backends=flag(data, "require_two_backends", path),
        vitam=data.get("vitam", {}),
        jobs=data.get("jobs", {}),
    )


def flag(table: Mapping[str, Any], key: str, where: object) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise SaeMisconfigured(f"{where} : {key} vaut true ou false")
    return value


def _database(table: object, home: Path, path: Path) -> DatabaseSettings:
    """``[database]``: ``url`` and ``owner_url``, their passwords as secrets (never in the URL)."""
    if not isinstance(table, dict):
        raise SaeMisconfigured(f"{path} : table [database] attendue")
    if "url" not in table:
        return DatabaseSettings(f"sqlite:///{home / DATABASE_FILE}")
    url = _url(table, "url", "password", path)
    owner = _url(table, "owner_url", "owner_password", path) if "owner_url" in table else None
    return DatabaseSettings(url, owner)


def _url(table: Mapping[str, Any], key: str, secret: str, path: Path) -> str:
    where = f"{path} [database]"
    try:
        url = make_url(str(table[key]))
    except ArgumentError as exc:
        raise SaeMisconfigured(f"{where} : {key} n'est pas une URL de base ({exc})") from exc
    if url.password is not None:
        message = (
            f"{where} : pas de mot de passe dans {key}, utilisez {secret}_file ou {secret}_env"
        )
        raise SaeMisconfigured(message)
    try:
        password = read_secret(table, secret, where)
    except InvalidError as exc:
        raise SaeMisconfigured(exc.detail) from exc
    found = url if password is None else url.set(password=password)
    return found.render_as_string(hide_password=False)


def home_path(root: Path, value: object) -> Path:
    """A path of sae.toml: relative ones are relative to the home."""
    return (root / Path(str(value)).expanduser()).resolve()


def _tables(data: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Mapping[str, Any]]:
    tables = data.get(key, {})
    if not isinstance(tables, dict) or not all(isinstance(v, dict) for v in tables.values()):
        raise SaeMisconfigured(f"{path} : tables [{key}.NOM] attendues")
    return tables


def write_default_config(home: Path, organisation: str, port: int = 8100) -> Path:
    """The embedded default's sae.toml: SQLite and two filesystem offers under the home."""
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
