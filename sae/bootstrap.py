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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from kernel.accounts.setup import oidc_client, session_key
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore
from kernel.errors import InvalidError
from kernel.retention import Duration
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
    flag,
    home_path,
)
from sae.ingest.settings import IngestSettings
from sae.jobs.queue import InProcessJobs, JobSettings, job_queue
from sae.journal.checkpoints import Sealing
from sae.ports import Database, JobQueue
from sae.storage.tenants import OfferFactory, TenantStorage
from sae.tenancy.tenants import ensure_tenant, list_tenants
from sae.tokens import import_tokens_file
from sae.vitam_access import VitamAccess, vitam_access

KEEP_MINIMUM = "P10Y"  # an archive with no end stays locked this long, unless configured


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
    vitam: VitamAccess | None = None  # the Vitam-compatible listener ([vitam]), if any
    jobs: JobSettings = field(default_factory=JobSettings)  # where background work runs
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # tests fix it

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def dips_dir(self) -> Path:
        """The DIPs built for granted deliveries, one zip per delivery."""
        return self.data_dir / "dips"


@dataclass
class Repository:
    """The repository opened: its database and each tenant's view of the offers."""

    config: SaeConfig
    db: Database
    storage: TenantStorage
    jobs: JobQueue = field(default_factory=InProcessJobs)

    def close(self) -> None:
        self.jobs.close()
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
    return Repository(config, db, storage, job_queue(config.jobs, config.database.url))


def check_object_lock(config: SaeConfig) -> None:
    """Every offer with ``object_lock`` is a bucket that has Object Lock: otherwise nothing would
    be locked, and S3 cannot add it to an existing bucket (``SaeMisconfigured`` names them)."""
    offers = config.offers_under("")
    if all(isinstance(offer, FilesystemBlobStore) for offer in offers):
        return  # (boto3 not imported for nothing)
    from kernel.blobstore.s3 import S3BlobStore

    missing = [
        offer.name
        for offer in offers
        if isinstance(offer, S3BlobStore) and offer.keep_minimum is not None
        and not offer.lock_enabled()
    ]  # fmt: skip
    if missing:
        raise SaeMisconfigured(
            f"object_lock : le compartiment des offres {', '.join(missing)} n'a pas le "
            "verrouillage S3 (Object Lock), qui ne s'active qu'à sa création : créez-en un avec "
            "(mc mb --with-lock, ObjectLockEnabledForBucket) ou retirez object_lock"
        )


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
        vitam=vitam_access(settings.home, settings.vitam),
        jobs=job_settings(settings),
    )


def job_settings(settings: SaeSettings) -> JobSettings:
    """``[jobs]``: the PostgreSQL queue needs the repository on PostgreSQL."""
    table = settings.jobs
    where = f"{settings.home / 'sae.toml'} [jobs]"
    queue = table.get("queue", "in_process")
    if queue not in ("in_process", "postgresql"):
        raise SaeMisconfigured(f"{where} : queue {queue!r} inconnue (in_process ou postgresql)")
    if queue == "postgresql" and settings.database.sqlite:
        raise SaeMisconfigured(f"{where} : la file postgresql demande [database] sur PostgreSQL")
    try:
        return JobSettings(
            queue,
            float(table.get("heartbeat_s", 10.0)),
            float(table.get("stalled_after_s", 60.0)),
        )
    except (TypeError, ValueError) as exc:
        raise SaeMisconfigured(f"{where} : durée en secondes attendue ({exc})") from exc


def offer_factory(settings: SaeSettings) -> OfferFactory:
    """The offers of ``[offers.NAME]``, built once; a tenant's are the same under its prefix."""
    if len(settings.offers) < 1:
        raise SaeMisconfigured("au moins une offre de stockage [offers.NOM] est requise")
    if settings.require_two_backends:
        _check_two_backends(settings.offers)
    sessions: list[Any] = []  # one boto3 session shared: botocore's models are loaded once
    roots = [_offer(settings, name, table, sessions) for name, table in settings.offers.items()]

    def under(prefix: str) -> Sequence[BlobStore]:
        return [_within(offer, prefix) for offer in roots]

    return under


def _check_two_backends(offers: Mapping[str, Mapping[str, Any]]) -> None:
    """``require_two_backends``: a disk lost, or an S3 service down or emptied, must leave
    another copy; so at least two offers, not all on one backend (the volumes count as one
    backend, each S3 endpoint as one)."""
    backends = {_backend(table) for table in offers.values()}
    if len(offers) < 2 or len(backends) < 2:
        raise SaeMisconfigured(
            "require_two_backends : il faut au moins deux offres de stockage sur des supports "
            f"différents (un disque et un stockage S3, ou deux points d'accès S3) ; trouvé : "
            f"{', '.join(sorted(offers)) or 'aucune'} ({', '.join(sorted(backends)) or '—'})"
        )


def _backend(table: Mapping[str, Any]) -> str:
    if table.get("kind") == "s3":
        return f"s3 {table.get('endpoint_url') or 'AWS ' + str(table.get('region', ''))}".strip()
    return str(table.get("kind"))


def _within(offer: BlobStore, prefix: str) -> BlobStore:
    if not prefix:
        return offer
    if isinstance(offer, FilesystemBlobStore):
        return FilesystemBlobStore(offer.root / prefix, name=offer.name)
    within = getattr(offer, "within", None)  # S3BlobStore's (imported only for an S3 offer)
    if within is not None:
        return cast(BlobStore, within(prefix))
    raise SaeMisconfigured(f"offre {offer.name} : pas de préfixe par locataire")


def _offer(
    settings: SaeSettings, name: str, table: Mapping[str, Any], sessions: list[Any]
) -> BlobStore:
    """One offer; boto3 (some 25 MiB once loaded) only imported for an S3 one."""
    kind = table.get("kind")
    if kind == "filesystem":
        return FilesystemBlobStore(home_path(settings.home, table.get("root", name)), name=name)
    if kind == "s3":
        import boto3

        from kernel.blobstore.s3 import S3BlobStore

        if not sessions:
            sessions.append(boto3.session.Session())
        return S3BlobStore(
            str(table["bucket"]),
            endpoint_url=table.get("endpoint_url"),
            region=table.get("region"),
            access_key_id=_secret(table, "access_key", name),
            secret_access_key=_secret(table, "secret_key", name),
            prefix=str(table.get("prefix", "")),
            name=name,
            spool_dir=settings.home / "spool",
            session=sessions[0],
            keep_minimum=_keep_minimum(table, name),
        )
    raise SaeMisconfigured(f"offre {name} : kind {kind!r} inconnu (filesystem ou s3)")


def _keep_minimum(table: Mapping[str, Any], offer: str) -> Duration | None:
    """``object_lock``: the lock of an archive with no end (``object_lock_keep``, default
    ``KEEP_MINIMUM``); None without Object Lock (``sae.storage.retention``)."""
    if not flag(table, "object_lock", f"offre {offer}"):
        return None
    try:
        keep = Duration.parse(str(table.get("object_lock_keep", KEEP_MINIMUM)))
    except InvalidError as exc:
        raise SaeMisconfigured(f"offre {offer} : object_lock_keep : {exc.detail}") from exc
    if keep.unlimited or keep.span_days() < 1:
        raise SaeMisconfigured(f"offre {offer} : object_lock_keep doit être une durée finie")
    return keep


def _secret(table: Mapping[str, Any], key: str, offer: str) -> str | None:
    try:
        return read_secret(table, key, f"offre {offer}")
    except InvalidError as exc:
        raise SaeMisconfigured(exc.detail) from exc


TENANT_PARAMETER = "locataire"  # of a login page's address: which tenant (sae.web.tenant)


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
        kept=(TENANT_PARAMETER,),  # a single sign-on into the tenant the login page is for
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
