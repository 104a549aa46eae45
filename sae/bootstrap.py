"""Wires the repository from its settings: the database, the storage offers as each tenant sees
them, the sealing key (the one place that picks adapters).

``build_config`` reads what ``sae.toml`` names (``sae.config``) into a ``SaeConfig``;
``open_repository`` opens the database (SQLite migrated in place; PostgreSQL migrated by its
owner and checked for row-level security), makes sure the default tenant exists, imports the
``tokens.json`` of earlier versions, and hands back a ``Repository``. Every mistake is a
``SaeMisconfigured`` that names the option.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from kernel.accounts.setup import oidc_client, session_key
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore
from kernel.blobstore.s3 import S3BlobStore
from kernel.errors import InvalidError
from kernel.sandbox.pool import SandboxPool
from kernel.sandbox.preview import PageRenderer, sandboxed_renderer
from kernel.secret_options import read_secret
from kernel.signing import SigningError, load_signing_identity
from kernel.signing.documents.sandboxed import sandboxed_verifier
from kernel.web.setup import WebSetup
from sae.adapters.db import SqlDatabase, open_database
from sae.config import (
    LEGACY_DATABASES,
    LEGACY_KEYS,
    DatabaseSettings,
    SaeMisconfigured,
    SaeSettings,
    home_path,
)
from sae.ingest.settings import IngestSettings
from sae.journal.checkpoints import Sealing
from sae.ports import Database
from sae.storage.tenants import OfferFactory, TenantStorage
from sae.tenancy.tenants import ensure_tenant, list_tenants
from sae.tokens import import_tokens_file


@dataclass(frozen=True)
class SaeConfig:
    """Everything the repository's API and command line work with, before it is opened."""

    data_dir: Path  # quarantine/, spool/, the SQLite database
    settings: IngestSettings
    database: DatabaseSettings
    offers_under: OfferFactory  # the platform's offers under a tenant's prefix
    sealing: Sealing | None = None  # seals every tenant's log on acceptances and periodically
    seal_interval_s: float = 0.0  # (0: only on acceptances and by hand)
    default_tenant: str | None = None
    web: WebSetup | None = None  # the archivists' pages (none: the API alone)
    render_page: PageRenderer | None = None  # PDF pages drawn in the sandbox for the pages
    closers: tuple[Callable[[], object], ...] = ()  # called when the app stops

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"


@dataclass
class Repository:
    """The repository opened: its database and each tenant's view of the offers."""

    config: SaeConfig
    db: Database
    storage: TenantStorage

    def close(self) -> None:
        if isinstance(self.db, SqlDatabase):
            self.db.dispose()


def open_repository(config: SaeConfig, *, legacy_allowed: bool = False) -> Repository:
    """See the module docstring. ``legacy_allowed``: for the one command that imports a legacy
    home's tenant data."""
    if not legacy_allowed:
        refuse_legacy_home(config.data_dir)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(config.database.url, owner_url=config.database.owner_url)
    config.spool_dir.mkdir(parents=True, exist_ok=True)
    storage = TenantStorage(db, config.offers_under, spool_dir=config.spool_dir)
    if config.default_tenant is not None:
        ensure_tenant(db, config.default_tenant, actor="sae")
    tenants = [tenant.identifier for tenant in list_tenants(db)]
    import_tokens_file(db, config.data_dir, tenants)
    return Repository(config, db, storage)


def refuse_legacy_home(home: Path) -> None:
    """A home an earlier version left (its own SQLite files) is refused, never read or changed."""
    found = [name for name in LEGACY_DATABASES if (home / name).exists()]
    if found:
        raise SaeMisconfigured(
            f"{home} contient la base d'une version antérieure aux locataires ({', '.join(found)}) "
            "que cette version ne lit pas : conservez-la avec la version qui l'a créée, ou "
            "déplacez-la pour repartir d'un dépôt vide"
        )


def build_config(settings: SaeSettings, *, legacy_allowed: bool = False) -> SaeConfig:
    if settings.legacy and not legacy_allowed:
        keys = ", ".join(key for key in LEGACY_KEYS if key in settings.legacy)
        raise SaeMisconfigured(
            f"{settings.home / 'sae.toml'} : {keys} sont des données des locataires, gardées en "
            "base désormais : importez-les (gedsae-sae tenants import-config) puis retirez-les "
            "du fichier"
        )
    pool = SandboxPool(1)  # the previews' and signatures' worker, started on first use
    ingest = IngestSettings(
        quarantine_dir=settings.home / "quarantine",
        schema_dir=settings.schema_dir,
        max_package_bytes=settings.max_package_bytes,
        verify_signatures=sandboxed_verifier(pool),
    )
    return SaeConfig(
        data_dir=settings.home,
        settings=ingest,
        database=settings.database,
        offers_under=offer_factory(settings),
        sealing=build_sealing(settings),
        seal_interval_s=settings.seal_interval_s,
        default_tenant=settings.organisation,
        web=build_web(settings),
        render_page=sandboxed_renderer(pool),
        closers=(pool.close,),
    )


def offer_factory(settings: SaeSettings) -> OfferFactory:
    """The offers of ``[offers.NAME]``, built once; a tenant's are the same under its prefix."""
    if len(settings.offers) < 1:
        raise SaeMisconfigured("au moins une offre de stockage [offers.NOM] est requise")
    session = boto3.session.Session()  # shared: botocore's models are loaded once
    roots = [_offer(settings, name, table, session) for name, table in settings.offers.items()]

    def under(prefix: str) -> Sequence[BlobStore]:
        return [_within(offer, prefix) for offer in roots]

    return under


def _within(offer: BlobStore, prefix: str) -> BlobStore:
    if not prefix:
        return offer
    if isinstance(offer, FilesystemBlobStore):
        return FilesystemBlobStore(offer.root / prefix, name=offer.name)
    if isinstance(offer, S3BlobStore):
        return offer.within(prefix)
    raise SaeMisconfigured(f"offre {offer.name} : pas de préfixe par locataire")


def _offer(
    settings: SaeSettings, name: str, table: Mapping[str, Any], session: boto3.session.Session
) -> BlobStore:
    kind = table.get("kind")
    if kind == "filesystem":
        return FilesystemBlobStore(home_path(settings.home, table.get("root", name)), name=name)
    if kind == "s3":
        return S3BlobStore(
            str(table["bucket"]),
            endpoint_url=table.get("endpoint_url"),
            region=table.get("region"),
            access_key_id=_secret(table, "access_key", name),
            secret_access_key=_secret(table, "secret_key", name),
            prefix=str(table.get("prefix", "")),
            name=name,
            spool_dir=settings.home / "spool",
            session=session,
        )
    raise SaeMisconfigured(f"offre {name} : kind {kind!r} inconnu (filesystem ou s3)")


def _secret(table: Mapping[str, Any], key: str, offer: str) -> str | None:
    try:
        return read_secret(table, key, f"offre {offer}")
    except InvalidError as exc:
        raise SaeMisconfigured(exc.detail) from exc


def build_web(settings: SaeSettings) -> WebSetup:
    """The pages' session key (``web/session.key`` in the home, made on first use), their
    public address (``public_url``, else ``http://host:port``) and the ``[oidc]`` provider."""
    where = f"{settings.home / 'sae.toml'} [oidc]"
    try:
        oidc = oidc_client(settings.oidc, where, lambda: datetime.now(UTC))
    except InvalidError as exc:
        raise SaeMisconfigured(exc.detail) from exc
    return WebSetup(
        secret_key=session_key(None, settings.home / "web" / "session.key"),
        public_url=(settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/"),
        oidc=oidc,
    )


def build_sealing(settings: SaeSettings) -> Sealing | None:
    """The repository's own key seals its logs (made by ``gedsae-sae init``); none: no seals."""
    if not settings.signing_key.exists():
        return None
    try:
        identity = load_signing_identity(settings.signing_key, settings.signing_certificate)
    except SigningError as exc:
        raise SaeMisconfigured(f"clé de scellement : {exc}") from exc
    return Sealing(identity)
