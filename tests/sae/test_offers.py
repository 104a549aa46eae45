"""Storage offers and their audit: two filesystem offers (fast), and filesystem + S3 over HTTP."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import BlobStore, Chunks, ContentRef, StorageUnavailable
from kernel.blobstore.s3 import S3BlobStore
from sae.adapters.db import SqlDatabase
from sae.adapters.db.registry import SqlDigestRegistry
from sae.model import StoredObject
from sae.ports import ObjectNotRegistered, RegisteredDigestsDiffer
from sae.storage.audit import AuditCode, audit
from sae.storage.offers import NoVerifiedCopy, ObjectQuarantined, StorageOffers
from tests.fixtures.leftovers import TempWriter, temp_files
from tests.fixtures.s3 import S3Bucket, S3Endpoint, boto3_session, create_bucket
from tests.sae import setup

CONTENT = b"Deliberation du conseil municipal\n" * 2000


def s3_offer(bucket: S3Bucket, spool_dir: Path) -> S3BlobStore:
    spool_dir.mkdir(exist_ok=True)
    return S3BlobStore(
        bucket.name,
        endpoint_url=bucket.endpoint_url,
        region=bucket.region,
        access_key_id=bucket.access_key_id,
        secret_access_key=bucket.secret_access_key,
        spool_dir=spool_dir,
        name="s3",
        max_attempts=1,
        connect_timeout=1.0,
        session=boto3_session(),
    )


class FailingPuts:
    """A filesystem offer whose writes fail as an unreachable store's would."""

    def __init__(self, store: FilesystemBlobStore) -> None:
        self._store = store
        self.name = store.name
        self.batch = store.batch
        self.open = store.open
        self.exists = store.exists
        self.delete = store.delete
        self.iter_digests = store.iter_digests

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef:
        raise StorageUnavailable("Stockage indisponible (test)")


class FailingRegistry(SqlDigestRegistry):
    def record(self, ref: ContentRef) -> StoredObject:
        raise StorageUnavailable("Base indisponible (test)")


@pytest.fixture
def registry(sae_db: SqlDatabase) -> SqlDigestRegistry:
    """The tenant ARCH's registry, on SQLite and on PostgreSQL."""
    setup.tenant(sae_db, "ARCH")
    return sae_db.registry("ARCH")


@pytest.fixture
def fs_pair(tmp_path: Path) -> tuple[FilesystemBlobStore, FilesystemBlobStore]:
    return (
        FilesystemBlobStore(tmp_path / "offer-a", name="a"),
        FilesystemBlobStore(tmp_path / "offer-b", name="b"),
    )


@pytest.fixture
def offers(
    fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore],
    registry: SqlDigestRegistry,
    tmp_path: Path,
) -> StorageOffers:
    spool = tmp_path / "spool"
    spool.mkdir()
    return StorageOffers(list(fs_pair), registry, spool_dir=spool)


def flip_byte(store: FilesystemBlobStore, sha256: str, at: int = 100) -> None:
    path = store.path_of(sha256)
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def read(offers: StorageOffers, object_id: str) -> bytes:
    with offers.open(object_id) as stream:
        return stream.read()


def read_offer(store: BlobStore, sha256: str) -> bytes:
    with store.open(sha256) as stream:
        return stream.read()


# -- store and open ----------------------------------------------------------------------------
def test_store_writes_every_offer_and_registers_the_digests(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, ...], tmp_path: Path
) -> None:
    source = tmp_path / "document.pdf"
    source.write_bytes(CONTENT)

    stored = offers.store(source)

    assert stored.sha256 == hashlib.sha256(CONTENT).hexdigest()
    assert stored.sha512 == hashlib.sha512(CONTENT).hexdigest()
    assert stored.size == len(CONTENT)
    assert [read_offer(store, stored.sha256) for store in fs_pair] == [CONTENT, CONTENT]
    assert offers.registry.find(stored.object_id) == stored
    assert read(offers, stored.object_id) == CONTENT
    assert temp_files(tmp_path / "spool") == []


def test_registry_is_apart_from_the_objects(
    registry: SqlDigestRegistry, fs_pair: tuple[FilesystemBlobStore, ...]
) -> None:
    database = registry.db.engine.url.database or ""
    for store in fs_pair:
        assert not Path(database).is_relative_to(store.root)


def test_a_tenants_registry_never_sees_another_tenants_objects(
    registry: SqlDigestRegistry,
) -> None:
    setup.tenant(registry.db, "OTHER")
    other = registry.db.registry("OTHER")
    ref = ContentRef(sha256="a" * 64, sha512="b" * 128, size=3)
    registry.record(ref)

    assert [o.sha256 for o in registry.iter_objects()] == [ref.sha256]
    assert list(other.iter_objects()) == []
    assert other.find(ref.sha256) is None
    other.record(ContentRef(sha256="a" * 64, sha512="c" * 128, size=3))  # its own, unrelated
    assert registry.find(ref.sha256) == registry.record(ref)


def test_open_serves_the_next_offer_when_the_first_copy_is_altered(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    stored = offers.store(iter([CONTENT]))
    flip_byte(fs_pair[0], stored.sha256)

    assert read(offers, stored.object_id) == CONTENT


def test_open_refuses_when_no_copy_verifies(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    stored = offers.store(iter([CONTENT]))
    flip_byte(fs_pair[0], stored.sha256)
    fs_pair[1].delete(stored.sha256)

    with pytest.raises(NoVerifiedCopy) as caught:
        offers.open(stored.object_id)
    assert caught.value.extra["copies"] == {"a": "altered", "b": "missing"}


def test_open_of_an_unknown_object_is_not_found(offers: StorageOffers) -> None:
    with pytest.raises(ObjectNotRegistered):
        offers.open("0" * 64)


def test_store_failing_on_the_second_offer_leaves_nothing_on_the_first(
    fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore], registry: SqlDigestRegistry
) -> None:
    first, second = fs_pair
    offers = StorageOffers([first, FailingPuts(second)], registry)

    with pytest.raises(StorageUnavailable):
        offers.store(iter([CONTENT]))

    assert list(first.iter_digests()) == []
    assert list(registry.iter_objects()) == []


def test_store_failing_to_register_removes_every_copy(
    fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore], registry: SqlDigestRegistry
) -> None:
    offers = StorageOffers(list(fs_pair), FailingRegistry(registry.db, "ARCH"))

    with pytest.raises(StorageUnavailable):
        offers.store(iter([CONTENT]))

    assert [list(store.iter_digests()) for store in fs_pair] == [[], []]


def test_failed_store_keeps_a_copy_that_was_already_there(
    fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore], registry: SqlDigestRegistry
) -> None:
    first, second = fs_pair
    ref = first.put(iter([CONTENT]))
    offers = StorageOffers([first, FailingPuts(second)], registry)

    with pytest.raises(StorageUnavailable):
        offers.store(iter([CONTENT]))

    assert read_offer(first, ref.sha256) == CONTENT


def test_store_replaces_an_unverified_leftover_instead_of_trusting_it(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    ref = fs_pair[0].put(iter([CONTENT]))
    flip_byte(fs_pair[0], ref.sha256)

    offers.store(iter([CONTENT]))

    assert read_offer(fs_pair[0], ref.sha256) == CONTENT


def test_registry_never_overwrites_digests(registry: SqlDigestRegistry) -> None:
    registry.record(ContentRef(sha256="a" * 64, sha512="b" * 128, size=3))

    with pytest.raises(RegisteredDigestsDiffer):
        registry.record(ContentRef(sha256="a" * 64, sha512="c" * 128, size=3))
    assert registry.record(ContentRef(sha256="a" * 64, sha512="b" * 128, size=3)).size == 3


def test_registry_lists_objects_across_pages(registry: SqlDigestRegistry) -> None:
    registry = SqlDigestRegistry(registry.db, "ARCH", page_size=2)
    digests = sorted(hashlib.sha256(str(i).encode()).hexdigest() for i in range(5))
    for digest in digests:
        registry.record(ContentRef(sha256=digest, sha512="0" * 128, size=1))

    assert [stored.sha256 for stored in registry.iter_objects()] == digests


# -- audit -------------------------------------------------------------------------------------
def test_audit_of_healthy_offers_is_clean(offers: StorageOffers) -> None:
    offers.store(iter([CONTENT]))
    offers.store(iter([b"autre document"]))

    report = audit(offers.offers, offers.registry)

    assert report.clean
    assert report.objects_checked == 2
    assert report.counts[AuditCode.COPY_OK] == 4
    assert report.findings == []


def test_audit_repairs_a_flipped_byte_from_the_other_copy(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    stored = offers.store(iter([CONTENT]))
    flip_byte(fs_pair[1], stored.sha256)

    report = audit(offers.offers, offers.registry)

    assert report.codes_for(stored.object_id) == [AuditCode.COPY_ALTERED, AuditCode.COPY_REPAIRED]
    assert [f.offer for f in report.findings] == ["b", "b"]
    assert report.clean
    assert [read_offer(store, stored.sha256) for store in fs_pair] == [CONTENT, CONTENT]
    assert audit(offers.offers, offers.registry).findings == []


def test_audit_detects_a_grown_copy_without_reading_past_the_registered_size(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    stored = offers.store(iter([CONTENT]))
    with fs_pair[0].path_of(stored.sha256).open("ab") as copy:
        copy.write(b"extra")

    report = audit(offers.offers, offers.registry)

    assert report.codes_for(stored.object_id) == [AuditCode.COPY_ALTERED, AuditCode.COPY_REPAIRED]
    assert read_offer(fs_pair[0], stored.sha256) == CONTENT


def test_audit_repairs_a_deleted_copy(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    stored = offers.store(iter([CONTENT]))
    fs_pair[0].delete(stored.sha256)

    report = audit(offers.offers, offers.registry)

    assert report.codes_for(stored.object_id) == [AuditCode.COPY_MISSING, AuditCode.COPY_REPAIRED]
    assert read_offer(fs_pair[0], stored.sha256) == CONTENT


def test_audit_without_repair_only_reports(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    stored = offers.store(iter([CONTENT]))
    fs_pair[0].delete(stored.sha256)

    report = audit(offers.offers, offers.registry, repair=False)

    assert report.codes_for(stored.object_id) == [AuditCode.COPY_MISSING]
    assert not report.clean
    assert not fs_pair[0].exists(stored.sha256)


def test_every_copy_bad_quarantines_and_is_never_served(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    stored = offers.store(iter([CONTENT]))
    flip_byte(fs_pair[0], stored.sha256)
    fs_pair[1].delete(stored.sha256)

    report = audit(offers.offers, offers.registry)

    assert report.codes_for(stored.object_id) == [
        AuditCode.COPY_ALTERED,
        AuditCode.COPY_MISSING,
        AuditCode.OBJECT_QUARANTINED,
    ]
    assert not report.clean
    assert report.counts[AuditCode.OBJECT_QUARANTINED] == 1
    registered = offers.registry.find(stored.object_id)
    assert registered is not None and registered.quarantined
    with pytest.raises(ObjectQuarantined):
        offers.open(stored.object_id)
    # The altered copy is never used as a repair source, now or at the next audit.
    again = audit(offers.offers, offers.registry)
    assert AuditCode.OBJECT_IN_QUARANTINE in again.codes_for(stored.object_id)
    assert not fs_pair[1].exists(stored.sha256)


def test_storing_the_original_again_lifts_the_quarantine(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    stored = offers.store(iter([CONTENT]))
    for store in fs_pair:
        flip_byte(store, stored.sha256)
    audit(offers.offers, offers.registry)

    offers.store(iter([CONTENT]))

    assert read(offers, stored.object_id) == CONTENT
    assert audit(offers.offers, offers.registry).findings == []


def test_orphans_are_reported_and_kept(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    offers.store(iter([CONTENT]))
    orphan = fs_pair[1].put(iter([b"jamais enregistre"]))

    report = audit(offers.offers, offers.registry)

    assert [(f.code, f.object_id, f.offer) for f in report.findings] == [
        (AuditCode.ORPHAN_OBJECT, orphan.sha256, "b")
    ]
    assert fs_pair[1].exists(orphan.sha256)


def test_audit_removes_and_lists_the_temp_files_of_dead_processes_only(
    offers: StorageOffers,
    fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore],
    writers: list[TempWriter],
) -> None:
    offers.store(iter([CONTENT]))
    writers.append(killed := TempWriter(fs_pair[0].root))  # a CLI acceptance killed halfway
    writers.append(live := TempWriter(fs_pair[1].root))  # a store in progress elsewhere
    killed.kill()

    report = audit(offers.offers, offers.registry)

    assert [(f.code, f.offer) for f in report.findings] == [(AuditCode.TEMP_FILE_REMOVED, "a")]
    assert killed.path.name in report.findings[0].message
    assert "7 octets" in report.findings[0].message
    assert report.to_dict()["counts"]["temp_file_removed"] == 1
    assert temp_files(fs_pair[0].tmp_dir) == []
    assert temp_files(fs_pair[1].tmp_dir) == [live.path]


def test_report_is_json_with_every_code_counted(
    offers: StorageOffers, fs_pair: tuple[FilesystemBlobStore, FilesystemBlobStore]
) -> None:
    stored = offers.store(iter([CONTENT]))
    fs_pair[0].delete(stored.sha256)

    document = json.loads(json.dumps(audit(offers.offers, offers.registry).to_dict()))

    assert set(document["counts"]) == {str(code) for code in AuditCode}
    assert document["counts"]["copy_missing"] == 1
    assert document["counts"]["copy_repaired"] == 1
    assert document["findings"][0] == {
        "code": "copy_missing",
        "object_id": stored.sha256,
        "offer": "a",
        "message": "Copie absente",
    }
    assert document["clean"] is True


# -- filesystem + S3 over HTTP ------------------------------------------------------------------
@pytest.fixture
def mixed(
    tmp_path: Path, s3_bucket: S3Bucket, registry: SqlDigestRegistry
) -> Iterator[tuple[StorageOffers, FilesystemBlobStore, S3BlobStore]]:
    fs = FilesystemBlobStore(tmp_path / "offer-fs", name="filesystem")
    s3 = s3_offer(s3_bucket, tmp_path / "s3-spool")
    yield StorageOffers([fs, s3], registry), fs, s3


@pytest.mark.s3
def test_store_writes_filesystem_and_s3(
    mixed: tuple[StorageOffers, FilesystemBlobStore, S3BlobStore],
) -> None:
    offers, fs, s3 = mixed

    stored = offers.store(iter([CONTENT]))

    assert read_offer(fs, stored.sha256) == CONTENT
    assert read_offer(s3, stored.sha256) == CONTENT
    assert audit(offers.offers, offers.registry).findings == []


@pytest.mark.s3
def test_flipped_byte_in_s3_is_repaired_from_the_filesystem(
    mixed: tuple[StorageOffers, FilesystemBlobStore, S3BlobStore], s3_bucket: S3Bucket
) -> None:
    offers, _fs, s3 = mixed
    stored = offers.store(iter([CONTENT]))
    altered = bytearray(CONTENT)
    altered[7] ^= 0x20
    s3_bucket.client().put_object(
        Bucket=s3_bucket.name, Key=s3.key_of(stored.sha256), Body=bytes(altered)
    )

    report = audit(offers.offers, offers.registry)

    assert [(f.code, f.offer) for f in report.findings] == [
        (AuditCode.COPY_ALTERED, "s3"),
        (AuditCode.COPY_REPAIRED, "s3"),
    ]
    assert read_offer(s3, stored.sha256) == CONTENT
    assert audit(offers.offers, offers.registry).findings == []


@pytest.mark.s3
def test_flipped_byte_on_the_filesystem_is_repaired_from_s3(
    mixed: tuple[StorageOffers, FilesystemBlobStore, S3BlobStore],
) -> None:
    offers, fs, _s3 = mixed
    stored = offers.store(iter([CONTENT]))
    flip_byte(fs, stored.sha256)

    report = audit(offers.offers, offers.registry)

    assert report.codes_for(stored.object_id) == [AuditCode.COPY_ALTERED, AuditCode.COPY_REPAIRED]
    assert read_offer(fs, stored.sha256) == CONTENT


@pytest.fixture
def with_killable(
    tmp_path: Path, killable_s3_endpoint: S3Endpoint, registry: SqlDigestRegistry
) -> tuple[StorageOffers, FilesystemBlobStore, S3Endpoint]:
    fs = FilesystemBlobStore(tmp_path / "offer-fs", name="filesystem")
    s3 = s3_offer(create_bucket(killable_s3_endpoint.url), tmp_path / "s3-spool")
    return StorageOffers([fs, s3], registry), fs, killable_s3_endpoint


@pytest.mark.s3
def test_offer_down_is_reported_unreadable_and_nothing_is_lost(
    with_killable: tuple[StorageOffers, FilesystemBlobStore, S3Endpoint],
) -> None:
    offers, fs, endpoint = with_killable
    stored = offers.store(iter([CONTENT]))
    endpoint.kill()

    report = audit(offers.offers, offers.registry)

    assert [(f.code, f.offer) for f in report.findings] == [
        (AuditCode.COPY_UNREADABLE, "s3"),
        (AuditCode.OFFER_UNREADABLE, "s3"),
    ]
    assert not report.clean
    assert read_offer(fs, stored.sha256) == CONTENT
    assert read(offers, stored.object_id) == CONTENT


@pytest.mark.s3
def test_bad_local_copy_with_the_other_offer_down_is_not_quarantined(
    with_killable: tuple[StorageOffers, FilesystemBlobStore, S3Endpoint],
) -> None:
    offers, fs, endpoint = with_killable
    stored = offers.store(iter([CONTENT]))
    flip_byte(fs, stored.sha256)
    endpoint.kill()

    report = audit(offers.offers, offers.registry)

    assert report.codes_for(stored.object_id) == [
        AuditCode.COPY_ALTERED,
        AuditCode.COPY_UNREADABLE,
        AuditCode.NO_VERIFIED_COPY,
    ]
    registered = offers.registry.find(stored.object_id)
    assert registered is not None and not registered.quarantined
    # Nothing was rewritten from the unverified local copy.
    assert read_offer(fs, stored.sha256) != CONTENT
    with pytest.raises(NoVerifiedCopy):
        offers.open(stored.object_id)


@pytest.mark.s3
def test_store_with_the_s3_offer_down_leaves_nothing_on_the_filesystem(
    with_killable: tuple[StorageOffers, FilesystemBlobStore, S3Endpoint],
) -> None:
    offers, fs, endpoint = with_killable
    endpoint.kill()

    with pytest.raises(StorageUnavailable):
        offers.store(iter([CONTENT]))

    assert list(fs.iter_digests()) == []
    assert list(offers.registry.iter_objects()) == []
