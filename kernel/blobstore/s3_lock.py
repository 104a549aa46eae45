"""S3 Object Lock in compliance mode for the S3 blob store (Amazon S3 User Guide, "Locking
objects with Object Lock"; MinIO and Ceph RGW implement the same API).

A bucket created with ``ObjectLockEnabledForBucket=True`` is versioned. A version given
``ObjectLockMode=COMPLIANCE`` and ``ObjectLockRetainUntilDate`` cannot be deleted, nor its
retention shortened, by anyone (the bucket's owner included) until that date; a put on the same
key only adds a version above it. So "remove this object" on such a bucket means deleting every
version of the key (a delete without a version id would only hide it behind a delete marker),
and the endpoint refuses the locked ones: that refusal is reported as ``ObjectRetained`` with
the date, never as an unavailable store.

Retention is only ever extended: the same content may belong to several archives (the store is
content-addressed), and the latest end of them wins. A date already past is not sent (S3 refuses
a retain-until date that is not in the future): the object is then left as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from kernel.blobstore.ports import ObjectRetained, StorageUnavailable
from kernel.blobstore.s3_botocore import client_error, translated_errors
from kernel.errors import GedsaeError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

COMPLIANCE: Final = "COMPLIANCE"
_REFUSED: Final = frozenset({"AccessDenied", "InvalidRequest"})
_NO_LOCK: Final = "ObjectLockConfigurationNotFoundError"


class ObjectLock:
    """The lock operations on one bucket; ``clock`` says what "now" is for the dates sent."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        *,
        store: str,
        clock: Callable[[], datetime],
        retry_after: int,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.store = store
        self.clock = clock
        self.retry_after = retry_after

    def enabled(self) -> bool:
        """Whether the bucket has Object Lock (it can only be turned on when it is created)."""
        try:
            with translated_errors("configuration du verrouillage", retry_after=self.retry_after):
                found = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except StorageUnavailable as exc:
            if exc.extra.get("reason") == _NO_LOCK:
                return False
            raise
        settings = found.get("ObjectLockConfiguration", {})
        return settings.get("ObjectLockEnabled") == "Enabled"

    def retained_until(self, key: str, version_id: str | None = None) -> datetime | None:
        """The compliance retention date of the key's current version (or of ``version_id``)."""
        extra: dict[str, Any] = {} if version_id is None else {"VersionId": version_id}
        with translated_errors("consultation", retry_after=self.retry_after):
            head = self.client.head_object(Bucket=self.bucket, Key=key, **extra)
        if head.get("ObjectLockMode") != COMPLIANCE:
            return None
        return head.get("ObjectLockRetainUntilDate")

    def extend(self, key: str, until: datetime) -> datetime | None:
        """Locks the current version until ``until`` unless it is locked longer already or the
        date is past; the retention date the version has afterwards."""
        current = self.retained_until(key)
        if until <= self.clock() or (current is not None and current >= until):
            return current
        with translated_errors("verrouillage", retry_after=self.retry_after):
            self.client.put_object_retention(
                Bucket=self.bucket,
                Key=key,
                Retention={"Mode": COMPLIANCE, "RetainUntilDate": until},
            )
        return until

    def delete_every_version(self, key: str, sha256: str) -> None:
        """Deletes the key's versions and delete markers, newest first; ``ObjectRetained`` at
        the first one the endpoint keeps (the older ones stay too)."""
        for version_id in self._versions(key):
            try:
                self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=version_id)
            except ClientError as exc:
                raise self._refusal(exc, key, version_id, sha256) from exc

    def _refusal(self, exc: ClientError, key: str, version_id: str, sha256: str) -> GedsaeError:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        until = self.retained_until(key, version_id) if code in _REFUSED else None
        if until is None or until <= self.clock():
            return client_error(exc, "suppression", sha256, self.retry_after)
        return ObjectRetained(
            f"Le stockage {self.store} refuse de supprimer l'objet {sha256} : il est verrouillé "
            f"(mode conformité) jusqu'au {until:%d/%m/%Y}",
            sha256=sha256,
            offer=self.store,
            retain_until=until.isoformat(),
        )

    def _versions(self, key: str) -> Iterator[str]:
        """Delete markers first, then versions newest first (the order S3 lists them in)."""
        paginator = self.client.get_paginator("list_object_versions")
        found: list[str] = []
        with translated_errors("liste des versions", retry_after=self.retry_after):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
                for item in [*page.get("DeleteMarkers", []), *page.get("Versions", [])]:
                    if item.get("Key") == key and "VersionId" in item:
                        found.append(item["VersionId"])
        yield from found
