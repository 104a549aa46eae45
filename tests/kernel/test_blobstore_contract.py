"""The BlobStore contract, run against every backend: filesystem and S3 (moto over HTTP).

Each backend comes with a ``leftovers()`` probe listing whatever a failed put could leave
behind (temp or spool files, objects, blobs): "nothing stored" is checked, not assumed.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import io
import os
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kernel.blobstore import bulk, durability, filesystem, s3, tempfiles
from kernel.blobstore.bulk import BulkStorer, PartlyStored, Unstored
from kernel.blobstore.filesystem import FilesystemBatch, FilesystemBlobStore
from kernel.blobstore.ports import (
    BlobNotFound,
    BlobStore,
    ContentRef,
    ContentTooLarge,
    DigestMismatch,
    IncompleteContent,
    StorageFull,
    StorageUnavailable,
)
from kernel.blobstore.s3 import S3BlobStore
from tests.fixtures.leftovers import TempWriter, temp_files
from tests.fixtures.s3 import S3Bucket, S3Endpoint, boto3_session, create_bucket

MIB = 1024 * 1024


@dataclass
class Backend:
    store: BlobStore
    leftovers: Callable[[], list[str]]
    # What leftovers() shows for a stored blob (its file name or object key).
    name_of: Callable[[str], str]


def filesystem_backend(root: Path) -> Backend:
    store = FilesystemBlobStore(root)

    def leftovers() -> list[str]:
        return [p.name for p in temp_entries(store)] + list(store.iter_digests())

    return Backend(store, leftovers, name_of=str)


def s3_store(bucket: S3Bucket, spool_dir: Path, **settings: Any) -> S3BlobStore:
    spool_dir.mkdir(exist_ok=True)
    options: dict[str, Any] = {
        "endpoint_url": bucket.endpoint_url,
        "region": bucket.region,
        "access_key_id": bucket.access_key_id,
        "secret_access_key": bucket.secret_access_key,
        "spool_dir": spool_dir,
        # Small parts so that the 20 MiB test goes through the multipart path.
        "multipart_threshold": 8 * MIB,
        "multipart_chunksize": 8 * MIB,
        "session": boto3_session(),
    }
    return S3BlobStore(bucket.name, **(options | settings))


def s3_backend(bucket: S3Bucket, spool_dir: Path) -> Backend:
    store = s3_store(bucket, spool_dir)
    client = bucket.client()

    def leftovers() -> list[str]:
        objects = client.list_objects_v2(Bucket=bucket.name).get("Contents", [])
        uploads = client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", [])
        return (
            sorted(p.name for p in spool_dir.iterdir() if not tempfiles.is_owner_file(p))
            + [o.get("Key", "") for o in objects]
            + [f"upload:{u.get('Key')}" for u in uploads]
        )

    return Backend(store, leftovers, name_of=store.key_of)


@pytest.fixture(params=["filesystem", pytest.param("s3", marks=pytest.mark.s3)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "filesystem":
        return filesystem_backend(tmp_path / "blobs")
    bucket: S3Bucket = request.getfixturevalue("s3_bucket")
    return s3_backend(bucket, tmp_path / "spool")


def ref_of(data: bytes) -> ContentRef:
    return ContentRef(
        sha256=hashlib.sha256(data).hexdigest(),
        sha512=hashlib.sha512(data).hexdigest(),
        size=len(data),
    )


def chunked(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def read_all(store: BlobStore, sha256: str) -> bytes:
    with store.open(sha256) as stream:
        return stream.read()


class CountingChunks:
    """An iterable of chunks that records how many were taken from it."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        self.taken = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.taken += 1
            yield chunk


def pseudo_random_chunks(seed: int, count: int, size: int = MIB) -> Iterator[bytes]:
    """``count * size`` bytes made on the fly: never held whole in memory."""
    generator = random.Random(seed)
    for _ in range(count):
        yield generator.randbytes(size)


# -- round trips --------------------------------------------------------------------------------


def test_put_returns_the_digests_and_open_returns_the_bytes(backend: Backend) -> None:
    data = os.urandom(300_000)
    ref = backend.store.put(chunked(data, 7_000))
    assert ref == ref_of(data)
    assert backend.store.exists(ref.sha256)
    assert read_all(backend.store, ref.sha256) == data


def test_put_reads_a_binary_file(backend: Backend) -> None:
    data = os.urandom(50_000)
    ref = backend.store.put(io.BytesIO(data), expected_size=len(data))
    assert ref == ref_of(data)
    assert read_all(backend.store, ref.sha256) == data


def test_zero_byte_blob_is_stored(backend: Backend) -> None:
    ref = backend.store.put(iter([]), expected_size=0)
    assert ref == ref_of(b"")
    assert read_all(backend.store, ref.sha256) == b""
    assert list(backend.store.iter_digests()) == [ref.sha256]


def test_multi_chunk_input_of_20_mib_is_hashed_and_stored_whole(backend: Backend) -> None:
    expected = hashlib.sha256(), hashlib.sha512()
    for chunk in pseudo_random_chunks(seed=20, count=20):
        for digest in expected:
            digest.update(chunk)
    ref = backend.store.put(pseudo_random_chunks(seed=20, count=20), expected_size=20 * MIB)
    assert (ref.sha256, ref.sha512, ref.size) == (
        expected[0].hexdigest(),
        expected[1].hexdigest(),
        20 * MIB,
    )
    read_back = hashlib.sha256()
    with backend.store.open(ref.sha256) as stream:
        while chunk := stream.read(MIB):
            read_back.update(chunk)
    assert read_back.hexdigest() == ref.sha256


# -- deduplication ------------------------------------------------------------------------------


def test_identical_content_is_stored_once(backend: Backend) -> None:
    data = os.urandom(10_000)
    first = backend.store.put(chunked(data, 1000))
    second = backend.store.put(io.BytesIO(data))
    assert first == second
    assert list(backend.store.iter_digests()) == [first.sha256]


def test_concurrent_puts_of_the_same_content_give_one_blob(backend: Backend) -> None:
    data = os.urandom(3 * MIB + 5)  # past the threshold where digests get their own threads
    workers = 6
    barrier = threading.Barrier(workers)
    refs: list[ContentRef] = []
    errors: list[BaseException] = []

    def put() -> None:
        try:
            barrier.wait()
            refs.append(backend.store.put(chunked(data, 256 * 1024)))
        except BaseException as exc:  # collected and asserted empty below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert refs == [ref_of(data)] * workers
    assert list(backend.store.iter_digests()) == [refs[0].sha256]
    assert backend.leftovers() == [backend.name_of(refs[0].sha256)]
    assert read_all(backend.store, refs[0].sha256) == data


# -- refused contents leave nothing -------------------------------------------------------------


def test_content_past_max_size_is_refused_before_reading_further(backend: Backend) -> None:
    source = CountingChunks([b"x" * 1000] * 10)
    with pytest.raises(ContentTooLarge):
        backend.store.put(source, max_size=2500)
    assert source.taken == 3
    assert backend.leftovers() == []


def test_content_of_exactly_max_size_is_accepted(backend: Backend) -> None:
    ref = backend.store.put([b"y" * 1000] * 3, max_size=3000)
    assert ref.size == 3000


def test_announced_size_past_max_size_is_refused_before_reading(backend: Backend) -> None:
    source = CountingChunks([b"x" * 10])
    with pytest.raises(ContentTooLarge):
        backend.store.put(source, expected_size=10 * 1024**3, max_size=MIB)
    assert source.taken == 0
    assert backend.leftovers() == []


def test_truncated_stream_is_incomplete_and_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(IncompleteContent):
        backend.store.put(chunked(os.urandom(1500), 500), expected_size=2000)
    assert backend.leftovers() == []


def test_stream_longer_than_announced_is_refused(backend: Backend) -> None:
    with pytest.raises(ContentTooLarge):
        backend.store.put(chunked(os.urandom(2500), 500), expected_size=2000)
    assert backend.leftovers() == []


def test_error_of_the_source_stream_propagates_and_leaves_nothing(backend: Backend) -> None:
    def broken_upload() -> Iterator[bytes]:
        yield os.urandom(3 * MIB)
        raise ConnectionResetError("client went away")

    # An OSError of the client's stream is not a storage failure: it must not be translated.
    with pytest.raises(ConnectionResetError):
        backend.store.put(broken_upload())
    assert backend.leftovers() == []


# -- reading, listing, deleting -----------------------------------------------------------------


def test_open_of_a_missing_blob_raises_blob_not_found(backend: Backend) -> None:
    with pytest.raises(BlobNotFound):
        backend.store.open(hashlib.sha256(b"never stored").hexdigest())
    assert not backend.store.exists(hashlib.sha256(b"never stored").hexdigest())


@pytest.mark.parametrize("digest", ["../../etc/passwd", "A" * 64, "ab", "", "0" * 63 + "/"])
def test_malformed_digests_are_never_found(backend: Backend, digest: str) -> None:
    with pytest.raises(BlobNotFound):
        backend.store.open(digest)
    assert not backend.store.exists(digest)


def test_delete_removes_the_blob_and_is_idempotent(backend: Backend) -> None:
    kept = backend.store.put([b"kept"])
    gone = backend.store.put([b"gone"])
    backend.store.delete(gone.sha256)
    assert not backend.store.exists(gone.sha256)
    with pytest.raises(BlobNotFound):
        backend.store.open(gone.sha256)
    backend.store.delete(gone.sha256)
    assert list(backend.store.iter_digests()) == [kept.sha256]


def test_iter_digests_lists_every_stored_blob(backend: Backend) -> None:
    refs = [backend.store.put([f"blob {i}".encode()]) for i in range(12)]
    assert sorted(backend.store.iter_digests()) == sorted(ref.sha256 for ref in refs)


# -- batches ------------------------------------------------------------------------------------


def test_batch_puts_are_stored_when_the_batch_ends(backend: Backend) -> None:
    contents = [os.urandom(random.randint(0, 70_000)) for _ in range(25)]
    contents.append(contents[0])  # a duplicate inside the batch
    with backend.store.batch() as batch:
        refs = [batch.put(io.BytesIO(data)) for data in contents]
    assert refs == [ref_of(data) for data in contents]
    assert sorted(backend.store.iter_digests()) == sorted({ref.sha256 for ref in refs})
    for ref, data in zip(refs, contents, strict=True):
        assert read_all(backend.store, ref.sha256) == data
    assert sorted(backend.leftovers()) == sorted({backend.name_of(ref.sha256) for ref in refs})


def test_exception_inside_a_batch_leaves_nothing(backend: Backend) -> None:
    with pytest.raises(RuntimeError, match="import aborted"), backend.store.batch() as batch:
        for i in range(10):
            batch.put([f"file {i}".encode()])
        raise RuntimeError("import aborted")
    assert backend.leftovers() == []


def test_refused_put_inside_a_batch_does_not_spoil_the_others(backend: Backend) -> None:
    with backend.store.batch() as batch:
        kept = batch.put([b"small"])
        with pytest.raises(ContentTooLarge):
            batch.put([b"too large"], max_size=3)
    assert list(backend.store.iter_digests()) == [kept.sha256]


def test_put_file_stores_small_empty_and_large_files(backend: Backend, tmp_path: Path) -> None:
    # a large one (over hashing.THREAD_THRESHOLD) is streamed, the others read whole
    contents = [b"", b"x", os.urandom(70_000), os.urandom(3 * MIB)]
    paths = []
    for index, data in enumerate(contents):
        paths.append(tmp_path / f"file-{index}")
        paths[-1].write_bytes(data)
    with backend.store.batch() as batch:
        refs = [batch.put_file(str(path)) for path in paths]
    assert refs == [ref_of(data) for data in contents]
    for ref, data in zip(refs, contents, strict=True):
        assert read_all(backend.store, ref.sha256) == data


def test_put_file_over_the_limit_or_unreadable_stores_nothing(
    backend: Backend, tmp_path: Path
) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_bytes(b"123456")
    large.write_bytes(os.urandom(3 * MIB))
    with backend.store.batch() as batch:
        with pytest.raises(ContentTooLarge):
            batch.put_file(str(small), max_size=5)
        with pytest.raises(ContentTooLarge):
            batch.put_file(str(large), max_size=MIB)
        with pytest.raises(FileNotFoundError):
            batch.put_file(str(tmp_path / "absent"))
    assert backend.leftovers() == []


def test_bulk_storer_stores_each_file_in_order_and_passes_over_the_bad_ones(
    backend: Backend, tmp_path: Path
) -> None:
    """On the filesystem the files go to worker processes, on S3 to threads: same outcomes."""
    contents = [os.urandom(random.randint(0, 70_000)) for _ in range(9)]
    paths = []
    for index, data in enumerate([*contents, b"x" * 100_001]):
        paths.append(str(tmp_path / f"file-{index}"))
        Path(paths[-1]).write_bytes(data)
    paths.insert(3, str(tmp_path / "absent"))

    with BulkStorer(backend.store, max_size=100_000) as storer:
        outcomes = storer.store(paths[:5]) + storer.store(paths[5:])

    unreadable, too_large = outcomes.pop(3), outcomes.pop()
    assert unreadable == Unstored("illisible : No such file or directory")
    assert isinstance(too_large, Unstored)
    assert "maximum accepté (100000 octets)" in too_large.reason
    assert outcomes == [ref_of(data) for data in contents]
    for data in contents:
        assert read_all(backend.store, ref_of(data).sha256) == data
    stored = {backend.name_of(ref_of(data).sha256) for data in contents}
    assert sorted(backend.leftovers()) == sorted(stored)


def test_a_batch_that_fails_to_become_durable_reports_every_blob_it_may_have_made_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The renames before the failing one made blobs: the caller removes those no one
    references. No temp file is left."""
    store = FilesystemBlobStore(tmp_path / "blobs")
    paths = []
    for index in range(4):
        paths.append(str(tmp_path / f"file-{index}"))
        Path(paths[-1]).write_bytes(f"contenu {index}".encode())
    real_install, installed = FilesystemBlobStore.install, [0]

    def install(self: FilesystemBlobStore, temp: Path, ref: ContentRef) -> set[Path]:
        installed[0] += 1
        if installed[0] == 3:
            raise OSError(errno.EIO, "I/O error")
        return real_install(self, temp, ref)

    monkeypatch.setattr(FilesystemBlobStore, "install", install)

    with BulkStorer(store, max_size=None) as storer, pytest.raises(PartlyStored) as raised:
        storer.store(paths)

    assert isinstance(raised.value.cause, StorageUnavailable)
    assert sorted(r.sha256 for r in raised.value.stored) == sorted(
        ref_of(f"contenu {index}".encode()).sha256 for index in range(4)
    )
    assert len(list(store.iter_digests())) == 2
    assert temp_entries(store) == []


def test_staged_files_are_blobs_only_once_committed_and_a_discarded_batch_leaves_nothing(
    backend: Backend, tmp_path: Path
) -> None:
    contents = [os.urandom(1000 + i) for i in range(6)]
    paths = []
    for index, data in enumerate(contents):
        paths.append(str(tmp_path / f"file-{index}"))
        Path(paths[-1]).write_bytes(data)

    with BulkStorer(backend.store, max_size=None) as storer:
        kept, dropped = storer.stage(paths[:3]), storer.stage(paths[3:])
        for part in kept.parts + dropped.parts:
            part.result()
        assert list(backend.store.iter_digests()) == []  # staged: temp files only
        storer.discard(dropped)
        assert storer.commit(kept).result() == [ref_of(data) for data in contents[:3]]

    stored = {backend.name_of(ref_of(data).sha256) for data in contents[:3]}
    assert sorted(backend.leftovers()) == sorted(stored)


# -- filesystem only ----------------------------------------------------------------------------


def fail_after(limit: int, error: int) -> Callable[[int, bytes], None]:
    """A write_all that writes ``limit`` bytes, then fails as a full or broken disk does."""
    written = 0

    def write_all(fd: int, data: bytes) -> None:
        nonlocal written
        room = max(0, limit - written)
        durability.write_all(fd, data[:room])
        written += min(room, len(data))
        if room < len(data):
            raise OSError(error, os.strerror(error))

    return write_all


@pytest.mark.parametrize(
    ("code", "expected"), [(errno.ENOSPC, StorageFull), (errno.EIO, StorageUnavailable)]
)
def test_disk_errors_while_writing_leave_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, expected: type[Exception]
) -> None:
    backend = filesystem_backend(tmp_path / "blobs")
    monkeypatch.setattr(filesystem, "write_all", fail_after(5 * MIB // 2, code))
    with pytest.raises(expected):
        backend.store.put(pseudo_random_chunks(seed=1, count=4))
    with pytest.raises(expected), backend.store.batch() as batch:
        batch.put([b"a" * 10])
        batch.put(pseudo_random_chunks(seed=2, count=4))
    assert backend.leftovers() == []


def test_filesystem_layout_is_sha256_ab_digest(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    ref = store.put([b"layout"])
    path = tmp_path / "sha256" / ref.sha256[:2] / ref.sha256
    assert path.read_bytes() == b"layout"


def test_a_truncated_blob_on_disk_is_replaced_by_a_whole_put(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    ref = store.put([b"whole content"])
    store.path_of(ref.sha256).write_bytes(b"whole")
    assert store.put([b"whole content"]) == ref
    assert read_all(store, ref.sha256) == b"whole content"


def test_batch_without_syncfs_fsyncs_every_file_and_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[Path] = []

    def recording(sync: Callable[[Path], None]) -> Callable[[Path], None]:
        def sync_and_record(path: Path) -> None:
            sync(path)
            synced.append(path)

        return sync_and_record

    monkeypatch.setattr(durability, "syncfs", lambda path: False)  # e.g. not Linux
    monkeypatch.setattr(filesystem, "fsync_path", recording(durability.fsync_path))
    monkeypatch.setattr(filesystem, "fsync_dir", recording(durability.fsync_dir))
    store = FilesystemBlobStore(tmp_path)
    with store.batch() as batch:
        refs = [batch.put([f"file {i}".encode()]) for i in range(5)]
    leaf_dirs = {store.path_of(ref.sha256).parent for ref in refs}
    assert len([p for p in synced if p.parent == store.tmp_dir]) == 5
    assert leaf_dirs <= set(synced)
    assert {read_all(store, ref.sha256) for ref in refs} == {f"file {i}".encode() for i in range(5)}


def temp_entries(store: FilesystemBlobStore) -> list[Path]:
    return temp_files(store.tmp_dir)


def test_temp_file_of_a_killed_process_is_removed_with_its_owner_file(
    tmp_path: Path, writers: list[TempWriter]
) -> None:
    store = FilesystemBlobStore(tmp_path)
    writers.append(crashed := TempWriter(tmp_path))
    crashed.kill()
    removed = store.remove_stale_temp_files()
    assert [(r.path, r.size) for r in removed] == [(crashed.path, len(b"partial"))]
    assert temp_files(store.tmp_dir) == []


def test_temp_file_of_a_live_process_is_kept_however_old(
    tmp_path: Path, writers: list[TempWriter]
) -> None:
    store = FilesystemBlobStore(tmp_path)
    writers.append(live := TempWriter(tmp_path))
    os.utime(live.path, (0, 0))  # a slow upload: its file has not changed for a long time
    assert store.remove_stale_temp_files() == []
    assert temp_entries(store) == [live.path]


def test_this_process_own_temp_files_are_kept(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path)
    fd, path = store.temp.mkstemp("blob-")
    os.close(fd)
    assert store.remove_stale_temp_files() == []
    assert temp_entries(store) == [path]


def test_owner_file_goes_with_the_last_store_of_the_process(tmp_path: Path) -> None:
    store, again = FilesystemBlobStore(tmp_path), FilesystemBlobStore(tmp_path)
    store.put(iter([b"contenu"]))
    again.put(iter([b"autre contenu"]))
    owners = [p for p in store.tmp_dir.iterdir() if tempfiles.is_owner_file(p)]
    assert len(owners) == 1  # one per process and directory
    del store
    gc.collect()
    assert owners[0].exists()
    del again
    gc.collect()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_temp_files_named_before_owners_existed_are_removed_once_a_day_old(
    tmp_path: Path,
) -> None:
    store = FilesystemBlobStore(tmp_path)
    stale = store.tmp_dir / "blob-crashed"
    stale.write_bytes(b"partial")
    os.utime(stale, (1_000_000, 1_000_000))
    fresh = store.tmp_dir / "blob-recent"
    fresh.write_bytes(b"partial")
    os.utime(fresh, (1_000_000 + tempfiles.DAY, 1_000_000 + tempfiles.DAY))
    removed = store.temp.remove_stale(clock=lambda: 1_000_000 + tempfiles.DAY + 1)
    assert [r.path for r in removed] == [stale]
    assert temp_entries(store) == [fresh]


# -- S3 only ------------------------------------------------------------------------------------


def overwrite_after(store: S3BlobStore, bucket: S3Bucket, operation: str, key: str) -> None:
    """After each ``operation`` call, another client rewrites ``key`` behind the store's back."""
    saboteur = bucket.client()

    def tamper(**_: Any) -> None:
        saboteur.put_object(Bucket=bucket.name, Key=key, Body=b"not what was sent")

    store.client.meta.events.register(f"after-call.s3.{operation}", tamper)


@pytest.mark.s3
@pytest.mark.parametrize(
    ("size", "operation"), [(1000, "PutObject"), (9 * MIB, "CompleteMultipartUpload")]
)
def test_s3_object_altered_behind_the_store_is_caught_by_the_read_back(
    s3_bucket: S3Bucket, tmp_path: Path, size: int, operation: str
) -> None:
    store = s3_store(s3_bucket, tmp_path / "spool")
    data = os.urandom(size)
    overwrite_after(store, s3_bucket, operation, store.key_of(ref_of(data).sha256))
    with pytest.raises(DigestMismatch) as caught:
        store.put(chunked(data, MIB))
    assert caught.value.retry_after > 0
    assert not store.exists(ref_of(data).sha256)
    assert temp_files(tmp_path / "spool") == []


@pytest.mark.s3
def test_s3_open_of_an_altered_object_fails_at_the_end_of_the_stream(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    store = s3_store(s3_bucket, tmp_path / "spool")
    ref = store.put([b"archived bytes"])
    s3_bucket.client().put_object(Bucket=s3_bucket.name, Key=store.key_of(ref.sha256), Body=b"x")
    with store.open(ref.sha256) as stream, pytest.raises(DigestMismatch):
        stream.read()


@pytest.mark.s3
def test_s3_key_prefix_and_digest_metadata(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    store = s3_store(s3_bucket, tmp_path / "spool", prefix="tenant-a")
    ref = store.put([b"prefixed"])
    head = s3_bucket.client().head_object(Bucket=s3_bucket.name, Key=f"tenant-a/blobs/{ref.sha256}")
    assert head["Metadata"] == {"sha256": ref.sha256, "sha512": ref.sha512}
    assert list(store.iter_digests()) == [ref.sha256]


@pytest.mark.s3
def test_s3_missing_bucket_is_unavailable_not_not_found(s3_endpoint: str, tmp_path: Path) -> None:
    bucket = S3Bucket(endpoint_url=s3_endpoint, name="no-such-bucket")
    store = s3_store(bucket, tmp_path / "spool")
    with pytest.raises(StorageUnavailable):
        store.put([b"nowhere to go"])
    with pytest.raises(StorageUnavailable):
        store.open(ref_of(b"nowhere to go").sha256)
    assert temp_files(tmp_path / "spool") == []


@pytest.mark.s3
def test_s3_full_spool_disk_is_storage_full(
    s3_bucket: S3Bucket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = s3_store(s3_bucket, tmp_path / "spool")
    monkeypatch.setattr(s3, "write_all", fail_after(MIB, errno.ENOSPC))
    with pytest.raises(StorageFull):
        store.put(pseudo_random_chunks(seed=3, count=2))
    assert temp_files(tmp_path / "spool") == []
    assert list(store.iter_digests()) == []


def dead_endpoint_store(endpoint: S3Endpoint, tmp_path: Path) -> S3BlobStore:
    bucket = create_bucket(endpoint.url)
    return s3_store(bucket, tmp_path / "spool", connect_timeout=1, read_timeout=2, max_attempts=2)


@pytest.mark.s3
def test_s3_endpoint_killed_makes_every_call_unavailable(
    killable_s3_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    store = dead_endpoint_store(killable_s3_endpoint, tmp_path)
    ref = store.put([b"stored before the outage"])
    killable_s3_endpoint.kill()
    with pytest.raises(StorageUnavailable) as caught:
        store.put([b"written during the outage"])
    assert caught.value.retry_after > 0
    for call in (store.exists, store.open, store.delete):
        with pytest.raises(StorageUnavailable):
            call(ref.sha256)
    with pytest.raises(StorageUnavailable):
        list(store.iter_digests())
    assert temp_files(tmp_path / "spool") == []


@pytest.mark.s3
def test_s3_endpoint_killed_in_the_middle_of_a_put(
    killable_s3_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    store = dead_endpoint_store(killable_s3_endpoint, tmp_path)

    def upload_during_which_the_endpoint_dies() -> Iterator[bytes]:
        yield os.urandom(MIB)
        killable_s3_endpoint.kill()
        yield os.urandom(MIB)

    with pytest.raises(StorageUnavailable):
        store.put(upload_during_which_the_endpoint_dies())
    assert temp_files(tmp_path / "spool") == []


@pytest.mark.s3
def test_s3_incomplete_multipart_uploads_are_aborted(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    store = s3_store(s3_bucket, tmp_path / "spool", prefix="p")
    client = s3_bucket.client()
    orphan = client.create_multipart_upload(Bucket=s3_bucket.name, Key=store.key_of("0" * 64))
    client.upload_part(
        Bucket=s3_bucket.name,
        Key=orphan["Key"],
        UploadId=orphan["UploadId"],
        PartNumber=1,
        Body=b"part of a put cut short",
    )
    # moto reports every upload as initiated in 2010, so the age filter is not exercised here.
    assert store.abort_incomplete_uploads(older_than=3600) == 1
    assert client.list_multipart_uploads(Bucket=s3_bucket.name).get("Uploads", []) == []


@pytest.mark.s3
def test_s3_endpoint_killed_during_a_multipart_upload(
    killable_s3_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    store = dead_endpoint_store(killable_s3_endpoint, tmp_path)
    store.client.meta.events.register(
        "before-call.s3.UploadPart", lambda **_: killable_s3_endpoint.kill()
    )
    with pytest.raises(StorageUnavailable) as caught:
        store.put(pseudo_random_chunks(seed=4, count=9))
    assert caught.value.retry_after > 0
    assert temp_files(tmp_path / "spool") == []


def test_bulk_storer_workers_leave_no_owner_file_once_closed(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    (tmp_path / "file").write_bytes(b"contenu")

    with BulkStorer(store, max_size=None) as storer:
        storer.store([str(tmp_path / "file")])

    assert list(store.tmp_dir.iterdir()) == []


def test_a_full_store_fails_the_batch_instead_of_passing_over_each_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unreadable file is passed over; a full store is not the file's fault: every file
    after it would fail too, and an import of nothing would be reported as done."""
    (tmp_path / "file").write_bytes(b"contenu")
    store = FilesystemBlobStore(tmp_path / "blobs")

    def full(self: FilesystemBlobStore, path: str, **_: object) -> None:
        raise StorageFull("Espace de stockage insuffisant (écriture)")

    assert bulk._stage_one(store, None, str(tmp_path / "absent")) == Unstored(
        "illisible : No such file or directory"
    )
    monkeypatch.setattr(FilesystemBlobStore, "stage_file", full)
    with pytest.raises(StorageFull):
        bulk._stage_one(store, None, str(tmp_path / "file"))
    with pytest.raises(StorageFull), store.batch() as batch:
        monkeypatch.setattr(FilesystemBatch, "put_file", full)
        bulk._put_one(batch, None, str(tmp_path / "file"))
