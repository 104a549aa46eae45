"""Repositories for the tests, made as an operator makes them: tenants, their agreements and
tokens go through the same use cases as ``gedsae-sae`` and the platform API."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore
from kernel.sandbox.preview import PageRenderer
from kernel.web.setup import WebSetup
from sae.bootstrap import SaeConfig
from sae.ingest.settings import IngestSettings
from sae.journal.checkpoints import Sealing
from sae.model import ArchivalAgreement, Role, Tenant, TokenRecord
from sae.ports import Database, TenantNotFound
from sae.storage.offers import StorageOffers
from sae.storage.tenants import OfferFactory, TenantStorage
from sae.tenancy.setup import put_agreement
from sae.tenancy.tenants import create_tenant, get_tenant
from sae.tokens import add_token, digest, utc_now
from tests.fixtures.sae import TestDatabase

Tokens = Mapping[str, tuple[str, Role, str]]  # token → (tenant, role, name)


def filesystem_offers(root: Path, names: Sequence[str] = ("a", "b")) -> OfferFactory:
    """Filesystem offers ``<root>/offer-<name>``, a tenant's under its prefix."""

    def under(prefix: str) -> list[BlobStore]:
        return [FilesystemBlobStore(root / f"offer-{n}" / prefix, name=n) for n in names]

    return under


def make_config(
    tmp_path: Path,
    database: TestDatabase,
    schema_dir: Path,
    *,
    offers_under: OfferFactory | None = None,
    sealing: Sealing | None = None,
    default_tenant: str | None = None,
    web: WebSetup | None = None,
    render_page: PageRenderer | None = None,
    clock: Callable[[], datetime] | None = None,
    **ingest: object,
) -> SaeConfig:
    """The repository's configuration for a test; ``clock``, when given, is the repository's
    one clock: its exchanges' and its ingest's (signatures verified at that time)."""
    data_dir = tmp_path / "sae"
    fixed = {} if clock is None else {"clock": clock}
    return SaeConfig(
        data_dir=data_dir,
        settings=IngestSettings(data_dir / "quarantine", schema_dir, **fixed, **ingest),  # type: ignore[arg-type]
        database=database.settings,
        offers_under=offers_under or filesystem_offers(tmp_path),
        sealing=sealing,
        default_tenant=default_tenant,
        web=web,
        render_page=render_page,
        **fixed,  # type: ignore[arg-type]
    )


def tenant(db: Database, identifier: str, prefix: str | None = None) -> Tenant:
    """The tenant, created if missing (by default under a folder of its identifier)."""
    try:
        return get_tenant(db, identifier)
    except TenantNotFound:
        return create_tenant(db, identifier, identifier, actor="test", storage_prefix=prefix)


def agreements(db: Database, found: Mapping[str, ArchivalAgreement]) -> None:
    for identifier, agreement in found.items():
        tenant(db, agreement.organisation)
        put_agreement(db, agreement.organisation, identifier, agreement, actor="test")


def tokens(db: Database, found: Tokens) -> None:
    """Tokens of known values (the tests present them)."""
    for token, (owner, role, name) in found.items():
        tenant(db, owner)
        record = TokenRecord(digest(token), owner, name, role, utc_now())
        add_token(db, record, actor="test", action="token.create")


def storage(db: Database, root: Path) -> TenantStorage:
    (root / "spool").mkdir(parents=True, exist_ok=True)
    return TenantStorage(db, filesystem_offers(root), spool_dir=root / "spool")


def offers(db: Database, root: Path, tenant_id: str) -> StorageOffers:
    tenant(db, tenant_id)
    return storage(db, root).offers(tenant_id)
