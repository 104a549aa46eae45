"""Content-addressed blob stores (the ``BlobStore`` port): local filesystem and S3."""

from kernel.blobstore.filesystem import FilesystemBlobStore
from kernel.blobstore.hashing import copy_digesting, hash_stream

__all__ = ["FilesystemBlobStore", "copy_digesting", "hash_stream"]
