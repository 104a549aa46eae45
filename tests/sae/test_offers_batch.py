"""Batched writes to the storage offers (``StorageOffers.store_many``): same results and
the same all-or-nothing as ``store``, with few syncs and a bounded number of spool files."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.ports import (
    BlobBatch,
    BlobStore,
    Chunks,
    ContentRef,
    ContentTooLarge,
    StorageUnavailable,
)
from kernel.blobstore.s3 import S3BlobStore
from sae.adapters.db import SqlDatabase
from sae.adapters.db.registry import SqlDigestRegistry
from sae.model import StoredObject
from sae.ports import RegisteredDigestsDiffer
from sae.storage.offers import StorageOffers
from tests.fixtures.leftovers import temp_files
from tests.fixtures.s3 import S3Bucket, S3Endpoint, create_bucket
from tests.sae import setup
from tests.sae.test_offers import flip_byte, read, read_offer, s3_offer

CONTENTS = [f"Pièce {n} du dossier de marché\n".encode() * (50 + n) for n in range(7)]


# -- fakes -------------------------------------------------------------------------------------
class CountingOffer:
    """A filesystem offer that counts the copies written to it, and fails the ``fail_at``-th
    (1-based) as an unreachable store would; ``batches`` lists the copies of each batch."""

    def __init__(self, store: FilesystemBlobStore, *, fail_at: int | None = None) -> None:
        self.store = store
        self.name = store.name
        self.fail_at = fail_at
        self.written = 0
        self.batches: list[int] = []
        self.open = store.open
        self.exists = store.exists
        self.delete = store.delete
        self.iter_digests = store.iter_digests

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef:
        self.count_write()
        return self.store.put(data, expected_size=expected_size, max_size=max_size)

    @contextmanager
    def batch(self) -> Iterator[BlobBatch]:
        with self.store.batch() as inner:
            counted = _CountingBatch(self, inner)
            yield counted
        self.batches.append(counted.puts)

    def count_write(self) -> None:
        self.written += 1
        if self.written == self.fail_at:
            raise StorageUnavailable("Stockage indisponible (test)")


class _CountingBatch:
    def __init__(self, offer: CountingOffer, inner: BlobBatch) -> None:
        self._offer = offer
        self._inner = inner
        self.puts = 0

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef:
        self._offer.count_write()
        self.puts += 1
        return self._inner.put(data, expected_size=expected_size, max_size=max_size)

    def put_file(self, path: str, *, max_size: int | None = None) -> ContentRef:
        self._offer.count_write()
        self.puts += 1
        return self._inner.put_file(path, max_size=max_size)


class RecordingRegistry(SqlDigestRegistry):
    """Lists the size of each ``record_many`` call; fails the ``fail_at``-th (1-based)."""

    def __init__(self, db: SqlDatabase, *, fail_at: int | None = None) -> None:
        super().__init__(db, "ARCH")
        self.fail_at = fail_at
        self.batches: list[int] = []

    def record_many(self, refs: Sequence[ContentRef]) -> list[StoredObject]:
        self.batches.append(len(refs))
        if len(self.batches) == self.fail_at:
            raise StorageUnavailable("Base indisponible (test)")
        return super().record_many(refs)


class BlockingRegistry(SqlDigestRegistry):
    """Its first ``record_many`` says it started, waits for ``go``, then fails."""

    def __init__(self, db: SqlDatabase) -> None:
        super().__init__(db, "ARCH")
        self.entered = threading.Event()
        self.go = threading.Event()
        self._calls = 0

    def record_many(self, refs: Sequence[ContentRef]) -> list[StoredObject]:
        self._calls += 1
        if self._calls == 1:
            self.entered.set()
            self.go.wait(timeout=30)
            raise StorageUnavailable("Base indisponible (test)")
        return super().record_many(refs)


class DyingAfterFirstUpload:
    """An S3 offer whose endpoint is killed once its first copy is uploaded."""

    def __init__(self, store: S3BlobStore, endpoint: S3Endpoint) -> None:
        self.store = store
        self.endpoint = endpoint
        self.name = store.name
        self.store_spooled = store.store_spooled  # an S3 offer: written object by object
        self.batch = store.batch
        self.open = store.open
        self.exists = store.exists
        self.delete = store.delete
        self.iter_digests = store.iter_digests

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef:
        written = self.store.put(data, expected_size=expected_size, max_size=max_size)
        self.endpoint.kill()
        return written


# -- helpers -----------------------------------------------------------------------------------
def filesystem(tmp_path: Path, name: str) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / f"offer-{name}", name=name)


@pytest.fixture
def db(sae_db: SqlDatabase) -> SqlDatabase:
    """The database (SQLite and PostgreSQL) with the tenants ARCH and OTHER."""
    setup.tenant(sae_db, "ARCH")
    setup.tenant(sae_db, "OTHER")
    return sae_db


def new_offers(
    db: SqlDatabase,
    tmp_path: Path,
    stores: Sequence[BlobStore],
    registry: SqlDigestRegistry | None = None,
    *,
    tenant: str = "ARCH",
    **limits: int,
) -> StorageOffers:
    spool = tmp_path / "spool"
    spool.mkdir(parents=True, exist_ok=True)
    registry = registry or db.registry(tenant)
    return StorageOffers(stores, registry, spool_dir=spool, **limits)


def counting_pair(
    tmp_path: Path, *, fail_at: int | None = None
) -> tuple[CountingOffer, CountingOffer]:
    first = CountingOffer(filesystem(tmp_path, "a"))
    return first, CountingOffer(filesystem(tmp_path, "b"), fail_at=fail_at)


def digests(store: BlobStore) -> set[str]:
    return set(store.iter_digests())


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def registered(offers: StorageOffers) -> set[str]:
    return {stored.sha256 for stored in offers.registry.iter_objects()}


def inode(store: FilesystemBlobStore, content: bytes) -> int:
    return store.path_of(sha256(content)).stat().st_ino


# -- same results as store ---------------------------------------------------------------------
def test_store_many_gives_what_store_gives_one_by_one(tmp_path: Path, db: SqlDatabase) -> None:
    source = tmp_path / "source.pdf"
    source.write_bytes(CONTENTS[0])
    batched_stores = [filesystem(tmp_path / "batched", n) for n in "ab"]
    single_stores = [filesystem(tmp_path / "single", n) for n in "ab"]
    batched = new_offers(db, tmp_path / "batched", batched_stores)
    single = new_offers(db, tmp_path / "single", single_stores, tenant="OTHER")

    def items() -> list[Chunks | Path]:
        return [source, iter([CONTENTS[1]]), io.BytesIO(CONTENTS[2]), iter([b"", CONTENTS[3]])]

    stored = batched.store_many(items())

    assert stored == [single.store(item) for item in items()]
    assert [s.sha256 for s in stored] == [sha256(c) for c in CONTENTS[:4]]
    assert list(batched.registry.iter_objects()) == list(single.registry.iter_objects())
    for store in batched.offers:
        assert digests(store) == {s.sha256 for s in stored}
    assert [read(batched, s.object_id) for s in stored] == CONTENTS[:4]
    assert temp_files(tmp_path / "batched" / "spool") == []


def test_new_copies_of_a_batch_go_through_one_offer_batch(tmp_path: Path, db: SqlDatabase) -> None:
    pair = counting_pair(tmp_path)
    offers = new_offers(db, tmp_path, pair)

    offers.store_many(iter([c]) for c in CONTENTS)

    assert [(offer.batches, offer.written) for offer in pair] == [([7], 7), ([7], 7)]


def test_a_verified_copy_already_there_is_kept_and_not_written_again(
    tmp_path: Path, db: SqlDatabase
) -> None:
    pair = counting_pair(tmp_path)
    offers = new_offers(db, tmp_path, pair)
    offers.store(iter([CONTENTS[0]]))
    before = [inode(offer.store, CONTENTS[0]) for offer in pair]

    stored = offers.store_many(iter([c]) for c in CONTENTS[:3])

    assert [inode(offer.store, CONTENTS[0]) for offer in pair] == before
    assert [offer.written for offer in pair] == [3, 3]  # 1 by store, 2 in the batch
    assert registered(offers) == {s.sha256 for s in stored}


def test_an_altered_copy_already_there_is_replaced(tmp_path: Path, db: SqlDatabase) -> None:
    first, second = filesystem(tmp_path, "a"), filesystem(tmp_path, "b")
    offers = new_offers(db, tmp_path, [first, second])
    leftover = first.put(iter([CONTENTS[0]]))  # an orphan of a crashed store, then altered
    flip_byte(first, leftover.sha256)

    offers.store_many([iter([CONTENTS[0]]), iter([CONTENTS[1]])])

    assert read_offer(first, leftover.sha256) == CONTENTS[0]
    assert read(offers, leftover.sha256) == CONTENTS[0]


def test_identical_contents_in_one_batch_are_written_and_registered_once(
    tmp_path: Path, db: SqlDatabase
) -> None:
    pair = counting_pair(tmp_path)
    registry = RecordingRegistry(db)
    offers = new_offers(db, tmp_path, pair, registry)
    items = [CONTENTS[0], CONTENTS[1], CONTENTS[0], CONTENTS[0]]

    stored = offers.store_many(iter([c]) for c in items)

    assert [s.sha256 for s in stored] == [sha256(c) for c in items]
    assert stored[0] == stored[2] == stored[3]
    assert [offer.written for offer in pair] == [2, 2]
    assert registry.batches == [2]


def test_storing_the_original_again_by_batch_lifts_the_quarantine(
    tmp_path: Path, db: SqlDatabase
) -> None:
    offers = new_offers(db, tmp_path, [filesystem(tmp_path, "a"), filesystem(tmp_path, "b")])
    stored = offers.store(iter([CONTENTS[0]]))
    offers.registry.quarantine(stored.sha256, "every copy altered")

    offers.store_many([iter([CONTENTS[0]]), iter([CONTENTS[1]])])

    found = offers.registry.find(stored.sha256)
    assert found is not None and not found.quarantined


# -- bounded batches ---------------------------------------------------------------------------
def test_a_batch_is_stored_before_the_next_items_are_read(tmp_path: Path, db: SqlDatabase) -> None:
    registry = RecordingRegistry(db)
    offers = new_offers(db, tmp_path, counting_pair(tmp_path), registry, batch_objects=3)
    registered_when_read: list[int] = []

    def items() -> Iterator[Chunks]:
        for content in CONTENTS:
            registered_when_read.append(len(registered(offers)))
            yield iter([content])

    stored = offers.store_many(items())

    assert len(stored) == 7
    assert registered_when_read == [0, 0, 0, 3, 3, 3, 6]
    assert registry.batches == [3, 3, 1]
    assert [offer.batches for offer in offers.offers if isinstance(offer, CountingOffer)] == [
        [3, 3],  # the last batch has one copy: a plain put, its own fsync
        [3, 3],
    ]


def test_batches_are_cut_by_bytes_too(tmp_path: Path, db: SqlDatabase) -> None:
    registry = RecordingRegistry(db)
    same_size = [bytes([n]) * 1000 for n in range(7)]
    offers = new_offers(db, tmp_path, [filesystem(tmp_path, "a")], registry, batch_bytes=2000)

    offers.store_many(iter([c]) for c in same_size)

    assert registry.batches == [2, 2, 2, 1]


# -- all or nothing ----------------------------------------------------------------------------
def test_second_offer_failing_mid_batch_leaves_no_copy_of_this_call(
    tmp_path: Path, db: SqlDatabase
) -> None:
    first, second = counting_pair(tmp_path, fail_at=2)
    offers = new_offers(db, tmp_path, [first, second])
    kept = first.store.put(iter([CONTENTS[0]]))  # there before: another archive may hold it

    with pytest.raises(StorageUnavailable):
        offers.store_many(iter([c]) for c in CONTENTS[:4])

    assert digests(first) == {kept.sha256}
    assert digests(second) == set()
    assert registered(offers) == set()
    assert temp_files(tmp_path / "spool") == []
    assert temp_files(second.store.tmp_dir) == []


def test_registry_failing_removes_every_copy_of_the_batch(tmp_path: Path, db: SqlDatabase) -> None:
    first, second = filesystem(tmp_path, "a"), filesystem(tmp_path, "b")
    registry = RecordingRegistry(db, fail_at=1)
    offers = new_offers(db, tmp_path, [first, second], registry)
    kept = second.put(iter([CONTENTS[1]]))

    with pytest.raises(StorageUnavailable):
        offers.store_many(iter([c]) for c in CONTENTS[:3])

    assert (digests(first), digests(second)) == (set(), {kept.sha256})
    assert registered(offers) == set()


def test_a_failing_batch_keeps_the_batches_stored_before_it(
    tmp_path: Path, db: SqlDatabase
) -> None:
    first, second = counting_pair(tmp_path, fail_at=3)  # the first copy of the second batch
    offers = new_offers(db, tmp_path, [first, second], batch_objects=2)

    with pytest.raises(StorageUnavailable):
        offers.store_many(iter([c]) for c in CONTENTS[:4])

    done = {sha256(c) for c in CONTENTS[:2]}
    assert registered(offers) == done
    assert digests(first) == digests(second) == done
    assert [read(offers, sha256(c)) for c in CONTENTS[:2]] == CONTENTS[:2]


def test_differing_digests_register_nothing_of_the_batch(tmp_path: Path, db: SqlDatabase) -> None:
    registry = SqlDigestRegistry(db, "ARCH")
    known = registry.record(ContentRef(sha256="a" * 64, sha512="b" * 128, size=3))
    new = ContentRef(sha256="c" * 64, sha512="d" * 128, size=4)

    with pytest.raises(RegisteredDigestsDiffer):
        registry.record_many([new, ContentRef(sha256="a" * 64, sha512="e" * 128, size=3)])

    assert list(registry.iter_objects()) == [known]
    assert registry.record_many([new, ContentRef("a" * 64, "b" * 128, 3)]) == [
        StoredObject(new.sha256, new.sha512, new.size),
        known,
    ]


def test_an_item_too_large_stops_the_call_and_leaves_no_spool(
    tmp_path: Path, db: SqlDatabase
) -> None:
    offers = new_offers(db, tmp_path, [filesystem(tmp_path, "a")], batch_objects=1)
    small, large = b"petit", b"x" * 100

    with pytest.raises(ContentTooLarge):
        offers.store_many([iter([small]), iter([large])], max_size=50)

    assert registered(offers) == {sha256(small)}
    assert temp_files(tmp_path / "spool") == []


def test_a_concurrent_store_of_the_same_content_is_not_undone(
    tmp_path: Path, db: SqlDatabase
) -> None:
    first, second = filesystem(tmp_path, "a"), filesystem(tmp_path, "b")
    registry = BlockingRegistry(db)
    offers = new_offers(db, tmp_path, [first, second], registry)
    failures: list[BaseException] = []

    def batch() -> None:
        try:
            offers.store_many(iter([c]) for c in CONTENTS[:3])
        except StorageUnavailable as exc:
            failures.append(exc)

    batching = threading.Thread(target=batch)
    batching.start()
    assert registry.entered.wait(timeout=30)
    # The batch's copies of CONTENTS[0] are on both offers, not yet registered: a store of the
    # same content must wait for the batch instead of trusting (then losing) those copies.
    single = threading.Thread(target=offers.store, args=(iter([CONTENTS[0]]),))
    single.start()
    single.join(timeout=0.5)
    registry.go.set()
    batching.join()
    single.join()

    assert len(failures) == 1
    assert registered(offers) == {sha256(CONTENTS[0])}
    assert digests(first) == digests(second) == {sha256(CONTENTS[0])}
    assert read(offers, sha256(CONTENTS[0])) == CONTENTS[0]


# -- filesystem and S3 -------------------------------------------------------------------------
@pytest.mark.s3
def test_store_many_writes_filesystem_and_s3(
    tmp_path: Path, db: SqlDatabase, s3_bucket: S3Bucket
) -> None:
    fs, s3 = filesystem(tmp_path, "fs"), s3_offer(s3_bucket, tmp_path / "s3-spool")
    offers = new_offers(db, tmp_path, [fs, s3])

    stored = offers.store_many(iter([c]) for c in CONTENTS[:3])

    for store in (fs, s3):
        assert [read_offer(store, s.sha256) for s in stored] == CONTENTS[:3]
    assert registered(offers) == {s.sha256 for s in stored}


@pytest.mark.s3
def test_s3_dying_mid_batch_leaves_nothing_on_the_filesystem(
    tmp_path: Path, db: SqlDatabase, killable_s3_endpoint: S3Endpoint
) -> None:
    fs = filesystem(tmp_path, "fs")
    s3 = s3_offer(create_bucket(killable_s3_endpoint.url), tmp_path / "s3-spool")
    offers = new_offers(db, tmp_path, [fs, DyingAfterFirstUpload(s3, killable_s3_endpoint)])

    with pytest.raises(StorageUnavailable):
        offers.store_many(iter([c]) for c in CONTENTS[:3])

    assert digests(fs) == set()
    assert registered(offers) == set()
    assert temp_files(tmp_path / "spool") == []
