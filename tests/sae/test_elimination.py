"""Eliminating an object from the offers: refused while the catalogue still describes it (its
archive goes first), done and logged for an object no archive holds (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sae.review.elimination import ObjectStillArchived, eliminate_object
from tests.fixtures.sae import TestDatabase
from tests.sae import stored
from tests.sae.test_catalogue import accepted, open_sae


def test_an_object_an_archive_still_holds_is_not_eliminated(
    tmp_path: Path, schema_dir: Path, sae_database: TestDatabase
) -> None:
    with open_sae(tmp_path, sae_database, schema_dir) as sae:
        transfer = accepted(sae, tmp_path, "TR-ELIM")
        letter = hashlib.sha256(b"Courrier au pr\xc3\xa9fet\n").hexdigest()

        with pytest.raises(ObjectStillArchived) as refused:
            eliminate_object(sae.db, sae.offers, "ARCH", letter, actor="marie")

        assert transfer["transfer_id"] in refused.value.detail
        assert all(offer.exists(letter) for offer in sae.offers.offers)
        assert sae.offers.registry.find(letter) is not None


def test_an_object_no_archive_holds_is_eliminated_from_every_offer_and_logged(
    tmp_path: Path, schema_dir: Path, sae_database: TestDatabase
) -> None:
    with open_sae(tmp_path, sae_database, schema_dir) as sae:
        orphan = sae.offers.store(iter([b"Paquet d'une acceptation interrompue\n"]))

        entry = eliminate_object(sae.db, sae.offers, "ARCH", orphan.sha256, actor="marie")

        assert not any(offer.exists(orphan.sha256) for offer in sae.offers.offers)
        assert sae.offers.registry.find(orphan.sha256) is None
        assert (entry.actor, entry.action, entry.object_id) == (
            "marie",
            "object.eliminated",
            orphan.sha256,
        )
        assert stored.entries(sae.db)[-1] == entry
