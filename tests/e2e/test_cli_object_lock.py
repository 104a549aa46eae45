"""A repository home with a volume and an S3 offer with Object Lock (moto server over HTTP), by
its command line: ``objects eliminate`` refused in French with the date while the lock holds,
done and logged otherwise; ``init`` refusing a bucket without Object Lock; ``audit`` comparing
the two offers and repairing the copy altered in the bucket."""

from __future__ import annotations

import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from kernel.blobstore.s3 import S3BlobStore
from kernel.paging import Page
from sae.bootstrap import build_config, open_repository
from sae.cli import main
from sae.config import load_settings
from sae.journal.log import entries
from tests.fixtures.s3 import ACCESS_KEY_ID, SECRET_ACCESS_KEY, S3Bucket
from tests.fixtures.seda_corpus import shared_path

pytestmark = pytest.mark.s3


def make_home(
    tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, *, locked: bool = True
) -> Path:
    bucket = S3Bucket(endpoint_url=s3_endpoint, name=f"lock-{uuid.uuid4().hex[:20]}")
    bucket.client().create_bucket(Bucket=bucket.name, ObjectLockEnabledForBucket=locked)
    monkeypatch.setenv("TEST_S3_ACCESS", ACCESS_KEY_ID)
    monkeypatch.setenv("TEST_S3_SECRET", SECRET_ACCESS_KEY)
    root = tmp_path / "sae"
    root.mkdir()
    (root / "sae.toml").write_text(
        'organisation = "ARCH"\nrequire_two_backends = true\n\n'
        '[offers.disque]\nkind = "filesystem"\nroot = "offers/disque"\n\n'
        f'[offers.minio]\nkind = "s3"\nbucket = "{bucket.name}"\nendpoint_url = "{s3_endpoint}"\n'
        'region = "us-east-1"\naccess_key_env = "TEST_S3_ACCESS"\n'
        'secret_key_env = "TEST_S3_SECRET"\nobject_lock = true\n',
        encoding="utf-8",
    )
    return root


@pytest.fixture
def home(tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_home(tmp_path, s3_endpoint, monkeypatch)


def stored_object(home: Path, *, locked_until: date | None) -> str:
    repository = open_repository(build_config(load_settings(home)))
    try:
        offers = repository.storage.offers("ARCH")
        stored = offers.store(iter([f"Délibération {uuid.uuid4()}\n".encode()]))
        if locked_until is not None:
            offers.retain({stored.sha256: [locked_until]}, today=date(2026, 1, 1))
        return stored.sha256
    finally:
        repository.close()


def test_eliminating_a_locked_object_is_refused_in_french_with_its_date(home: Path) -> None:
    object_id = stored_object(home, locked_until=date(2125, 1, 1))

    result = CliRunner().invoke(
        main, ["--home", str(home), "objects", "eliminate", object_id, "--tenant", "ARCH"]
    )

    assert result.exit_code == 4, result.output
    assert f"object_retained: Le stockage minio refuse de supprimer l'objet {object_id}" in (
        result.output
    )
    assert "verrouillé (mode conformité) jusqu'au 01/01/2125" in result.output


def test_an_object_no_lock_holds_is_eliminated_and_logged(home: Path) -> None:
    object_id = stored_object(home, locked_until=None)

    result = CliRunner().invoke(
        main,
        ["--home", str(home), "objects", "eliminate", object_id, "--actor", "alice"],
    )

    assert result.exit_code == 0, result.output
    assert f"Objet {object_id} éliminé de toutes les offres (2)" in result.output
    repository = open_repository(build_config(load_settings(home)))
    try:
        [last] = entries(repository.db, "ARCH", 0, Page(limit=100))[-1:]
    finally:
        repository.close()
    assert (last.actor, last.action, last.object_id) == ("alice", "object.eliminated", object_id)


def test_init_refuses_an_object_lock_offer_whose_bucket_has_no_lock(
    tmp_path: Path, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = make_home(tmp_path, s3_endpoint, monkeypatch, locked=False)
    schemas = str(shared_path("official"))

    result = CliRunner().invoke(
        main, ["--home", str(home), "init", "--organisation", "ARCH", "--schemas-from", schemas]
    )

    assert result.exit_code == 1, result.output
    assert "sae_misconfigured: object_lock : le compartiment des offres minio n'a pas le" in (
        result.output
    )


def test_the_audit_compares_the_volume_and_the_locked_bucket_and_repairs_the_altered_copy(
    home: Path,
) -> None:
    object_id = stored_object(home, locked_until=date(2125, 1, 1))
    repository = open_repository(build_config(load_settings(home)))
    try:
        bucket = repository.storage.offers("ARCH").offers[1]
        assert isinstance(bucket, S3BlobStore)
        bucket.client.put_object(
            Bucket=bucket.bucket, Key=bucket.key_of(object_id), Body=b"copie falsifiee\n"
        )
    finally:
        repository.close()

    result = CliRunner().invoke(main, ["--home", str(home), "audit", "--tenant", "ARCH", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [(f["code"], f["offer"]) for f in report["findings"]] == [
        ("copy_altered", "minio"),
        ("copy_repaired", "minio"),
    ]
    assert report["counts"]["copy_ok"] == 1  # the volume's copy
