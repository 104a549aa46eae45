"""A copy re-verified before it is served is re-hashed again while it is sent: altered between
the two (the spool written over, a disk that lies), it never completes."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from sae.model import CatalogueObject
from sae.ports import Database
from sae.storage.download import verified_chunks
from sae.storage.offers import NoVerifiedCopy, StorageOffers
from tests.sae import setup

BODY = b"Registre des deliberations\n" * 1000


def stored(tmp_path: Path, db: Database) -> tuple[StorageOffers, CatalogueObject]:
    offers = setup.offers(db, tmp_path, "ARCH")
    kept = offers.store([BODY])
    obj = CatalogueObject(
        "T-1", "BDO-1", None, "a.txt", "a.txt", kept.sha256, kept.sha512, kept.size
    )
    return offers, obj


def test_a_sound_copy_is_served_whole(tmp_path: Path, sae_db: Database) -> None:
    offers, obj = stored(tmp_path, sae_db)
    assert b"".join(verified_chunks(offers, obj)) == BODY


def test_a_copy_altered_after_its_verification_never_completes(
    tmp_path: Path, sae_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    offers, obj = stored(tmp_path, sae_db)
    altered = BODY[:-2] + b"X\n"
    monkeypatch.setattr(offers, "open", lambda _sha256: io.BytesIO(altered))
    received = bytearray()
    with pytest.raises(NoVerifiedCopy):
        for block in verified_chunks(offers, obj):
            received += block
    assert len(received) < len(BODY)
    assert hashlib.sha256(received).hexdigest() != obj.sha256
