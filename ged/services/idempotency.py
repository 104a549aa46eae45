"""Idempotency keys for creating requests (``Idempotency-Key`` header).

The first request with a key reserves it; a retry with the same key and the same request gets
the first response again; the same key with a different request is refused (422); a retry
while the first is still running gets 409. A failed first request releases the key.

A request's fingerprint covers its body. A streamed upload's body is known only once written:
the key is reserved under the fingerprint of the request's head and completed under the head
and the digest of the bytes stored (``with_body``); a retry's body is then hashed to compare.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from ged.services.context import Context
from kernel.errors import ConflictError, InvalidError, Issue


class IdempotencyInProgress(ConflictError):
    code = "idempotency_in_progress"
    title = "Une requête avec la même clé d'idempotence est en cours"


class IdempotencyKeyReused(InvalidError):
    code = "idempotency_key_reused"
    title = "Clé d'idempotence déjà utilisée pour une autre requête"


@dataclass(frozen=True)
class Replay:
    status_code: int
    body: str


def with_body(fingerprint: str, body_sha256: str) -> str:
    """The fingerprint of a request's head and of its body's SHA-256."""
    return hashlib.sha256(f"{fingerprint} {body_sha256}".encode()).hexdigest()


def begin(
    ctx: Context,
    principal_id: str,
    key: str,
    fingerprint: str,
    body_digest: Callable[[], str] | None = None,
) -> Replay | None:
    """Returns the stored response to replay, or None once the key is reserved for us.

    ``body_digest`` reads a streamed body's SHA-256: ``fingerprint`` is then the head's only."""
    if not 1 <= len(key) <= 200:
        issue = Issue("bad_idempotency_key", "1 à 200 caractères", path="Idempotency-Key")
        raise InvalidError("Clé d'idempotence invalide", issues=[issue])
    with ctx.uow() as uow:
        found = uow.repo.get_idempotency(principal_id, key)
        if found is None:
            if not uow.repo.reserve_idempotency(principal_id, key, fingerprint, ctx.clock()):
                raise IdempotencyInProgress("Requête identique en cours de traitement")
            uow.commit()
            return None
    stored_fingerprint, status_code, body = found
    if status_code is None or body is None:
        _refuse_unless(stored_fingerprint == fingerprint)
        raise IdempotencyInProgress("Requête identique en cours de traitement")
    if body_digest is not None:
        fingerprint = with_body(fingerprint, body_digest())
    _refuse_unless(stored_fingerprint == fingerprint)
    return Replay(status_code, body)


def _refuse_unless(same_request: bool) -> None:
    if not same_request:
        raise IdempotencyKeyReused("Cette clé a servi à une autre requête")


def complete(
    ctx: Context, principal_id: str, key: str, status_code: int, body: str, fingerprint: str
) -> None:
    """Stores the response to replay, and the request's fingerprint as finally known."""
    with ctx.uow() as uow:
        uow.repo.complete_idempotency(principal_id, key, status_code, body, fingerprint)
        uow.commit()


def release(ctx: Context, principal_id: str, key: str) -> None:
    with ctx.uow() as uow:
        uow.repo.release_idempotency(principal_id, key)
        uow.commit()
