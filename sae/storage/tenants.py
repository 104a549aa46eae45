"""The platform's storage offers as each tenant sees them (OAIS Archival Storage, ISO 14721
§4.1.1.3): the same offers, under the tenant's storage prefix, checked against the tenant's
digest registry.

``sae.toml`` names the offers once for the platform; a tenant's ``storage_prefix`` (kept with
the tenant) places its objects on every offer (``<root>/<prefix>`` on a filesystem,
``<prefix>blobs/`` in an S3 bucket). One ``StorageOffers`` per tenant is kept for the life of
the process: its locks are what keep two stores of one content in this process from undoing
each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from kernel.blobstore.ports import BlobStore, Leftover
from sae.ports import Database
from sae.storage.offers import BATCH_BYTES, BATCH_OBJECTS, StorageOffers, spool_area

OfferFactory = Callable[[str], Sequence[BlobStore]]  # storage prefix → the offers under it


class TenantStorage:
    def __init__(
        self,
        db: Database,
        offers_under: OfferFactory,
        *,
        spool_dir: Path | None = None,
        batch_objects: int = BATCH_OBJECTS,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        self.db = db
        self.offers_under = offers_under
        self.spool_dir = spool_dir
        self.batch_objects = batch_objects
        self.batch_bytes = batch_bytes
        self._by_tenant: dict[str, StorageOffers] = {}
        self._guard = threading.Lock()

    def offers(self, tenant: str) -> StorageOffers:
        """The tenant's view of the offers (``TenantNotFound`` for an unknown tenant)."""
        with self._guard:
            found = self._by_tenant.get(tenant)
        if found is not None:
            return found
        with self.db.platform(write=False) as uow:
            prefix = uow.tenants.get(tenant).storage_prefix
        made = StorageOffers(
            self.offers_under(prefix),
            self.db.registry(tenant),
            spool_dir=self.spool_dir,
            batch_objects=self.batch_objects,
            batch_bytes=self.batch_bytes,
        )
        with self._guard:
            return self._by_tenant.setdefault(tenant, made)

    def remove_stale_spool_files(self) -> list[tuple[str, Leftover]]:
        """The spool's temp files of dead processes (shared by every tenant)."""
        return [("spool", found) for found in spool_area(self.spool_dir).remove_stale()]
