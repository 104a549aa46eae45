"""The repository's ports on the standard library's ``sqlite3``: the embedded default.

``SqliteDatabase`` (``transfers.sqlite``: transfers, operation log, checkpoints' index,
catalogue) and ``SqliteDigestRegistry`` (``digests.sqlite``, apart from it).
"""

from sae.adapters.sqlite.database import SqliteDatabase, SqliteUnitOfWork
from sae.adapters.sqlite.digest_registry import SqliteDigestRegistry

__all__ = ["SqliteDatabase", "SqliteDigestRegistry", "SqliteUnitOfWork"]
