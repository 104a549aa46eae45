"""Serving an archived object, verified twice (OAIS Access, ISO 14721 §4.1.1.6): a copy that
re-verifies against the digest registry (``StorageOffers.open``), then re-hashed again while it
is sent (``kernel.blobstore.verified``), so that a spool altered between the two never completes
a download: the last block is held back and the answer is cut short instead.

``download_headers`` gives what both the API and the pages send with it: length, ETag (the
SHA-256 the registry holds) and the original name (RFC 6266).
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from pathlib import PurePosixPath
from urllib.parse import quote

from kernel.blobstore.verified import rehashed_blocks
from sae.model import CatalogueObject
from sae.storage.offers import NoVerifiedCopy, StorageOffers

log = logging.getLogger("gedsae.sae.download")


def verified_chunks(offers: StorageOffers, obj: CatalogueObject) -> Iterator[bytes]:
    """The object's bytes; ``NoVerifiedCopy`` before the first byte when no offer has a sound
    copy, and instead of the last block when the copy proves damaged while it is sent."""
    stream = offers.open(obj.sha256)

    def damaged() -> NoVerifiedCopy:
        log.error("copy of %s damaged while served: download cut short", obj.sha256)
        return NoVerifiedCopy(f"Copie de l'objet {obj.sha256} altérée pendant l'envoi")

    return rehashed_blocks(stream, obj, damaged)


def download_headers(obj: CatalogueObject) -> dict[str, str]:
    name = obj.filename or PurePosixPath(obj.uri).name or obj.object_id
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in fallback)
    return {
        "Content-Length": str(obj.size),
        "ETag": f'"{obj.sha256}"',
        "Content-Disposition": (
            f"attachment; filename=\"{fallback or 'objet'}\"; filename*=UTF-8''{quote(name, safe='')}"
        ),
    }
