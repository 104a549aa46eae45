"""A copy re-verified before it is served is re-hashed again while it is sent: altered between
the two (the spool written over, a disk that lies), it never completes."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from kernel.blobstore.filesystem import FilesystemBlobStore
from sae.adapters.sqlite import SqliteDigestRegistry
from sae.model import CatalogueObject
from sae.storage.download import verified_chunks
from sae.storage.offers import NoVerifiedCopy, StorageOffers

BODY = b"Registre des deliberations\n" * 1000


def stored(tmp_path: Path) -> tuple[StorageOffers, CatalogueObject]:
    offers = StorageOffers(
        [FilesystemBlobStore(tmp_path / "a", name="a")],
        SqliteDigestRegistry(tmp_path / "digests.sqlite"),
    )
    kept = offers.store([BODY])
    obj = CatalogueObject(
        "T-1", "BDO-1", None, "a.txt", "a.txt", kept.sha256, kept.sha512, kept.size
    )
    return offers, obj


def test_a_sound_copy_is_served_whole(tmp_path: Path) -> None:
    offers, obj = stored(tmp_path)
    assert b"".join(verified_chunks(offers, obj)) == BODY


def test_a_copy_altered_after_its_verification_never_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offers, obj = stored(tmp_path)
    altered = BODY[:-2] + b"X\n"
    monkeypatch.setattr(offers, "open", lambda _sha256: io.BytesIO(altered))
    received = bytearray()
    with pytest.raises(NoVerifiedCopy):
        for block in verified_chunks(offers, obj):
            received += block
    assert len(received) < len(BODY)
    assert hashlib.sha256(received).hexdigest() != obj.sha256
