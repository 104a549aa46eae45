"""Content-addressed blob stores (the ``BlobStore`` port): local filesystem and S3."""

from ged.adapters.blobstore.filesystem import FilesystemBlobStore
from ged.adapters.blobstore.hashing import copy_digesting, hash_stream

__all__ = ["FilesystemBlobStore", "copy_digesting", "hash_stream"]
