"""Wires the repository from its settings: storage offers, agreements, referentials, trust
anchors, sealing key, tokens and database (the one place that picks adapters).

``build_config`` reads what ``sae.toml`` names (``sae.config``) into a ``SaeConfig``;
``open_database`` opens the repository's database under its data directory (SQLite, the
embedded default). Every mistake is a ``SaeMisconfigured`` that names the option.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from kernel.accounts.setup import oidc_client, session_key
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore
from kernel.blobstore.s3 import S3BlobStore
from kernel.errors import InvalidError
from kernel.sandbox.pool import SandboxPool
from kernel.sandbox.preview import PageRenderer, sandboxed_renderer
from kernel.secret_options import read_secret
from kernel.signing import SigningError, load_certificates, load_signing_identity
from kernel.web.setup import WebSetup
from sae.adapters.sqlite import SqliteDatabase, SqliteDigestRegistry
from sae.config import SaeMisconfigured, SaeSettings, home_path
from sae.ingest.referential import load_referential
from sae.ingest.settings import IngestSettings
from sae.journal.checkpoints import Sealing
from sae.model import ArchivalAgreement, Principal, Referential
from sae.ports import Database
from sae.storage.offers import StorageOffers
from sae.tokens import TOKENS, HashedTokens
from seda.versions import SedaVersion

DATABASE = "transfers.sqlite"


@dataclass(frozen=True)
class SaeConfig:
    """Everything the repository's API and command line work with."""

    data_dir: Path  # transfers.sqlite and quarantine/
    settings: IngestSettings
    tokens: Mapping[str, Principal]
    offers: StorageOffers
    sealing: Sealing | None = None  # seals the log on every acceptance
    seal_interval_s: float = 0.0  # and every so often (0: only on acceptances and by hand)
    web: WebSetup | None = None  # the archivists' pages (none: the API alone)
    render_page: PageRenderer | None = None  # PDF pages drawn in the sandbox for the pages
    closers: tuple[Callable[[], object], ...] = ()  # called when the app stops


def open_database(config: SaeConfig) -> Database:
    """The repository's database (created, or brought up to date, when opened)."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteDatabase(config.data_dir / DATABASE)


def build_offers(settings: SaeSettings) -> StorageOffers:
    if len(settings.offers) < 1:
        raise SaeMisconfigured("au moins une offre de stockage [offers.NOM] est requise")
    offers = [_offer(settings, name, table) for name, table in settings.offers.items()]
    (settings.home / "spool").mkdir(parents=True, exist_ok=True)
    return StorageOffers(
        offers,
        SqliteDigestRegistry(settings.home / "digests.sqlite"),
        spool_dir=settings.home / "spool",
    )


def _offer(settings: SaeSettings, name: str, table: Mapping[str, Any]) -> BlobStore:
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
        )
    raise SaeMisconfigured(f"offre {name} : kind {kind!r} inconnu (filesystem ou s3)")


def _secret(table: Mapping[str, Any], key: str, offer: str) -> str | None:
    try:
        return read_secret(table, key, f"offre {offer}")
    except InvalidError as exc:
        raise SaeMisconfigured(exc.detail) from exc


def build_agreements(settings: SaeSettings) -> dict[str, ArchivalAgreement]:
    agreements = {}
    for name, table in settings.agreements.items():
        versions = table.get("seda_versions", [v.value for v in SedaVersion])
        agencies = table.get("transferring_agencies", [])
        if not isinstance(agencies, list) or not isinstance(versions, list):
            raise SaeMisconfigured(f"accord {name} : listes attendues")
        try:
            parsed = frozenset(SedaVersion(str(v)) for v in versions)
        except ValueError as exc:
            raise SaeMisconfigured(f"accord {name} : version SEDA inconnue ({exc})") from exc
        profile = table.get("profile")
        agreements[name] = ArchivalAgreement(
            str(table.get("organisation", settings.organisation)),
            frozenset(str(a) for a in agencies),
            parsed,
            signature_required=bool(table.get("signature_required", False)),
            profile=home_path(settings.home, profile) if profile else None,
            profile_identifier=table.get("profile_identifier"),
        )
    return agreements


def load_trust_anchors(settings: SaeSettings) -> tuple[x509.Certificate, ...]:
    if settings.trust_anchors is None:
        return ()
    try:
        return tuple(load_certificates(settings.trust_anchors))
    except SigningError as exc:
        raise SaeMisconfigured(f"trust_anchors : {exc}") from exc


def build_referentials(settings: SaeSettings) -> dict[str, Referential]:
    """``[referentials.ORG]`` with ``agencies`` and/or ``rules`` (Vitam CSV files)."""
    found = {}
    for organisation, table in settings.referentials.items():
        agencies, rules = table.get("agencies"), table.get("rules")
        found[organisation] = load_referential(
            agencies=home_path(settings.home, agencies) if agencies else None,
            rules=home_path(settings.home, rules) if rules else None,
        )
    return found


def build_config(settings: SaeSettings) -> SaeConfig:
    pool = SandboxPool(1)  # the previews' worker, started on first use
    ingest = IngestSettings(
        quarantine_dir=settings.home / "quarantine",
        schema_dir=settings.schema_dir,
        agreements=build_agreements(settings),
        max_package_bytes=settings.max_package_bytes,
        trust_anchors=load_trust_anchors(settings),
        referentials=build_referentials(settings),
    )
    return SaeConfig(
        data_dir=settings.home,
        settings=ingest,
        tokens=HashedTokens(settings.home / TOKENS),
        offers=build_offers(settings),
        sealing=build_sealing(settings),
        seal_interval_s=settings.seal_interval_s,
        web=build_web(settings),
        render_page=sandboxed_renderer(pool),
        closers=(pool.close,),
    )


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
    """The repository's own key seals its log (made by ``gedsae-sae init``); none: no seals."""
    if not settings.signing_key.exists():
        return None
    try:
        identity = load_signing_identity(settings.signing_key, settings.signing_certificate)
    except SigningError as exc:
        raise SaeMisconfigured(f"clé de scellement : {exc}") from exc
    return Sealing(identity)
