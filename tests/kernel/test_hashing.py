"""The digest pipeline: whatever the chunking, the digests are hashlib's on the concatenation."""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.blobstore import hashing
from kernel.blobstore.hashing import (
    CHUNK_SIZE,
    ParallelDigester,
    copy_digesting,
    digest_bytes,
    file_chunks,
    hash_stream,
    iter_chunks,
    read_small,
)
from kernel.blobstore.ports import ContentRef, ContentTooLarge, IncompleteContent

chunk_lists = st.lists(st.binary(max_size=5000), max_size=20)


def expected_ref(data: bytes) -> ContentRef:
    return ContentRef(
        sha256=hashlib.sha256(data).hexdigest(),
        sha512=hashlib.sha512(data).hexdigest(),
        size=len(data),
    )


@given(chunks=chunk_lists, threshold=st.sampled_from([0, 1, 4096, 10**9]))
def test_digests_equal_hashlib_on_the_concatenation(chunks: list[bytes], threshold: int) -> None:
    # threshold 0: threads from the first byte; 10**9: never; in between: switch mid-stream.
    with ParallelDigester(("sha256", "sha512", "sha1"), thread_threshold=threshold) as digester:
        for chunk in chunks:
            digester.update(chunk)
        digests = digester.hexdigests()
    data = b"".join(chunks)
    assert digests == {name: hashlib.new(name, data).hexdigest() for name in digests}
    assert digester.size == len(data)


@given(chunks=chunk_lists)
def test_copy_writes_every_byte_in_order_and_returns_its_ref(chunks: list[bytes]) -> None:
    written = bytearray()
    ref = copy_digesting(iter(chunks), written.extend)
    assert bytes(written) == b"".join(chunks)
    assert ref == expected_ref(b"".join(chunks))


@settings(max_examples=30)
@given(data=st.binary(min_size=1, max_size=300), chunk_size=st.integers(1, 64))
def test_copy_reads_a_binary_file_in_chunks(data: bytes, chunk_size: int) -> None:
    pieces = list(iter_chunks(io.BytesIO(data), chunk_size))
    assert all(len(piece) <= chunk_size for piece in pieces)
    assert copy_digesting(io.BytesIO(data), lambda _: None, chunk_size=chunk_size) == (
        expected_ref(data)
    )


def test_large_stream_in_small_chunks_goes_through_the_threads() -> None:
    # 3 MiB in 1000-byte chunks: past the inline threshold, coalesced before the threads.
    block = bytes(range(250)) * 4
    count = 3 * CHUNK_SIZE // len(block) + 1
    threads_seen: set[str] = set()

    def write(_: bytes) -> None:
        threads_seen.update(t.name for t in threading.enumerate() if t.name.startswith("digest-"))

    ref = copy_digesting((block for _ in range(count)), write)
    assert ref == expected_ref(block * count)
    assert threads_seen == {"digest-sha256", "digest-sha512"}


@given(chunks=chunk_lists, max_size=st.integers(0, 60_000))
def test_max_size_is_enforced_before_writing(chunks: list[bytes], max_size: int) -> None:
    written = bytearray()
    total = sum(map(len, chunks))
    if total > max_size:
        with pytest.raises(ContentTooLarge):
            copy_digesting(iter(chunks), written.extend, max_size=max_size)
    else:
        copy_digesting(iter(chunks), written.extend, max_size=max_size)
    assert len(written) <= max_size


@given(chunks=chunk_lists, expected_size=st.integers(0, 60_000))
def test_expected_size_must_be_met_exactly(chunks: list[bytes], expected_size: int) -> None:
    written = bytearray()
    total = sum(map(len, chunks))
    if total < expected_size:
        with pytest.raises(IncompleteContent):
            copy_digesting(iter(chunks), written.extend, expected_size=expected_size)
    elif total > expected_size:
        with pytest.raises(ContentTooLarge):
            copy_digesting(iter(chunks), written.extend, expected_size=expected_size)
    else:
        assert copy_digesting(iter(chunks), written.extend, expected_size=expected_size).size == (
            total
        )
    assert len(written) <= expected_size


def test_reused_buffers_are_copied_before_hashing() -> None:
    def reusing_producer() -> Iterator[bytes]:
        buffer = bytearray(b"a" * 1000)
        for letter in b"abc":
            buffer[:] = bytes([letter]) * 1000
            yield buffer  # type: ignore[misc]  # a producer that breaks the bytes contract

    assert hash_stream(reusing_producer()) == expected_ref(b"a" * 1000 + b"b" * 1000 + b"c" * 1000)


def test_chunks_that_are_not_bytes_are_refused() -> None:
    with pytest.raises(TypeError, match="str"):
        hash_stream(iter(["text"]))  # type: ignore[arg-type]


def test_threads_end_when_the_source_fails() -> None:
    before = threading.active_count()

    def failing() -> Iterator[bytes]:
        yield b"x" * (3 * CHUNK_SIZE)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        hash_stream(failing())
    assert threading.active_count() == before


def test_a_finished_digester_refuses_more_data() -> None:
    digester = ParallelDigester()
    digester.update(b"abc")
    assert digester.hexdigests()["sha256"] == hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(ValueError, match="finished"):
        digester.update(b"more")


@pytest.mark.parametrize("size", [0, 1, 4096, 3 * 1024 + 7])
def test_a_file_read_in_chunks_is_whole_and_no_chunk_passes_the_chunk_size(
    tmp_path: Path, size: int
) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    (tmp_path / "f").write_bytes(data)

    chunks = list(file_chunks(tmp_path / "f", chunk_size=1024))

    assert b"".join(chunks) == data
    assert all(0 < len(chunk) <= 1024 for chunk in chunks)
    assert copy_digesting(file_chunks(tmp_path / "f"), lambda _: None) == expected_ref(data)


def test_a_file_that_grows_while_read_is_read_to_its_new_end(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"a" * 100)
    chunks = file_chunks(tmp_path / "f")
    first = next(chunks)
    with (tmp_path / "f").open("ab") as more:
        more.write(b"b" * 50)

    assert first + b"".join(chunks) == b"a" * 100 + b"b" * 50


def test_a_missing_file_fails_when_its_content_is_first_asked_for(tmp_path: Path) -> None:
    chunks = file_chunks(tmp_path / "absent")
    with pytest.raises(FileNotFoundError):
        next(chunks)


def test_a_small_file_is_read_whole_and_a_large_one_left_to_streaming(tmp_path: Path) -> None:
    (tmp_path / "small").write_bytes(b"s" * 100)
    (tmp_path / "large").write_bytes(b"l" * 101)
    (tmp_path / "empty").write_bytes(b"")

    assert read_small(tmp_path / "small", limit=100) == b"s" * 100
    assert read_small(tmp_path / "large", limit=100) is None
    assert read_small(tmp_path / "empty", limit=100) == b""
    assert digest_bytes(b"s" * 100) == expected_ref(b"s" * 100)


@pytest.mark.parametrize(("limit", "expected"), [(200, b"a" * 150), (120, None)])
def test_a_small_file_that_grew_since_its_size_was_read_is_read_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: int, expected: bytes | None
) -> None:
    """Grown past ``limit`` after fstat, it is left to streaming (which reads it again)."""
    (tmp_path / "f").write_bytes(b"a" * 150)
    real_fstat = os.fstat
    monkeypatch.setattr(
        hashing.os, "fstat", lambda fd: SimpleNamespace(st_size=min(real_fstat(fd).st_size, 100))
    )

    assert read_small(tmp_path / "f", limit=limit) == expected
