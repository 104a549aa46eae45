"""Runs a creating request at most once per ``Idempotency-Key``.

A request is identified by its method, path, query and body. An upload's body is streamed into
the blob store and never held, so its identity is the request's head (size, type, name) while
it runs, then the head and the SHA-256 of the bytes stored; a retry of a finished upload is
hashed again to be recognised (``Upload``): the same key with other bytes is refused (422), not
answered with the first upload's document.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ged.api.streaming import BodyReader
from ged.domain.access import Principal
from ged.services import idempotency
from ged.services.context import Context
from kernel.blobstore.ports import ContentTooLarge

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Upload(Generic[M]):
    """A streamed body: ``marker`` identifies its head, ``stored_digest`` reads the SHA-256 of
    the bytes stored from the created resource."""

    marker: str
    reader: BodyReader
    stored_digest: Callable[[M], str]
    max_bytes: int

    def digest(self) -> str:
        """SHA-256 of the body, read to its end (from a worker thread, as the write would)."""
        sha256, size = hashlib.sha256(), 0
        for block in self.reader.blocks():
            size += len(block)
            if size > self.max_bytes:
                raise ContentTooLarge(f"Contenu de plus de {self.max_bytes} octets")
            sha256.update(block)
        return sha256.hexdigest()


async def fingerprint(request: Request, body_marker: str | None = None) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    digest.update(body_marker.encode() if body_marker is not None else await request.body())
    return digest.hexdigest()


async def run_once(
    request: Request,
    ctx: Context,
    caller: Principal,
    create: Callable[[], M],
    *,
    status_code: int = 201,
    upload: Upload[M] | None = None,
    kept: Callable[[M], M] | None = None,
) -> Response:
    """Runs ``create`` once per Idempotency-Key. ``kept`` is what the replay answers, when it must
    differ from the first answer: a secret shown once (a new token) is never stored for replay."""
    key = request.headers.get("idempotency-key")
    if key is None:
        model = await run_in_threadpool(create)
        return Response(
            model.model_dump_json(), status_code=status_code, media_type="application/json"
        )
    marker = await fingerprint(request, upload.marker if upload else None)
    body_digest = upload.digest if upload else None
    replay = await run_in_threadpool(idempotency.begin, ctx, caller.id, key, marker, body_digest)
    if replay is not None:
        headers = {"Idempotent-Replayed": "true"}
        return Response(
            replay.body,
            status_code=replay.status_code,
            media_type="application/json",
            headers=headers,
        )
    try:
        model = await run_in_threadpool(create)
    except BaseException:
        await run_in_threadpool(idempotency.release, ctx, caller.id, key)
        raise
    body = model.model_dump_json()
    if upload is not None:
        marker = idempotency.with_body(marker, upload.stored_digest(model))
    stored = kept(model).model_dump_json() if kept is not None else body
    await run_in_threadpool(idempotency.complete, ctx, caller.id, key, status_code, stored, marker)
    return Response(body, status_code=status_code, media_type="application/json")
