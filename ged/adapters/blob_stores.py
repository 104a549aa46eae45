"""The GED's blob stores from its settings: the main store (filesystem or S3) and the optional
``[replica]``. Apart from ``ged.bootstrap`` so that a command may open the store before loading
the rest (``gedsae import`` stages its first files while it starts).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ged.config import Settings
from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore
from kernel.errors import InvalidError

if TYPE_CHECKING:
    from kernel.blobstore.s3 import S3BlobStore

REPLICA: Final = "replica"


def make_blob_store(settings: Settings) -> BlobStore:
    if settings.storage == "s3":
        from kernel.blobstore.s3 import S3BlobStore

        (settings.home / "spool").mkdir(parents=True, exist_ok=True)
        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key or None,
            secret_access_key=settings.s3_secret_key or None,
            prefix=settings.s3_prefix,
            spool_dir=settings.home / "spool",
        )
    return FilesystemBlobStore(settings.blob_root)


class StorageMisconfigured(InvalidError):
    code = "storage_misconfigured"
    title = "Stockage mal configuré"


def make_replica_store(settings: Settings) -> BlobStore | None:
    """The ``[replica]`` store of ``config.toml``, or None. Secrets only by file or variable
    (``access_key_file``, ``secret_key_env``…), never in clear."""
    table = settings.replica
    if not table:
        return None
    storage = table.get("storage")
    if storage == "filesystem":
        if not table.get("root"):
            raise StorageMisconfigured("[replica] : root (dossier de la réplique) manquant")
        return FilesystemBlobStore(settings.home / str(table["root"]), name=REPLICA)
    if storage == "s3":
        return _s3_replica(settings, table)
    raise StorageMisconfigured(f"[replica] : storage {storage!r} inconnu (filesystem ou s3)")


def _s3_replica(settings: Settings, table: dict[str, Any]) -> S3BlobStore:
    if not table.get("bucket"):
        raise StorageMisconfigured("[replica] : bucket manquant")
    from kernel.blobstore.s3 import S3BlobStore

    (settings.home / "spool").mkdir(parents=True, exist_ok=True)
    return S3BlobStore(
        str(table["bucket"]),
        endpoint_url=table.get("endpoint_url") or None,
        region=table.get("region", settings.s3_region),
        access_key_id=_secret(table, "access_key"),
        secret_access_key=_secret(table, "secret_key"),
        prefix=str(table.get("prefix", "")),
        name=REPLICA,
        spool_dir=settings.home / "spool",
    )


def _secret(table: dict[str, Any], key: str) -> str | None:
    if key in table:
        raise StorageMisconfigured(
            f"[replica] : {key} ne s'écrit pas en clair ({key}_file ou {key}_env)"
        )
    if f"{key}_file" in table:
        return Path(str(table[f"{key}_file"])).read_text(encoding="utf-8").strip()
    if f"{key}_env" in table:
        return os.environ.get(str(table[f"{key}_env"]))
    return None
