"""Content-addressed blob store on an S3-compatible endpoint (AWS S3, MinIO, Ceph RGW…).

Objects are keyed ``<prefix>blobs/<sha256 hex>``. A put spools the stream to a local temp file
while hashing it (bounded memory, and the digest is known before anything is sent), skips the
upload when the object already exists, otherwise uploads it (multipart past
``multipart_threshold``) and reads it back to recompute its SHA-256: some endpoints do not check
the checksums they are sent (moto accepts a wrong ``x-amz-checksum-sha256``), so a write is
acknowledged only once the stored bytes are proven to be the ones hashed. A mismatch deletes the
object and raises ``DigestMismatch``.

With ``keep_minimum`` set, the bucket has S3 Object Lock and every object can be locked in
compliance mode until a date (``retain``; ``kernel.blobstore.s3_lock``): ``delete`` then removes
every version of the object, and raises ``ObjectRetained`` while one is locked.

Endpoint failures become ``StorageUnavailable`` (503 with Retry-After) within seconds: short
connect timeout and bounded retries in the botocore configuration.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import boto3
from boto3.s3.transfer import TransferConfig

from kernel.blobstore.durability import storage_error, write_all
from kernel.blobstore.filesystem import HEX_SHA256
from kernel.blobstore.hashing import CHUNK_SIZE, copy_digesting, file_chunks
from kernel.blobstore.ports import BlobNotFound, Chunks, ContentRef, DigestMismatch, Leftover
from kernel.blobstore.s3_botocore import VerifyingBody, botocore_config, translated_errors
from kernel.blobstore.s3_lock import ObjectLock
from kernel.blobstore.tempfiles import OwnedTempDir
from kernel.retention import Duration

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB: Final = 1024 * 1024
SPOOL_PREFIX: Final = "s3-spool-"
_BATCH_UPLOADS: Final = 4


class S3BlobStore:
    """Blobs as objects in ``bucket`` under ``<prefix>blobs/``."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
        name: str = "s3",
        spool_dir: Path | str | None = None,
        checksum_algorithm: str | None = "SHA256",
        connect_timeout: float = 2.0,
        read_timeout: float = 30.0,
        max_attempts: int = 3,
        multipart_threshold: int = 64 * MIB,
        multipart_chunksize: int = 16 * MIB,
        max_concurrency: int = 4,
        retry_after: int = 30,
        session: boto3.session.Session | None = None,
        keep_minimum: Duration | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.spool_dir = Path(spool_dir) if spool_dir is not None else Path(tempfile.gettempdir())
        self.spool_area = OwnedTempDir(self.spool_dir, (SPOOL_PREFIX,))
        self.retry_after = retry_after
        self._checksum_algorithm = checksum_algorithm
        self._multipart_threshold = multipart_threshold
        # A shared session spares reloading botocore's service models for each store (~0.1 s).
        session = session or boto3.session.Session()
        self.client: S3Client = session.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=botocore_config(connect_timeout, read_timeout, max_attempts, checksum_algorithm),
        )
        self._transfer_config = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize,
            max_concurrency=max_concurrency,
        )
        # Object Lock (compliance mode) when the bucket has it: see kernel.blobstore.s3_lock.
        self.keep_minimum = keep_minimum
        self.lock = ObjectLock(
            self.client, bucket, store=name, clock=clock, retry_after=retry_after
        )

    def within(self, prefix: str) -> S3BlobStore:
        """This store under ``prefix`` (after its own): the same bucket, client and spool, so
        that one repository's tenants each have their objects apart without a client each."""
        clone = copy.copy(self)
        clone.prefix = self.prefix + (prefix if prefix.endswith("/") else prefix + "/")
        return clone

    # -- the BlobStore port -------------------------------------------------------------------

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef:
        spool, ref = self.spool(data, expected_size=expected_size, max_size=max_size)
        try:
            self.store_spooled(spool, ref)
        finally:
            spool.unlink(missing_ok=True)
        return ref

    def batch(self) -> S3Batch:
        return S3Batch(self)

    def open(self, sha256: str) -> BinaryIO:
        """A stream of the blob that raises ``DigestMismatch`` at its end if the bytes differ."""
        if not HEX_SHA256.fullmatch(sha256):
            raise BlobNotFound("Empreinte SHA-256 invalide", sha256=sha256)
        with self._translated("lecture", sha256):
            response = self.client.get_object(Bucket=self.bucket, Key=self.key_of(sha256))
        raw = VerifyingBody(response["Body"], sha256, retry_after=self.retry_after)
        return io.BufferedReader(raw, buffer_size=CHUNK_SIZE)

    def exists(self, sha256: str) -> bool:
        if not HEX_SHA256.fullmatch(sha256):
            return False
        return self._stored_size(self.key_of(sha256)) is not None

    def delete(self, sha256: str) -> None:
        """Removes the object; removing an object that is already gone is not an error.

        With Object Lock, every version goes, or ``ObjectRetained`` while one is locked."""
        if not HEX_SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        if self.keep_minimum is not None:
            self.lock.delete_every_version(self.key_of(sha256), sha256)
            return
        with self._translated("suppression", sha256):
            self.client.delete_object(Bucket=self.bucket, Key=self.key_of(sha256))

    def retain(self, sha256: str, until: datetime) -> datetime | None:
        """Locks the object (compliance mode) until ``until`` at least; nothing without Object
        Lock. The object's retention date afterwards (None: not locked)."""
        if self.keep_minimum is None:
            return None
        return self.lock.extend(self.key_of(sha256), until)

    def lock_enabled(self) -> bool:
        """Whether the bucket has Object Lock (``StorageUnavailable`` when it cannot be asked)."""
        return self.lock.enabled()

    def retained_until(self, sha256: str) -> datetime | None:
        try:
            return self.lock.retained_until(self.key_of(sha256))
        except BlobNotFound:
            return None

    def iter_digests(self) -> Iterator[str]:
        start = f"{self.prefix}blobs/"
        paginator = self.client.get_paginator("list_objects_v2")
        with self._translated("liste des contenus"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
                for item in page.get("Contents", []):
                    name = item.get("Key", "")[len(start) :]
                    if HEX_SHA256.fullmatch(name):
                        yield name

    def abort_incomplete_uploads(self, older_than: float = 24 * 3600) -> int:
        """Aborts multipart uploads left by a failed put (their parts are billed and hidden).

        A put cut short by an endpoint outage cannot abort its own upload; a periodic call to
        this (or a bucket lifecycle rule) cleans up. Returns how many uploads were aborted.
        """
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
        aborted = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        with self._translated("nettoyage des envois incomplets"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}blobs/"):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] < cutoff:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        return aborted

    def remove_stale_temp_files(self) -> list[Leftover]:
        """Removes the spool files of dead processes (never a live one's); lists them."""
        try:
            return self.spool_area.remove_stale()
        except OSError as exc:
            raise storage_error(exc, "nettoyage des fichiers d'attente") from exc

    def _translated(self, action: str, sha256: str | None = None) -> AbstractContextManager[None]:
        return translated_errors(action, sha256, retry_after=self.retry_after)

    # -- steps of a put -----------------------------------------------------------------------

    def key_of(self, sha256: str) -> str:
        return f"{self.prefix}blobs/{sha256}"

    def spool(
        self, data: Chunks, *, expected_size: int | None, max_size: int | None
    ) -> tuple[Path, ContentRef]:
        """Streams ``data`` into a local temp file while hashing; removed if anything fails."""
        try:
            fd, path = self.spool_area.mkstemp(SPOOL_PREFIX)
        except OSError as exc:
            raise storage_error(exc, "fichier d'attente local") from exc
        try:
            try:
                write = partial(_spool_chunk, fd)
                ref = copy_digesting(data, write, expected_size=expected_size, max_size=max_size)
            finally:
                os.close(fd)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path, ref

    def store_spooled(self, spool: Path, ref: ContentRef) -> None:
        """Uploads a spooled blob unless already stored, then proves the stored bytes."""
        key = self.key_of(ref.sha256)
        if self._stored_size(key) == ref.size:
            return
        with self._translated("envoi", ref.sha256):
            self._upload(spool, key, ref)
        self._verify(key, ref)

    def _upload(self, spool: Path, key: str, ref: ContentRef) -> None:
        extra: dict[str, Any] = {
            "Metadata": {"sha256": ref.sha256, "sha512": ref.sha512},
            "ContentType": "application/octet-stream",
        }
        if ref.size >= self._multipart_threshold:
            if self._checksum_algorithm:
                extra["ChecksumAlgorithm"] = self._checksum_algorithm
            self.client.upload_file(
                str(spool), self.bucket, key, ExtraArgs=extra, Config=self._transfer_config
            )
            return
        if self._checksum_algorithm == "SHA256":
            # The digest is already known: the endpoint checks it, botocore need not re-read.
            extra["ChecksumSHA256"] = base64.b64encode(bytes.fromhex(ref.sha256)).decode()
        elif self._checksum_algorithm:
            extra["ChecksumAlgorithm"] = self._checksum_algorithm
        with spool.open("rb") as body:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)

    def _verify(self, key: str, ref: ContentRef) -> None:
        digest = hashlib.sha256()
        with self._translated("relecture", ref.sha256):
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            with body:
                for chunk in body.iter_chunks(CHUNK_SIZE):
                    digest.update(chunk)
        if digest.hexdigest() != ref.sha256:
            with self._translated("suppression", ref.sha256):
                self.client.delete_object(Bucket=self.bucket, Key=key)
            raise DigestMismatch(
                "Le contenu relu dans le stockage S3 diffère du contenu envoyé",
                sha256=ref.sha256,
                stored_sha256=digest.hexdigest(),
                retry_after=self.retry_after,
            )

    def _stored_size(self, key: str) -> int | None:
        try:
            with self._translated("consultation"):
                head = self.client.head_object(Bucket=self.bucket, Key=key)
        except BlobNotFound:
            return None
        return head["ContentLength"]


def _spool_chunk(fd: int, chunk: bytes) -> None:
    try:
        write_all(fd, chunk)
    except OSError as exc:
        raise storage_error(exc, "fichier d'attente local") from exc


class S3Batch:
    """Puts spool locally; on exit the blobs are uploaded and verified, several at a time.

    Nothing reaches the endpoint before the ``with`` block ends, so an exception inside it
    leaves nothing stored (and no object another put could have deduplicated against).
    """

    def __init__(self, store: S3BlobStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._spools: list[tuple[Path, ContentRef]] = []
        self._open = True

    def put(
        self, data: Chunks, *, expected_size: int | None = None, max_size: int | None = None
    ) -> ContentRef:
        if not self._open:
            raise ValueError("batch already closed")
        spool, ref = self._store.spool(data, expected_size=expected_size, max_size=max_size)
        with self._lock:
            self._spools.append((spool, ref))
        return ref

    def put_file(self, path: str, *, max_size: int | None = None) -> ContentRef:
        return self.put(file_chunks(path), max_size=max_size)

    def __enter__(self) -> S3Batch:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self._open = False
        try:
            if exc_type is None:
                self._upload_all()
        finally:
            for spool, _ref in self._spools:
                spool.unlink(missing_ok=True)

    def _upload_all(self) -> None:
        unique = {ref.sha256: (spool, ref) for spool, ref in self._spools}
        with ThreadPoolExecutor(_BATCH_UPLOADS, thread_name_prefix="s3-batch") as pool:
            futures = [pool.submit(self._store.store_spooled, *item) for item in unique.values()]
        for future in futures:
            future.result()
