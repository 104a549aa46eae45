"""botocore plumbing of the S3 blob store: client settings, error translation, verified reads.

Every botocore/boto3 failure becomes one of the port's exceptions at this boundary
(``raise ... from``): a missing key is ``BlobNotFound``; anything else the endpoint or the
network does wrong is ``StorageUnavailable`` with a Retry-After, never a raw botocore error.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from boto3.exceptions import Boto3Error
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from kernel.blobstore.ports import BlobNotFound, DigestMismatch, StorageUnavailable
from kernel.errors import GedsaeError

if TYPE_CHECKING:
    from botocore.response import StreamingBody

_MISSING_CODES: Final = frozenset({"NoSuchKey", "404", "NotFound"})


def botocore_config(
    connect_timeout: float, read_timeout: float, max_attempts: int, checksum: str | None
) -> Config:
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": max_attempts, "mode": "standard"},
        s3={"addressing_style": "path"},
        # Without checksums, don't let botocore add its default CRC32 either: several
        # S3-compatible endpoints reject the aws-chunked bodies it implies.
        request_checksum_calculation="when_supported" if checksum else "when_required",
        response_checksum_validation="when_supported" if checksum else "when_required",
    )


@contextmanager
def translated_errors(
    action: str, sha256: str | None = None, *, retry_after: int
) -> Iterator[None]:
    """Turns botocore/boto3 errors raised inside the block into the port's exceptions."""
    try:
        yield
    except ClientError as exc:
        raise client_error(exc, action, sha256, retry_after) from exc
    except Boto3Error as exc:
        # S3UploadFailedError wraps the ClientError it was raised while handling.
        cause = exc.__context__
        if isinstance(cause, ClientError):
            raise client_error(cause, action, sha256, retry_after) from exc
        raise _unavailable(action, type(exc).__name__, retry_after) from exc
    except BotoCoreError as exc:
        raise _unavailable(action, type(exc).__name__, retry_after) from exc


def client_error(
    exc: ClientError, action: str, sha256: str | None, retry_after: int
) -> GedsaeError:
    """The port's exception for an error the endpoint answered."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    if code in _MISSING_CODES:
        return BlobNotFound(f"Contenu {sha256 or ''} introuvable".strip(), sha256=sha256)
    # NoSuchBucket, AccessDenied, 5xx, SlowDown…: the store cannot serve, whatever the blob.
    return _unavailable(action, code, retry_after)


def _unavailable(action: str, reason: str, retry_after: int) -> StorageUnavailable:
    return StorageUnavailable(
        f"Stockage S3 indisponible ({action} : {reason})", retry_after=retry_after, reason=reason
    )


class VerifyingBody(io.RawIOBase):
    """The object's body, hashed as it is read; raises ``DigestMismatch`` at the end if wrong."""

    def __init__(self, body: StreamingBody, sha256: str, *, retry_after: int) -> None:
        super().__init__()
        self._body = body
        self._expected = sha256
        self._retry_after = retry_after
        self._digest = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with translated_errors("lecture", self._expected, retry_after=self._retry_after):
            count: int = self._body.readinto(buffer)
        if count:
            self._digest.update(memoryview(buffer)[:count])
        elif len(buffer) and not self._checked:
            self._checked = True
            self._check()
        return count

    def _check(self) -> None:
        actual = self._digest.hexdigest()
        if actual != self._expected:
            raise DigestMismatch(
                "Le contenu lu dans le stockage S3 ne correspond pas à son empreinte",
                sha256=self._expected,
                stored_sha256=actual,
                retry_after=self._retry_after,
            )

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
