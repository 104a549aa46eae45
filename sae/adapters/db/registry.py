"""A tenant's digest registry (``DigestRegistry``) in the ``stored_objects`` table.

Apart from the objects (NF Z42-013 / ISO 14641 §5): altering a copy on an offer cannot alter the
reference it is checked against. Each call is its own transaction of the tenant (the storage
offers register what they wrote, outside any unit of work); on SQLite every commit is fsynced
(``synchronous=FULL``). A SHA-256 registered once never takes other digests: a second insert
does nothing, and the row found is compared with what was hashed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from kernel.blobstore.fixity import matches
from kernel.blobstore.ports import ContentRef
from sae.adapters.db import tables as t
from sae.adapters.db.scope import Scope
from sae.model import StoredObject
from sae.ports import ObjectNotRegistered, RegisteredDigestsDiffer

if TYPE_CHECKING:
    from sae.adapters.db.database import SqlDatabase

_PAGE: Final = 500
_OBJECTS: Final = t.stored_objects


class SqlDigestRegistry:
    def __init__(self, db: SqlDatabase, tenant: str, *, page_size: int = _PAGE) -> None:
        self.db = db
        self.tenant = tenant
        self.scope = Scope(tenant=tenant)
        self.page_size = page_size

    def record(self, ref: ContentRef) -> StoredObject:
        return self.record_many([ref])[0]

    def record_many(self, refs: Sequence[ContentRef]) -> list[StoredObject]:
        with self.db.transaction(self.scope, write=True) as conn:
            self._insert_missing(conn, refs)
            found = self._find_all(conn, [ref.sha256 for ref in refs])
            # Raised inside the transaction: a differing object rolls the whole batch back.
            registered = [_matching(found.get(ref.sha256), ref) for ref in refs]
            conn.commit()
        return registered

    def _insert_missing(self, conn: Connection, refs: Sequence[ContentRef]) -> None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        rows = [
            {"tenant": self.tenant, "sha256": r.sha256, "sha512": r.sha512, "size": r.size}
            for r in refs
        ]
        for start in range(0, len(rows), self.page_size):
            statement = dialect.insert(_OBJECTS).on_conflict_do_nothing()
            conn.execute(statement, rows[start : start + self.page_size])

    def _find_all(self, conn: Connection, digests: list[str]) -> dict[str, StoredObject]:
        found = {}
        for start in range(0, len(digests), self.page_size):
            page = digests[start : start + self.page_size]
            query = self._select().where(_OBJECTS.c.sha256.in_(page))
            for row in conn.execute(query):
                stored = _stored(row._mapping)
                found[stored.sha256] = stored
        return found

    def find(self, object_id: str) -> StoredObject | None:
        with self.db.transaction(self.scope, write=False) as conn:
            row = conn.execute(self._select().where(_OBJECTS.c.sha256 == object_id)).first()
        return None if row is None else _stored(row._mapping)

    def iter_objects(self) -> Iterator[StoredObject]:
        """By SHA-256, one page per transaction (no transaction held while the caller works)."""
        last = ""
        while True:
            query = (
                self._select()
                .where(_OBJECTS.c.sha256 > last)
                .order_by(_OBJECTS.c.sha256)
                .limit(self.page_size)
            )
            with self.db.transaction(self.scope, write=False) as conn:
                rows = [_stored(r._mapping) for r in conn.execute(query)]
            yield from rows
            if len(rows) < self.page_size:
                return
            last = rows[-1].sha256

    def quarantine(self, object_id: str, reason: str) -> None:
        self._set_reason(object_id, reason)

    def release(self, object_id: str) -> None:
        self._set_reason(object_id, None)

    def forget(self, object_ids: Sequence[str]) -> None:
        if not object_ids:
            return
        statement = delete(_OBJECTS).where(
            _OBJECTS.c.tenant == self.tenant, _OBJECTS.c.sha256.in_(list(object_ids))
        )
        with self.db.transaction(self.scope, write=True) as conn:
            conn.execute(statement)
            conn.commit()

    def _set_reason(self, object_id: str, reason: str | None) -> None:
        statement = (
            update(_OBJECTS)
            .where(_OBJECTS.c.tenant == self.tenant, _OBJECTS.c.sha256 == object_id)
            .values(quarantine_reason=reason)
        )
        with self.db.transaction(self.scope, write=True) as conn:
            changed = conn.execute(statement).rowcount
            conn.commit()
        if changed == 0:
            raise ObjectNotRegistered(sha256=object_id)

    def _select(self) -> Any:
        return select(_OBJECTS).where(_OBJECTS.c.tenant == self.tenant)


def _matching(stored: StoredObject | None, ref: ContentRef) -> StoredObject:
    if stored is None or not matches(stored, ref):
        raise RegisteredDigestsDiffer(sha256=ref.sha256)
    return stored


def _stored(row: Mapping[Any, Any]) -> StoredObject:
    return StoredObject(
        sha256=row["sha256"],
        sha512=row["sha512"],
        size=int(row["size"]),
        quarantine_reason=row["quarantine_reason"],
    )
